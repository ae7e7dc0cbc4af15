"""Late and duplicate payments: a seat only when one is free, else a full refund."""

from datetime import timedelta

import pytest
from django.utils import timezone

from payments.models import Payment, Refund
from registrations.capacity import seats_taken
from registrations.models import Registrant, SeatHold
from tests.registrations.checkout_support import (
    register,
    run_refund_tasks,
    send_refunds,
    session_id_of,
    success_path,
)
from tests.registrations.refund_support import refunded_in_stripe

pytestmark = pytest.mark.django_db


def _lapse_holds(registrant: Registrant) -> None:
    """Let a registrant's hold pass its expiry without the sweep running."""
    SeatHold.objects.filter(registrant=registrant).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )


def pay_and_return(client, webinar, sandbox, session_id, capture):
    """Pay a Checkout late, land on its success page, and let the worker refund."""
    sandbox.pay(session_id)
    with capture(execute=True):
        client.get(success_path(webinar, session_id))
    send_refunds(capture)


def test_late_payment_of_an_expired_unswept_hold_is_refunded_when_the_seat_was_resold(
    client, paid_webinar, stripe_sandbox, django_capture_on_commit_callbacks
):
    paid_webinar.registration_limit = 1
    paid_webinar.save()
    late_id = session_id_of(register(client, paid_webinar)["Location"])
    late = Registrant.objects.get()
    _lapse_holds(late)
    grace_id = session_id_of(
        register(client, paid_webinar, email="grace@example.com")["Location"]
    )
    stripe_sandbox.pay(grace_id)
    client.get(success_path(paid_webinar, grace_id))
    pay_and_return(
        client,
        paid_webinar,
        stripe_sandbox,
        late_id,
        django_capture_on_commit_callbacks,
    )

    late.refresh_from_db()
    assert late.status == Registrant.Status.REFUNDED
    assert Registrant.objects.get(email="grace@example.com").status == (
        Registrant.Status.CONFIRMED
    )
    assert seats_taken(webinar=paid_webinar) == 1
    assert refunded_in_stripe(late.payment) == 5000


def test_late_payment_of_an_expired_hold_keeps_a_seat_that_is_still_free(
    client, paid_webinar, stripe_sandbox
):
    session_id = session_id_of(register(client, paid_webinar)["Location"])
    _lapse_holds(Registrant.objects.get())
    stripe_sandbox.pay(session_id)

    client.get(success_path(paid_webinar, session_id))

    assert Registrant.objects.get().status == Registrant.Status.CONFIRMED
    assert not Refund.objects.exists()


def test_second_payment_of_an_already_registered_email_is_refunded(
    client, paid_webinar, stripe_sandbox, django_capture_on_commit_callbacks
):
    first_id = session_id_of(register(client, paid_webinar)["Location"])
    first = Registrant.objects.get()
    # The first hold lapses unswept, so a second checkout opens for the email.
    _lapse_holds(first)
    second_id = session_id_of(register(client, paid_webinar)["Location"])
    assert second_id != first_id
    stripe_sandbox.pay(second_id)
    client.get(success_path(paid_webinar, second_id))
    pay_and_return(
        client,
        paid_webinar,
        stripe_sandbox,
        first_id,
        django_capture_on_commit_callbacks,
    )

    first.refresh_from_db()
    assert first.status == Registrant.Status.REFUNDED
    assert "auto_refunded" in first.emails.values_list("kind", flat=True)
    assert Registrant.objects.filter(status=Registrant.Status.CONFIRMED).count() == 1
    assert refunded_in_stripe(first.payment) == 5000
    assert seats_taken(webinar=paid_webinar) == 1


def test_automatic_refund_is_queued_not_sent_inside_the_request(
    client, paid_webinar, stripe_sandbox, django_capture_on_commit_callbacks
):
    session_id = session_id_of(register(client, paid_webinar)["Location"])
    Payment.objects.update(amount=4000)  # Stripe charges 50.00: refunded
    stripe_sandbox.pay(session_id)

    with django_capture_on_commit_callbacks(execute=True):
        client.get(success_path(paid_webinar, session_id))

    refund = Refund.objects.get()
    assert refund.status == Refund.Status.REQUESTED
    assert refunded_in_stripe(refund.payment) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert run_refund_tasks() == [Refund.Status.SUCCEEDED]
    assert refunded_in_stripe(refund.payment) == 5000
