"""Stripe answering 500, 429 or too late: one Checkout Session per payment,
every refund exactly once, every webhook handled once in the end.

Faults are injected in the sandbox on one route at a time (``inject_fault``
with ``method``/``path``); the product's own retries (the SDK's, the refund
task's, Stripe's webhook redeliveries) are then let run, and the end state is
compared with what Stripe holds.
"""

from collections import Counter

import pytest

from payments import gateway
from payments.models import Payment, Refund
from registrations.models import EmailLog, Registrant
from registrations.refunds.ledger import new_refund_token
from registrations.refunds.organizer_actions import perform_action
from tests.registrations.checkout_support import (
    Webhooks,
    register,
    send_refunds,
    session_id_of,
)
from tests.registrations.refund_support import stripe_refunds

pytestmark = pytest.mark.django_db

CHECKOUT = "/v1/checkout/sessions"
TRY_AGAIN = "Please try again in a few minutes."

# (kind, count, whether the SDK's own retries get through)
CHECKOUT_FAULTS = [
    ("500", 1, True),
    ("500", 3, False),
    ("429", 2, True),
    ("rate_limit", 1, False),
    ("timeout", 1, True),
    ("timeout", 3, False),
]


def sessions_per_payment(sdk, account: str) -> Counter:
    """Count the Checkout Sessions Stripe holds for each of our payments."""
    listed = sdk.v1.checkout.sessions.list({"limit": 100}, {"stripe_account": account})
    assert not listed.has_more
    return Counter(int(s.metadata["payment"]) for s in listed.data)


@pytest.mark.usefixtures("fast_stripe_timeout")
@pytest.mark.parametrize(("kind", "count", "recovers"), CHECKOUT_FAULTS)
def test_checkout_creation_faults_leave_one_session_per_payment(
    client, paid_webinar, stripe_sandbox, stripe_sdk, webhooks, kind, count, recovers
):
    stripe_sandbox.inject_fault(kind, count, delay=1.0, method="POST", path=CHECKOUT)

    response = register(client, paid_webinar)

    assert response.status_code == (303 if recovers else 200)
    if not recovers:
        # Nothing kept, nothing charged; the registrant simply tries again.
        assert TRY_AGAIN in response.text
        assert Registrant.objects.get().status == Registrant.Status.EXPIRED
        response = register(client, paid_webinar)
        assert response.status_code == 303
    session_id = session_id_of(response["Location"])
    assert stripe_sandbox.pay(session_id).status in (302, 303)
    assert {status for _type, status in webhooks.deliver_all()} == {200}

    account = stripe_sandbox.demo_account
    per_payment = sessions_per_payment(stripe_sdk, account)
    payments = list(Payment.objects.order_by("pk"))
    assert len(payments) == (1 if recovers else 2)
    # The idempotency key held across the SDK's retries: never two sessions
    # for one payment (a timed-out create was replayed, not repeated).
    assert all(per_payment[p.pk] <= 1 for p in payments)
    assert set(per_payment) <= {p.pk for p in payments}
    paid = Payment.objects.get(status=Payment.Status.PAID)
    assert per_payment[paid.pk] == 1
    assert paid.checkout_session_id == session_id
    confirmed = Registrant.objects.get(status=Registrant.Status.CONFIRMED)
    assert confirmed.payment == paid
    assert EmailLog.objects.filter(kind=EmailLog.Kind.CONFIRMATION).count() == 1


REFUND_FAULTS = [
    ("500", 3),
    ("429", 3),
    ("rate_limit", 1),
    ("timeout", 1),
    ("timeout", 3),
]


