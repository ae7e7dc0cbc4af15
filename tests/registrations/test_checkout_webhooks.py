"""Checkout webhooks: any order, any duplicates, same state as one clean delivery."""

import json
import time

import pytest
import stripe

from payments.models import Payment, Refund, StripeEvent
from registrations.capacity import seats_taken
from registrations.checkout import release_expired_holds
from registrations.models import Registrant, SeatHold
from tests import webhook_worker
from tests.payments.test_webhook_endpoint import signed
from tests.registrations.checkout_support import (
    make_paid_webinar,
    pay_a_wrong_amount,
    register,
    send_refunds,
    session_id_of,
    snapshot,
    success_path,
)
from tests.webhook_worker import post_webhook_response

pytestmark = pytest.mark.django_db
# Signing secrets of the sandbox: platform events, Connect events.
SECRETS = {False: "whsec_sandbox", True: "whsec_sandbox_connect"}


def paid_flow(client, webinar, sandbox, webhooks, *, card="4242 4242 4242 4242"):
    """Register and pay; return (session id, checkout.session.* deliveries)."""
    session_id = session_id_of(register(client, webinar)["Location"])
    sandbox.pay(session_id, card=card)
    return session_id, webhooks.collect()


def test_completed_webhook_confirms_the_registrant(
    client, paid_webinar, stripe_sandbox, webhooks
):
    _session_id, deliveries = paid_flow(client, paid_webinar, stripe_sandbox, webhooks)

    assert [d.json()["type"] for d in deliveries] == ["checkout.session.completed"]
    assert webhooks.deliver(deliveries) == [200]
    registrant = Registrant.objects.get()
    assert registrant.status == Registrant.Status.CONFIRMED
    assert registrant.payment.status == Payment.Status.PAID
    assert registrant.payment.stripe_fee > 0


def clean_state(client, webinar, sandbox, webhooks):
    paid_flow(client, webinar, sandbox, webhooks)
    return snapshot(webinar)


def test_every_event_delivered_twice_ends_like_one_delivery(
    client, paid_webinar, stripe_sandbox, webhooks
):
    _sid, deliveries = paid_flow(client, paid_webinar, stripe_sandbox, webhooks)
    webhooks.deliver(deliveries)
    once = snapshot(paid_webinar)

    stripe_sandbox.redeliver(deliveries[0].json()["id"])
    duplicates = webhooks.collect()
    assert len(duplicates) == 1
    assert webhooks.deliver(duplicates + deliveries) == [200, 200]

    assert snapshot(paid_webinar) == once
    assert StripeEvent.objects.count() == 1
    assert once[0][1] == "confirmed"


def test_async_events_in_reverse_order_and_twice_end_like_in_order(
    client, paid_webinar, stripe_sandbox, webhooks
):
    _sid, first = paid_flow(
        client, paid_webinar, stripe_sandbox, webhooks, card="4000 0000 0000 0077"
    )
    intent = stripe_sandbox.object(first[0].json()["data"]["object"]["id"])[
        "payment_intent"
    ]
    stripe_sandbox.settle_payment(intent)
    second = webhooks.collect()
    deliveries = first + second
    assert [d.json()["type"] for d in deliveries] == [
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
    ]

    # Reverse order, each twice: success first, then the stale "unpaid" one.
    statuses = webhooks.deliver(list(reversed(deliveries)) * 2)

    assert statuses == [200, 200, 200, 200]
    registrant = Registrant.objects.get()
    assert registrant.status == Registrant.Status.CONFIRMED
    assert registrant.payment.status == Payment.Status.PAID
    assert list(registrant.emails.values_list("kind", flat=True)) == ["confirmation"]
    hold = SeatHold.objects.get()
    assert hold.consumed_at is not None


def test_reverse_order_gives_the_same_state_as_in_order(
    client, organizer, stripe_sandbox, webhooks
):

    results = []
    for order in ("in_order", "reverse", "twice_interleaved"):
        webinar = make_paid_webinar(
            owner=organizer, stripe_account=stripe_sandbox.demo_account
        )
        session_id, first = paid_flow(
            client, webinar, stripe_sandbox, webhooks, card="4000 0000 0000 0077"
        )
        intent = stripe_sandbox.object(session_id)["payment_intent"]
        stripe_sandbox.settle_payment(intent)
        deliveries = first + webhooks.collect()
        if order == "reverse":
            deliveries.reverse()
        if order == "twice_interleaved":
            client.get(success_path(webinar, session_id))
            webhooks.deliver(deliveries[1:])
            client.get(success_path(webinar, session_id))
            deliveries = deliveries + deliveries
        assert set(webhooks.deliver(deliveries)) == {200}
        results.append(snapshot(webinar))

    assert results[0] == results[1] == results[2]
    assert results[0][0][1] == "confirmed"


