"""Review findings: seats, duplicate payments, refunds in flight, sweeps, cancels."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from payments.models import Payment, Refund
from registrations.approval import deny_registrant
from registrations.capacity import seats_taken
from registrations.checkout import RECONCILE_BATCH, reconcile_checkouts
from registrations.models import Registrant, SeatHold
from registrations.refunds.cancellation import cancel_webinar
from registrations.refunds.ledger import new_refund_token
from registrations.refunds.organizer_actions import Action, perform_action
from tests import factories
from tests.registrations.checkout_support import (
    make_paid_webinar,
    register,
    run_refund_tasks,
    session_id_of,
    success_path,
)
from tests.registrations.refund_support import refunded_in_stripe
from tests.sandbox_fixtures import ASYNC_CARD

pytestmark = pytest.mark.django_db


def _lapse_holds(registrant: Registrant) -> None:
    """Let a registrant's hold pass its expiry without the sweep running."""
    SeatHold.objects.filter(registrant=registrant).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )


# -- 1. an expired, unswept hold does not keep a seat that was sold again --------


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
    stripe_sandbox.pay(late_id)

    with django_capture_on_commit_callbacks(execute=True):
        client.get(success_path(paid_webinar, late_id))
    with django_capture_on_commit_callbacks(execute=True):
        run_refund_tasks()

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


# -- 2. denying after a partial refund in flight -------------------------------------


def test_deny_after_a_pending_partial_refund_never_refunds_more_than_paid(
    client, organizer, stripe_sandbox, django_capture_on_commit_callbacks
):
    webinar = make_paid_webinar(
        owner=organizer, stripe_account=stripe_sandbox.demo_account, approval="manual"
    )
    session_id = session_id_of(register(client, webinar)["Location"])
    stripe_sandbox.pay(session_id)
    client.get(success_path(webinar, session_id))
    registrant = Registrant.objects.get()
    assert registrant.status == Registrant.Status.AWAITING
    # Created but not sent yet: in flight.
    partial = perform_action(
        registrant=registrant,
        action=Action.REFUND_PARTIAL,
        amount=2000,
        token=new_refund_token(),
        requested_by=None,
    )
    assert partial.status == Refund.Status.REQUESTED

    deny_registrant(registrant=registrant)
    with django_capture_on_commit_callbacks(execute=True):
        run_refund_tasks()

    payment = Payment.objects.get()
    assert sorted(payment.refunds.values_list("amount", flat=True)) == [2000, 3000]
    assert refunded_in_stripe(payment) == 5000


# -- 3. one email, one seat, one payment ---------------------------------------------


def test_registering_again_with_the_same_email_goes_back_to_the_open_checkout(
    client, paid_webinar, stripe_sandbox
):
    first = register(client, paid_webinar)["Location"]

    again = register(client, paid_webinar, email="ADA@example.com")

    assert again.status_code == 303
    assert again["Location"] == first
    assert Registrant.objects.count() == 1
    assert Payment.objects.count() == 1
    assert seats_taken(webinar=paid_webinar) == 1


def test_registering_again_with_another_code_expires_the_earlier_checkout(
    client, paid_webinar, stripe_sandbox, django_capture_on_commit_callbacks
):
    factories.DiscountCodeFactory(webinar=paid_webinar, code="HALF", amount=2500)
    first_id = session_id_of(register(client, paid_webinar)["Location"])

    with django_capture_on_commit_callbacks(execute=True):
        again = register(client, paid_webinar, discount_code="HALF")

    assert again.status_code == 303
    assert session_id_of(again["Location"]) != first_id
    assert stripe_sandbox.object(first_id)["status"] == "expired"
    earlier, latest = Registrant.objects.order_by("pk")
    assert earlier.status == Registrant.Status.EXPIRED
    assert latest.status == Registrant.Status.PENDING
    assert latest.payment.amount == 2500
    assert seats_taken(webinar=paid_webinar) == 1


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
    stripe_sandbox.pay(first_id)

    with django_capture_on_commit_callbacks(execute=True):
        client.get(success_path(paid_webinar, first_id))
    with django_capture_on_commit_callbacks(execute=True):
        run_refund_tasks()

    first.refresh_from_db()
    assert first.status == Registrant.Status.REFUNDED
    assert "auto_refunded" in first.emails.values_list("kind", flat=True)
    assert Registrant.objects.filter(status=Registrant.Status.CONFIRMED).count() == 1
    assert refunded_in_stripe(first.payment) == 5000
    assert seats_taken(webinar=paid_webinar) == 1


def test_register_posts_are_rate_limited_per_client_address(webinar):
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(10):
        assert register(client, webinar, email="not-an-email").status_code != 429

    blocked = register(client, webinar, email="not-an-email")

    assert blocked.status_code == 429
    assert "Too many registration attempts" in blocked.content.decode()
    other = Client(REMOTE_ADDR="203.0.113.8")
    assert register(other, webinar, email="not-an-email").status_code != 429
    assert client.get(webinar.get_registration_url()).status_code == 200


