"""Refunds follow Stripe through webhooks: pending, succeeded, failed, dashboard."""

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from payments import gateway
from payments.models import Payment, Refund, StripeEvent
from registrations.emails.sending import send_due_emails
from registrations.models import EmailLog, Registrant
from registrations.refunds.ledger import (
    RefundError,
    new_refund_token,
    refundable_amount,
)
from registrations.refunds.organizer_actions import perform_action, plan_action
from registrations.refunds.reports import refund_warnings
from registrations.refunds.stripe_sync import retry_requested_refunds
from tests.registrations.checkout_support import Webhooks, send_refunds
from tests.registrations.refund_support import (
    pay_registrant,
    refunded_in_stripe,
    register_and_pay,
)
from tests.webhook_worker import post_webhook, post_webhook_response

pytestmark = pytest.mark.django_db


@pytest.fixture
def hooks(stripe_sandbox, webhook_receiver, client, paid):
    webhooks = Webhooks(stripe_sandbox, webhook_receiver, client)
    return webhooks


def settle(sandbox, hooks, row, status, capture):
    """Let Stripe settle a pending refund; deliver its events; return them."""
    sandbox.settle_refund(row.stripe_refund_id, status)
    with capture(execute=True):
        return hooks.deliver_all()


def refund(paid, capture, *, action="refund_partial", amount=2000, user=None):
    with capture(execute=True):
        row = perform_action(
            registrant=paid,
            action=action,
            amount=amount,
            token=new_refund_token(),
            requested_by=user,
        )
    # Stripe is asked in the background: the row waits for the worker.
    assert row.status == Refund.Status.REQUESTED
    send_refunds(capture)
    row.refresh_from_db()
    return row


def test_pending_refund_succeeds_through_the_webhook(
    paid, hooks, stripe_sandbox, django_capture_on_commit_callbacks
):
    stripe_sandbox.refunds_pending()
    row = refund(paid, django_capture_on_commit_callbacks)
    assert row.status == Refund.Status.PENDING
    paid.payment.refresh_from_db()
    assert paid.payment.amount_refunded == 0
    assert refundable_amount(paid.payment) == 3000
    assert not EmailLog.objects.filter(kind="refund").exists()

    with django_capture_on_commit_callbacks(execute=True):
        assert all(status == 200 for _, status in hooks.deliver_all())
    delivered = settle(
        stripe_sandbox, hooks, row, "succeeded", django_capture_on_commit_callbacks
    )
    assert ("refund.updated", 200) in delivered
    row.refresh_from_db()
    assert row.status == Refund.Status.SUCCEEDED
    paid.payment.refresh_from_db()
    assert paid.payment.amount_refunded == 2000
    assert EmailLog.objects.filter(registrant=paid, kind="refund").count() == 1


def test_failed_refund_is_flagged_with_stripes_reason_and_refundable_again(
    paid,
    hooks,
    stripe_sandbox,
    organizer,
    login,
    django_capture_on_commit_callbacks,
):
    stripe_sandbox.refunds_pending()
    row = refund(
        paid, django_capture_on_commit_callbacks, action="cancel_full", amount=None
    )
    assert refundable_amount(paid.payment) == 0
    delivered = settle(
        stripe_sandbox, hooks, row, "failed", django_capture_on_commit_callbacks
    )
    assert ("refund.failed", 200) in delivered
    row.refresh_from_db()
    assert row.status == Refund.Status.FAILED
    assert row.failure_reason
    assert refundable_amount(paid.payment) == 5000
    paid.refresh_from_db()
    assert paid.status == Registrant.Status.CANCELLED
    assert paid.payment.amount_refunded == 0
    assert not EmailLog.objects.filter(kind="refund").exists()
    send_due_emails()
    assert [m.to for m in mail.outbox if "refund failed" in m.subject] == [
        [organizer.email]
    ]
    warnings = refund_warnings(organizer)
    assert any("failed" in text for text in warnings)
    overview = reverse("registrations:refunds_overview", args=[paid.webinar_id])
    page = login(organizer).get(overview)
    assert row.failure_reason in page.content.decode()

    # Refunding again clears the warning.
    refund(paid, django_capture_on_commit_callbacks, amount=5000)
    assert not any("failed" in text for text in refund_warnings(organizer))