@pytest.mark.usefixtures("fast_stripe_timeout")
@pytest.mark.parametrize(("kind", "count"), REFUND_FAULTS)
def test_refund_faults_refund_each_request_exactly_once(
    paid, stripe_sandbox, django_capture_on_commit_callbacks, kind, count
):
    payment = paid.payment
    for amount in (1000, 1500):
        stripe_sandbox.inject_fault(
            kind, count, delay=1.0, method="POST", path="/v1/refunds"
        )
        with django_capture_on_commit_callbacks(execute=True):
            perform_action(
                registrant=paid,
                action="refund_partial",
                amount=amount,
                token=new_refund_token(),
                requested_by=None,
            )
        # The worker's retries of submit_refund_task, until Stripe answers.
        for _attempt in range(4):
            send_refunds(django_capture_on_commit_callbacks)
            if not Refund.objects.filter(status=Refund.Status.REQUESTED).exists():
                break

    at_stripe = stripe_refunds(payment)
    assert sorted(r.amount for r in at_stripe) == [1000, 1500]
    ours = Refund.objects.filter(payment=payment)
    assert sorted(ours.values_list("amount", "status")) == [
        (1000, Refund.Status.SUCCEEDED),
        (1500, Refund.Status.SUCCEEDED),
    ]
    assert set(ours.values_list("stripe_refund_id", flat=True)) == {
        r.id for r in at_stripe
    }
    payment.refresh_from_db()
    assert payment.amount_refunded == 2500


WEBHOOK_FAULTS = [("500", 3), ("rate_limit", 1), ("timeout", 3)]


@pytest.mark.usefixtures("fast_stripe_timeout")
@pytest.mark.parametrize(("kind", "count"), WEBHOOK_FAULTS)
def test_checkout_webhooks_failing_on_stripe_are_handled_once_when_retried(
    client, paid_webinar, stripe_sandbox, stripe_sdk, webhooks, kind, count
):
    response = register(client, paid_webinar)
    session_id = session_id_of(response["Location"])
    stripe_sandbox.pay(session_id)
    deliveries = webhooks.collect()
    assert deliveries
    # The signed event shows the session paid; the handler reads its
    # PaymentIntent (the fees) from Stripe, which fails now.
    stripe_sandbox.inject_fault(
        kind, count, delay=1.0, method="GET", path="/v1/payment_intents"
    )

    first = webhooks.deliver(deliveries)

    # Not acknowledged, so Stripe delivers it again later.
    assert 500 in first
    assert Registrant.objects.get().status == Registrant.Status.PENDING
    # Stripe's retry, then a duplicate of it.
    assert webhooks.deliver(deliveries) == [200] * len(deliveries)
    assert webhooks.deliver(deliveries) == [200] * len(deliveries)
    registrant = Registrant.objects.get()
    assert registrant.status == Registrant.Status.CONFIRMED
    assert Payment.objects.get().status == Payment.Status.PAID
    assert sessions_per_payment(stripe_sdk, stripe_sandbox.demo_account) == {
        registrant.payment_id: 1
    }
    assert EmailLog.objects.filter(kind=EmailLog.Kind.CONFIRMATION).count() == 1


@pytest.mark.usefixtures("fast_stripe_timeout")
@pytest.mark.parametrize(("kind", "count"), WEBHOOK_FAULTS)
def test_a_dashboard_refund_webhook_failing_on_stripe_is_recorded_once(
    paid,
    stripe_sandbox,
    webhook_receiver,
    client,
    django_capture_on_commit_callbacks,
    kind,
    count,
):
    hooks = Webhooks(stripe_sandbox, webhook_receiver, client)
    payment = paid.payment
    stripe_sandbox.dashboard_refund(charge=payment.charge_id, amount=1200)
    events = hooks.collect("charge.refunded")
    assert len(events) == 1
    # The Charge in the event lists no refunds: the product asks Stripe.
    stripe_sandbox.inject_fault(kind, count, delay=1.0, method="GET", path="/v1/")

    with django_capture_on_commit_callbacks(execute=True):
        assert hooks.deliver(events) == [500]
    assert not Refund.objects.exists()
    for _retry in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert hooks.deliver(events) == [200]

    row = Refund.objects.get()
    assert row.external
    assert row.amount == 1200
    assert row.status == Refund.Status.SUCCEEDED
    assert [r.id for r in stripe_refunds(payment)] == [row.stripe_refund_id]
    payment.refresh_from_db()
    assert payment.amount_refunded == 1200
    assert (
        gateway.retrieve_payment(
            account=payment.stripe_account_id, payment_intent=payment.payment_intent_id
        ).amount_refunded
        == 1200
    )
