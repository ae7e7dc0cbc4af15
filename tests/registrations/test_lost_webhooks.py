"""Every webhook lost: the events sweep still confirms a paying registrant in time.

Over HTTP end to end: the registration form, the sandbox's hosted checkout
page, Stripe's event list. Deliveries are dropped by the sandbox, and the
registrant closes the tab after paying, so the success page is never seen.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from payments.event_recovery import recover_events_task
from payments.models import Payment, StripeEvent
from registrations.checkout import reconcile_checkouts_task
from registrations.models import Registrant, SeatHold
from tests.registrations.checkout_support import email_kinds, register, session_id_of

pytestmark = pytest.mark.django_db

BEAT = timedelta(seconds=60)
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    """Pin the day; the sandbox runs in this process and reads the same clock."""
    with time_machine.travel(START, tick=True) as traveller:
        yield traveller


@pytest.fixture
def lost(stripe_sandbox, webhook_receiver):
    """Register the app's webhook endpoints, then lose every delivery."""
    stripe_sandbox.register_app_webhooks(webhook_receiver.url)
    stripe_sandbox.drop_deliveries("all")
    return webhook_receiver


def test_a_paid_registrant_is_confirmed_at_the_first_sweep_after_every_webhook_is_lost(
    client, clock, paid_webinar, stripe_sandbox, lost
):
    session_id = session_id_of(register(client, paid_webinar)["Location"])
    # Paid on the hosted page; the tab closes before the success page loads.
    answer = stripe_sandbox.pay(session_id)
    assert answer.status in (302, 303)
    stripe_sandbox.drain_webhooks()
    intent = stripe_sandbox.object(stripe_sandbox.object(session_id)["payment_intent"])
    paid_at = datetime.fromtimestamp(intent["created"], UTC)
    assert lost.deliveries == []
    assert stripe_sandbox.state()["dropped"] > 0
    assert Registrant.objects.get().status == Registrant.Status.PENDING

    # The next beat: at worst one interval after the payment.
    clock.shift(BEAT)
    assert recover_events_task() >= 1

    registrant = Registrant.objects.get()
    assert registrant.status == Registrant.Status.CONFIRMED
    assert registrant.payment.status == Payment.Status.PAID
    assert email_kinds(registrant) == ["confirmation"]
    assert SeatHold.objects.get().consumed_at is not None
    recovery = registrant.confirmed_at - paid_at
    # Within one beat (plus the test's own run time), well inside 2 minutes.
    assert BEAT <= recovery < BEAT + timedelta(seconds=5)
    # Nothing is left for the 33-minute reconciliation backstop, nor twice.
    assert recover_events_task() == 0
    clock.shift(timedelta(minutes=40))
    reconcile_checkouts_task()
    assert email_kinds(Registrant.objects.get()) == ["confirmation"]
    assert StripeEvent.objects.filter(type="checkout.session.completed").count() == 1


def test_a_lost_expiry_webhook_releases_the_seat_at_the_next_sweep(
    client, clock, paid_webinar, stripe_sandbox, lost
):
    session_id = session_id_of(register(client, paid_webinar)["Location"])
    stripe_sandbox.expire(session_id)
    stripe_sandbox.drain_webhooks()
    assert lost.deliveries == []

    clock.shift(BEAT)
    recover_events_task()

    assert Payment.objects.get().status == Payment.Status.EXPIRED
    assert Registrant.objects.get().status == Registrant.Status.EXPIRED
    assert SeatHold.objects.get().released_at is not None


def test_reconcile_remains_the_backstop_when_stripe_lists_no_events(
    client, clock, paid_webinar, stripe_sandbox, lost
):
    session_id = session_id_of(register(client, paid_webinar)["Location"])
    stripe_sandbox.pay(session_id)
    # Stripe's event list is out too (the next two list calls fail).
    stripe_sandbox.inject_fault("rate_limit", count=2)
    clock.shift(BEAT)
    recover_events_task()
    assert Registrant.objects.get().status == Registrant.Status.PENDING

    clock.shift(timedelta(minutes=34))
    assert reconcile_checkouts_task() == 1

    assert Registrant.objects.get().status == Registrant.Status.CONFIRMED