def test_duplicate_and_reversed_events_leave_the_same_state(
    paid, hooks, stripe_sandbox, django_capture_on_commit_callbacks
):
    stripe_sandbox.refunds_pending()
    stripe_sandbox.hold_deliveries()
    row = refund(paid, django_capture_on_commit_callbacks)
    # Forget what the API answered: only the webhooks tell the story.
    Refund.objects.filter(pk=row.pk).update(
        status=Refund.Status.REQUESTED, stripe_refund_id=None
    )
    stripe_sandbox.settle_refund(_stripe_id(paid), "succeeded")
    stripe_sandbox.release("in_order")
    with django_capture_on_commit_callbacks(execute=True):
        deliveries = hooks.pending()
        for delivery in [*reversed(deliveries), *deliveries]:
            status = post_webhook(
                hooks.client, delivery.body, delivery.headers["stripe-signature"]
            )
            assert status == 200
    row.refresh_from_db()
    assert row.status == Refund.Status.SUCCEEDED
    assert Refund.objects.count() == 1
    paid.payment.refresh_from_db()
    assert paid.payment.amount_refunded == 2000
    assert EmailLog.objects.filter(kind="refund").count() == 1


def _stripe_id(paid):
    found = gateway.list_refunds_for_payment(
        account=paid.payment.stripe_account_id,
        payment_intent=paid.payment.payment_intent_id,
    )
    return found[0].id


def test_full_dashboard_refund_is_recorded_and_cancels_the_registration(
    paid, hooks, stripe_sandbox, django_capture_on_commit_callbacks
):
    stripe_sandbox.dashboard_refund(payment_intent=paid.payment.payment_intent_id)
    with django_capture_on_commit_callbacks(execute=True):
        delivered = hooks.deliver_all()
    assert {("charge.refunded", 200), ("refund.created", 200)} <= set(delivered)
    row = Refund.objects.get()
    assert row.external
    assert row.status == Refund.Status.SUCCEEDED
    assert row.amount == 5000
    paid.refresh_from_db()
    assert paid.status == Registrant.Status.REFUNDED
    assert paid.cancelled_at is not None
    assert paid.payment.status == Payment.Status.REFUNDED
    assert paid.payment.amount_refunded == 5000


def test_a_dashboard_refund_is_recorded_from_charge_refunded_alone(
    paid, hooks, stripe_sandbox, django_capture_on_commit_callbacks
):
    # An endpoint that enables charge.refunded but no refund.* events: the
    # Charge in the event lists no refunds, so the product must ask Stripe.
    stripe_sandbox.dashboard_refund(charge=paid.payment.charge_id, amount=1200)
    charge_events = hooks.collect("charge.refunded")

    with django_capture_on_commit_callbacks(execute=True):
        statuses = hooks.deliver(charge_events)

    assert statuses == [200]
    assert "refunds" not in charge_events[0].json()["data"]["object"]
    row = Refund.objects.get()
    assert row.external
    assert row.status == Refund.Status.SUCCEEDED
    assert row.amount == 1200
    assert row.stripe_refund_id.startswith("re_")
    paid.refresh_from_db()
    assert paid.payment.amount_refunded == 1200


def test_charge_refunded_for_no_payment_of_ours_asks_stripe_nothing(
    paid, client, stripe_sandbox
):
    # The sandbox would answer 500 to a Stripe call: none must be made.
    stripe_sandbox.inject_fault("500", count=5)
    charge = {"id": "ch_not_ours", "object": "charge", "payment_intent": "pi_x"}

    account = paid.payment.stripe_account_id

    response = post_event(client, "charge.refunded", charge, account=account)

    assert response.status_code == 200
    assert not Refund.objects.exists()


def test_partial_dashboard_refund_keeps_the_registration(
    paid, hooks, stripe_sandbox, django_capture_on_commit_callbacks
):
    stripe_sandbox.dashboard_refund(charge=paid.payment.charge_id, amount=1500)
    with django_capture_on_commit_callbacks(execute=True):
        hooks.deliver_all()
    row = Refund.objects.get()
    assert row.external and row.amount == 1500
    paid.refresh_from_db()
    assert paid.status == Registrant.Status.CONFIRMED
    assert paid.payment.amount_refunded == 1500
    assert refundable_amount(paid.payment) == 3500


def test_dashboard_refund_during_our_refund_never_exceeds_what_was_paid(
    paid, hooks, stripe_sandbox, settings, django_capture_on_commit_callbacks
):
    # Our refund row exists, Stripe is down, and someone refunds everything
    # in the dashboard meanwhile: our refund must fail, not double the money.
    stripe_sandbox.inject_fault("500", count=3)
    row = refund(paid, django_capture_on_commit_callbacks, amount=3000)
    assert row.status == Refund.Status.REQUESTED
    stripe_sandbox.dashboard_refund(charge=paid.payment.charge_id)
    with django_capture_on_commit_callbacks(execute=True):
        hooks.deliver_all()
        retry_requested_refunds(older_than=timedelta(0))
    row.refresh_from_db()
    assert row.status == Refund.Status.FAILED
    paid.payment.refresh_from_db()
    assert paid.payment.amount_refunded == 5000 == refunded_in_stripe(paid.payment)
    assert refundable_amount(paid.payment) == 0