# -- 4. processing payments do not starve the reconcile sweep -------------------------


def test_marking_a_payment_processing_pushes_its_next_check_forward(
    client, paid_webinar, stripe_sandbox
):
    session_id = session_id_of(register(client, paid_webinar)["Location"])
    stripe_sandbox.pay(session_id, card=ASYNC_CARD)

    client.get(success_path(paid_webinar, session_id))

    payment = Payment.objects.get()
    assert payment.status == Payment.Status.PROCESSING
    assert payment.expires_at > timezone.now() + timedelta(minutes=50)
    assert reconcile_checkouts() == 0


def test_open_payment_is_reconciled_despite_many_stale_processing_ones(
    client, paid_webinar, stripe_sandbox
):
    session_id = session_id_of(register(client, paid_webinar)["Location"])
    stripe_sandbox.pay(session_id)  # its webhook is lost
    now = timezone.now()
    Payment.objects.update(expires_at=now - timedelta(minutes=10))
    Payment.objects.bulk_create(
        Payment(
            account=paid_webinar.account,
            webinar=paid_webinar,
            stripe_account_id=stripe_sandbox.demo_account,
            checkout_session_id=f"cs_test_processing_{n}",
            amount=5000,
            currency="EUR",
            status=Payment.Status.PROCESSING,
            expires_at=now - timedelta(days=1),
        )
        for n in range(150)
    )

    reconcile_checkouts()

    assert Registrant.objects.get().status == Registrant.Status.CONFIRMED
    looked_at = Payment.objects.filter(
        status=Payment.Status.PROCESSING, expires_at__gt=now
    ).count()
    assert looked_at == RECONCILE_BATCH - 1
    # The next runs reach the rest instead of the same ones again.
    reconcile_checkouts()
    assert not Payment.objects.filter(
        status=Payment.Status.PROCESSING, expires_at__lte=now
    ).exists()


# -- 5. cancelling closes open checkouts -------------------------------------------


def test_cancelling_the_webinar_expires_open_checkouts_and_releases_holds(
    client, paid_webinar, stripe_sandbox, django_capture_on_commit_callbacks
):
    session_id = session_id_of(register(client, paid_webinar)["Location"])

    with django_capture_on_commit_callbacks(execute=True):
        cancel_webinar(webinar=paid_webinar)

    assert stripe_sandbox.object(session_id)["status"] == "expired"
    registrant = Registrant.objects.get()
    assert registrant.status != Registrant.Status.PENDING
    assert registrant.payment.status == Payment.Status.EXPIRED
    assert not SeatHold.objects.filter(
        released_at__isnull=True, consumed_at__isnull=True
    ).exists()


def test_cancelling_one_session_of_a_series_expires_only_its_checkouts(
    client, organizer, stripe_sandbox, django_capture_on_commit_callbacks
):
    webinar = make_paid_webinar(
        owner=organizer,
        stripe_account=stripe_sandbox.demo_account,
        sessions=2,
        registration_type="individual_session",
    )
    first, second = webinar.sessions.order_by("starts_at")
    kept = session_id_of(register(client, webinar, session=second.pk)["Location"])
    gone = session_id_of(
        register(client, webinar, session=first.pk, email="b@example.com")["Location"]
    )

    with django_capture_on_commit_callbacks(execute=True):
        cancel_webinar(webinar=webinar, session=first)

    assert stripe_sandbox.object(gone)["status"] == "expired"
    assert stripe_sandbox.object(kept)["status"] == "open"
    assert Registrant.objects.get(session=second).status == Registrant.Status.PENDING


def test_paying_a_checkout_completed_before_the_cancel_is_refunded(
    client, paid_webinar, stripe_sandbox, django_capture_on_commit_callbacks
):
    session_id = session_id_of(register(client, paid_webinar)["Location"])
    stripe_sandbox.pay(session_id)  # paid, but no webhook or return yet

    with django_capture_on_commit_callbacks(execute=True):
        cancel_webinar(webinar=paid_webinar)
    with django_capture_on_commit_callbacks(execute=True):
        run_refund_tasks()

    payment = Payment.objects.get()
    assert refunded_in_stripe(payment) == 5000
    assert Registrant.objects.get().status != Registrant.Status.CONFIRMED


# -- 6. refunds leave the request to the worker --------------------------------------


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


# -- 7. the resend form does not tell who is registered ------------------------------


def test_resend_answers_the_same_for_awaiting_unknown_and_confirmed(webinar):
    webinar.approval = "manual"
    webinar.save()
    client = Client()
    register(client, webinar, email="waiting@example.com")
    assert Registrant.objects.get().status == Registrant.Status.AWAITING
    url = f"/register/{webinar.registration_key}/resend/"

    answers = []
    for email in ("waiting@example.com", "nobody@example.com"):
        page = client.post(url, {"email": email}, follow=True).content.decode()
        answers.append("waiting for the organizer" in page)
        assert "If this email is registered" in page
    assert answers == [False, False]