def test_success_page_and_webhook_interleaved_fulfil_once(
    client, paid_webinar, stripe_sandbox, webhooks
):
    session_id, deliveries = paid_flow(client, paid_webinar, stripe_sandbox, webhooks)

    client.get(success_path(paid_webinar, session_id))
    webhooks.deliver(deliveries)
    client.get(success_path(paid_webinar, session_id))
    stripe_sandbox.redeliver(deliveries[0].json()["id"])
    webhooks.deliver(webhooks.collect())

    registrant = Registrant.objects.get()
    assert registrant.status == Registrant.Status.CONFIRMED
    assert list(registrant.emails.values_list("kind", flat=True)) == ["confirmation"]
    assert Payment.objects.get().status == Payment.Status.PAID
    assert not Refund.objects.exists()


def test_expired_event_releases_the_seat(
    client, paid_webinar, stripe_sandbox, webhooks
):
    session_id = session_id_of(register(client, paid_webinar)["Location"])
    stripe_sandbox.expire(session_id)
    deliveries = webhooks.collect()
    assert [d.json()["type"] for d in deliveries] == ["checkout.session.expired"]

    assert webhooks.deliver(deliveries * 2) == [200, 200]

    registrant = Registrant.objects.get()
    assert registrant.status == Registrant.Status.EXPIRED
    assert registrant.payment.status == Payment.Status.EXPIRED
    assert seats_taken(webinar=paid_webinar) == 0


def test_amount_mismatch_is_flagged_refunded_and_not_fulfilled(
    client,
    paid_webinar,
    stripe_sandbox,
    webhooks,
    django_capture_on_commit_callbacks,
):
    pay_a_wrong_amount(client, paid_webinar, stripe_sandbox)

    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks.deliver(webhooks.collect()) == [200]
    send_refunds(django_capture_on_commit_callbacks)

    payment = Payment.objects.get()
    assert "5000" in payment.flagged_reason
    registrant = Registrant.objects.get()
    assert registrant.status in (
        Registrant.Status.CANCELLED,
        Registrant.Status.REFUNDED,
    )
    refund = Refund.objects.get()
    assert refund.amount == 5000
    assert refund.stripe_refund_id
    assert "auto_refunded" in registrant.emails.values_list("kind", flat=True)
    assert "confirmation" not in registrant.emails.values_list("kind", flat=True)


def test_currency_mismatch_is_flagged(client, paid_webinar, stripe_sandbox, webhooks):
    session_id = session_id_of(register(client, paid_webinar)["Location"])
    Payment.objects.update(currency="USD")
    stripe_sandbox.pay(session_id)

    webhooks.deliver(webhooks.collect())

    assert "eur" in Payment.objects.get().flagged_reason
    assert Registrant.objects.get().status != Registrant.Status.CONFIRMED


def test_late_payment_without_a_seat_is_refunded_automatically(
    client,
    paid_webinar,
    stripe_sandbox,
    webhooks,
    django_capture_on_commit_callbacks,
):
    paid_webinar.registration_limit = 1
    paid_webinar.save()
    late_id = session_id_of(register(client, paid_webinar)["Location"])
    late = Registrant.objects.get()
    # The hold lapses and the sweep gives the seat away.
    SeatHold.objects.update(expires_at=late.created_at)
    assert release_expired_holds() == 1
    register(client, paid_webinar, email="grace@example.com")
    grace_id = Payment.objects.exclude(pk=late.payment_id).get().checkout_session_id
    stripe_sandbox.pay(grace_id)
    stripe_sandbox.pay(late_id)

    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks.deliver(webhooks.collect()) == [200, 200]
    send_refunds(django_capture_on_commit_callbacks)

    late.refresh_from_db()
    assert late.status in (Registrant.Status.CANCELLED, Registrant.Status.REFUNDED)
    refund = Refund.objects.get()
    assert refund.payment_id == late.payment_id
    assert refund.amount == 5000
    assert refund.idempotency_key == f"tessera-auto-refund-{late.payment_id}"
    assert stripe_sandbox.object(refund.stripe_refund_id)["amount"] == 5000
    assert "auto_refunded" in late.emails.values_list("kind", flat=True)
    grace = Registrant.objects.get(email="grace@example.com")
    assert grace.status == Registrant.Status.CONFIRMED
    assert seats_taken(webinar=paid_webinar) == 1


def test_late_payment_with_a_free_seat_is_honoured(
    client, paid_webinar, stripe_sandbox, webhooks
):
    session_id = session_id_of(register(client, paid_webinar)["Location"])
    SeatHold.objects.update(expires_at=Registrant.objects.get().created_at)
    release_expired_holds()
    stripe_sandbox.pay(session_id)

    webhooks.deliver(webhooks.collect())

    assert Registrant.objects.get().status == Registrant.Status.CONFIRMED
    assert not Refund.objects.exists()


def test_payment_for_a_cancelled_webinar_is_refunded(
    client,
    paid_webinar,
    stripe_sandbox,
    webhooks,
    django_capture_on_commit_callbacks,
):
    from django.utils import timezone

    session_id = session_id_of(register(client, paid_webinar)["Location"])
    paid_webinar.cancelled_at = timezone.now()
    paid_webinar.save()
    stripe_sandbox.pay(session_id)

    with django_capture_on_commit_callbacks(execute=True):
        webhooks.deliver(webhooks.collect())

    assert Refund.objects.get().amount == 5000
    assert Registrant.objects.get().status != Registrant.Status.CONFIRMED