def test_refund_event_of_another_account_is_ignored(
    paid, client, django_capture_on_commit_callbacks
):
    other = {
        "id": "re_other",
        "object": "refund",
        "amount": 5000,
        "status": "succeeded",
        "payment_intent": paid.payment.payment_intent_id,
        "charge": paid.payment.charge_id,
        "metadata": {},
    }
    response = post_event(client, "refund.created", other, account="acct_other")
    assert response.status_code == 200
    assert not Refund.objects.exists()


def post_event(client, event_type, obj, *, account):
    payload = json.dumps(
        {
            "id": f"evt_test_{time.time_ns()}",
            "object": "event",
            "type": event_type,
            "account": account,
            "created": int(time.time()),
            "livemode": False,
            "data": {"object": obj},
        }
    )
    signature = _sign(payload)
    return post_webhook_response(client, payload, signature)


def _sign(payload: str) -> str:
    timestamp = int(time.time())
    digest = hmac.new(
        b"whsec_sandbox_connect",
        f"{timestamp}.{payload}".encode(),
        hashlib.sha256,
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


def test_dispute_flags_the_payment_and_tells_the_organizer(
    paid, hooks, stripe_sandbox, organizer, django_capture_on_commit_callbacks
):
    dispute = stripe_sandbox.dispute(paid.payment.charge_id, reason="fraudulent")
    with django_capture_on_commit_callbacks(execute=True):
        assert ("charge.dispute.created", 200) in hooks.deliver_all()
    payment = Payment.objects.get(pk=paid.payment_id)
    assert payment.disputed_at is not None
    assert payment.dispute_id == dispute["id"]
    assert payment.dispute_reason == "fraudulent"
    assert payment.dispute_closed_at is None
    send_due_emails()
    assert [m.to for m in mail.outbox if "disputed" in m.subject] == [[organizer.email]]
    assert any("disputed" in w for w in refund_warnings(organizer))
    with pytest.raises(RefundError):
        plan_action(registrant=Registrant.objects.get(pk=paid.pk), action="cancel_full")

    stripe_sandbox.close_dispute(dispute["id"], "lost")
    with django_capture_on_commit_callbacks(execute=True):
        assert ("charge.dispute.closed", 200) in hooks.deliver_all()
    payment.refresh_from_db()
    assert payment.dispute_status == "lost"
    assert payment.dispute_closed_at is not None


def test_dispute_on_an_unknown_charge_answers_200_and_changes_nothing(
    stripe_sandbox, webhook_receiver, client, acct, webinar
):
    # A charge paid on Stripe that this app never recorded.
    registrant = pay_registrant(sandbox=stripe_sandbox, webinar=webinar, account=acct)
    charge = registrant.payment.charge_id
    Registrant.objects.all().delete()
    Payment.objects.all().delete()
    hooks = Webhooks(stripe_sandbox, webhook_receiver, client)
    stripe_sandbox.dispute(charge)
    assert hooks.deliver_all() == [("charge.dispute.created", 200)]
    event = StripeEvent.objects.get(type="charge.dispute.created")
    assert event.processed_at is not None and not event.error


def test_registered_through_the_product_then_refunded_in_app_and_in_stripe(
    stripe_sandbox,
    webhook_receiver,
    client,
    webinar,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        registrant = register_and_pay(
            sandbox=stripe_sandbox, webinar=webinar, email="flow@example.com"
        )
    hooks = Webhooks(stripe_sandbox, webhook_receiver, client)
    hooks.skip()
    assert registrant.payment.stripe_fee
    refund(registrant, django_capture_on_commit_callbacks, amount=1000)
    stripe_sandbox.dashboard_refund(
        payment_intent=registrant.payment.payment_intent_id, amount=4000
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert all(status == 200 for _, status in hooks.deliver_all())
    registrant.refresh_from_db()
    payment = registrant.payment
    assert payment.amount_refunded == 5000 == refunded_in_stripe(payment)
    assert [r.external for r in payment.refunds.order_by("pk")] == [False, True]
    # The dashboard refund completed the refund: the seat goes with the money.
    assert registrant.status == Registrant.Status.REFUNDED