def status_after_delivery(client, webinar, sandbox, webhooks, **payment):
    """Pay, change our Payment row as given, deliver the events; return the status."""
    _sid, deliveries = paid_flow(client, webinar, sandbox, webhooks)
    Payment.objects.update(**payment)
    assert webhooks.deliver(deliveries) == [200]
    return Registrant.objects.get().status


def test_unknown_session_id_is_acknowledged_and_ignored(
    client, paid_webinar, stripe_sandbox, webhooks
):
    status = status_after_delivery(
        client, paid_webinar, stripe_sandbox, webhooks, checkout_session_id="cs_x"
    )
    assert status == Registrant.Status.PENDING


def test_event_of_another_account_is_ignored(
    client, paid_webinar, stripe_sandbox, webhooks
):
    status = status_after_delivery(
        client, paid_webinar, stripe_sandbox, webhooks, stripe_account_id="acct_else"
    )
    assert status == Registrant.Status.PENDING


def test_session_whose_id_never_reached_us_is_found_by_metadata(
    client, paid_webinar, stripe_sandbox, webhooks
):
    status = status_after_delivery(
        client, paid_webinar, stripe_sandbox, webhooks, checkout_session_id=None
    )
    assert status == Registrant.Status.CONFIRMED


def post_webhook(client, body: str, *, signed_at: int | None = None, signature=""):
    """Post a raw body to the webhook, signed with the sandbox's secret at a time."""
    if signed_at is not None:
        signature = stripe.WebhookSignature._compute_signature(
            f"{signed_at}.{body}", "whsec_sandbox_connect"
        )
    return post_webhook_response(client, body, f"t={signed_at or 1},v1={signature}")


def test_webhook_with_a_bad_signature_is_a_400(client, paid_webinar, stripe_sandbox):
    body = json.dumps({"id": "evt_1", "type": "checkout.session.completed"})
    response = post_webhook(client, body, signature="deadbeef")
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


def test_webhook_with_a_stale_timestamp_is_a_400(client, paid_webinar, stripe_sandbox):
    body = json.dumps({"id": "evt_2", "type": "checkout.session.completed"})
    response = post_webhook(client, body, signed_at=int(time.time()) - 3600)
    assert response.status_code == 400


def test_signed_but_malformed_event_is_a_400(client, paid_webinar, stripe_sandbox):
    body = '{"id": "evt_3", "type": '
    response = post_webhook(client, body, signed_at=int(time.time()))
    assert response.status_code == 400


def test_stripe_down_during_the_webhook_answers_500_so_stripe_retries(
    client, paid_webinar, stripe_sandbox, webhooks
):
    _sid, deliveries = paid_flow(client, paid_webinar, stripe_sandbox, webhooks)
    # The SDK tries three times (two retries), all failing.
    stripe_sandbox.inject_fault("500", count=3)

    assert webhooks.deliver(deliveries) == [500]
    assert Registrant.objects.get().status == Registrant.Status.PENDING

    assert webhooks.deliver(deliveries) == [200]
    assert Registrant.objects.get().status == Registrant.Status.CONFIRMED


def test_a_paid_completed_event_confirms_without_reading_the_session_again(
    client, paid_webinar, stripe_sandbox, webhooks
):
    """The signed event shows the session complete and paid, a state it never
    leaves: only the PaymentIntent (fees) is read, even if session reads fail."""
    _sid, deliveries = paid_flow(client, paid_webinar, stripe_sandbox, webhooks)
    stripe_sandbox.inject_fault(
        "rate_limit", count=5, method="GET", path="/v1/checkout/sessions"
    )

    assert webhooks.deliver(deliveries) == [200]

    registrant = Registrant.objects.get()
    assert registrant.status == Registrant.Status.CONFIRMED
    assert registrant.payment.stripe_fee > 0


def test_an_event_showing_an_open_session_asks_stripe(
    client, paid_webinar, stripe_sandbox, webhooks
):
    """Not a final state: the session is read again; a failing read fails it."""
    _sid, deliveries = paid_flow(client, paid_webinar, stripe_sandbox, webhooks)
    body = deliveries[0].json()
    body["id"] = "evt_open_copy"
    body["data"]["object"].update(status="open", payment_status="unpaid")
    stripe_sandbox.inject_fault(
        "rate_limit", count=1, method="GET", path="/v1/checkout/sessions"
    )

    secret = SECRETS[bool(body.get("account"))]
    assert webhook_worker.post_webhook(client, *signed(body, secret)) == 500

    assert Registrant.objects.get().status == Registrant.Status.PENDING
    assert (
        "StripeUnavailable" in StripeEvent.objects.get(event_id="evt_open_copy").error
    )
