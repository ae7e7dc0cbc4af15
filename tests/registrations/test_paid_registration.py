"""Paid registration: seat held, Checkout on the sandbox, success page, cancel."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from payments.models import MAXIMUM_AMOUNT, Payment, Price, PriceTier
from registrations.capacity import seats_taken
from registrations.emails.sending import send_due_emails
from registrations.models import EmailLog, Registrant, SeatHold
from tests import factories
from tests.registrations.checkout_support import (
    cancel_path,
    make_paid_webinar,
    register,
    session_id_of,
    success_path,
)
from webinars.models import Webinar

pytestmark = pytest.mark.django_db


def test_paid_registration_holds_a_seat_and_redirects_to_checkout(
    client, paid_webinar, stripe_sandbox
):
    response = register(client, paid_webinar)

    assert response.status_code == 303
    assert response["Location"].startswith(stripe_sandbox.url)
    registrant = Registrant.objects.get()
    assert registrant.status == Registrant.Status.PENDING
    payment = registrant.payment
    assert payment.status == Payment.Status.OPEN
    assert payment.amount == 5000 and payment.currency == "EUR"
    assert payment.stripe_account_id == stripe_sandbox.demo_account
    assert payment.checkout_session_id == session_id_of(response["Location"])
    hold = SeatHold.objects.get(registrant=registrant)
    assert hold.expires_at == payment.expires_at
    assert hold.expires_at - timezone.now() > timedelta(minutes=30)
    checkout = stripe_sandbox.object(payment.checkout_session_id)
    assert checkout["client_reference_id"] == str(registrant.pk)
    assert checkout["metadata"] == {
        "registrant": str(registrant.pk),
        "webinar": str(paid_webinar.pk),
        "payment": str(payment.pk),
    }
    assert checkout["customer_email"] == "ada@example.com"
    assert checkout["expires_at"] == int(payment.expires_at.timestamp())
    assert checkout["locale"] == "en"
    assert "{CHECKOUT_SESSION_ID}" in checkout["success_url"]


def test_paying_and_returning_confirms_the_registrant(
    client, paid_webinar, stripe_sandbox
):
    checkout_url = register(client, paid_webinar)["Location"]
    session_id = session_id_of(checkout_url)

    answer = stripe_sandbox.pay(session_id)
    assert session_id in answer.location
    response = client.get(success_path(paid_webinar, session_id))

    assert response.status_code == 200
    assert "You're registered" in response.text
    registrant = Registrant.objects.get()
    assert registrant.status == Registrant.Status.CONFIRMED
    assert registrant.join_token in response.text
    assert (
        reverse("registrations:join_calendar", args=[registrant.join_token])
        in response.text
    )
    payment = registrant.payment
    assert payment.status == Payment.Status.PAID
    assert payment.paid_at is not None
    assert payment.payment_intent_id.startswith("pi_")
    assert payment.charge_id.startswith("ch_")
    assert payment.stripe_fee and payment.stripe_fee > 0
    hold = SeatHold.objects.get(registrant=registrant)
    assert hold.consumed_at is not None and hold.released_at is None
    assert list(registrant.emails.values_list("kind", flat=True)) == ["confirmation"]


def test_application_fee_is_sent_to_stripe_and_recorded(
    client, paid_webinar, stripe_sandbox, settings
):
    settings.STRIPE_APPLICATION_FEE_PERCENT = 10
    session_id = session_id_of(register(client, paid_webinar)["Location"])
    stripe_sandbox.pay(session_id)
    client.get(success_path(paid_webinar, session_id))

    assert Payment.objects.get().application_fee == 500


def test_manual_approval_shows_awaiting_after_payment(
    client, paid_webinar, stripe_sandbox
):
    paid_webinar.approval = "manual"
    paid_webinar.save()
    session_id = session_id_of(register(client, paid_webinar)["Location"])
    stripe_sandbox.pay(session_id)

    response = client.get(success_path(paid_webinar, session_id))

    assert "Awaiting the organizer" in response.text
    registrant = Registrant.objects.get()
    assert registrant.status == Registrant.Status.AWAITING
    assert registrant.payment.status == Payment.Status.PAID
    assert list(registrant.emails.values_list("kind", flat=True)) == [
        "awaiting_approval"
    ]


def test_unpaid_session_shows_processing_and_refreshes(
    client, paid_webinar, stripe_sandbox
):
    session_id = session_id_of(register(client, paid_webinar)["Location"])

    response = client.get(success_path(paid_webinar, session_id))

    assert "Payment processing" in response.text
    # It checks itself again by script (no meta refresh: axe rule meta-refresh).
    assert "js/auto-refresh.js" in response.text
    assert "data-refresh-watch" in response.text
    assert Registrant.objects.get().status == Registrant.Status.PENDING


def test_async_payment_is_processing_then_confirmed_when_it_settles(
    client, paid_webinar, stripe_sandbox
):
    session_id = session_id_of(register(client, paid_webinar)["Location"])
    stripe_sandbox.pay(session_id, card="4000 0000 0000 0077")

    response = client.get(success_path(paid_webinar, session_id))
    assert "Payment processing" in response.text
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.PROCESSING
    hold = SeatHold.objects.get()
    assert hold.expires_at > timezone.now() + timedelta(days=1)

    stripe_sandbox.settle_payment(payment.payment_intent_id)
    response = client.get(success_path(paid_webinar, session_id))
    assert "You're registered" in response.text
    assert Registrant.objects.get().status == Registrant.Status.CONFIRMED


def test_failed_async_payment_releases_the_seat(client, paid_webinar, stripe_sandbox):
    session_id = session_id_of(register(client, paid_webinar)["Location"])
    stripe_sandbox.pay(session_id, card="4000 0000 0000 0077")
    client.get(success_path(paid_webinar, session_id))
    payment = Payment.objects.get()

    stripe_sandbox.settle_payment(payment.payment_intent_id, outcome="failed")
    client.get(success_path(paid_webinar, session_id))

    payment.refresh_from_db()
    assert payment.status == Payment.Status.FAILED
    assert Registrant.objects.get().status == Registrant.Status.EXPIRED
    assert seats_taken(webinar=paid_webinar) == 0


@pytest.mark.parametrize(
    "session_id",
    ["", "nope", "cs_test_unknown123", "cs_' OR 1=1 --", "cs_" + "a" * 400],
)
def test_tampered_session_id_on_the_success_page_is_a_404(
    client, paid_webinar, stripe_sandbox, session_id
):
    register(client, paid_webinar)

    response = client.get(success_path(paid_webinar, session_id))

    assert response.status_code == 404


def test_session_id_of_another_webinar_is_a_404(
    client, paid_webinar, stripe_sandbox, organizer
):

    other = make_paid_webinar(
        owner=organizer, stripe_account=stripe_sandbox.demo_account
    )
    session_id = session_id_of(register(client, other)["Location"])

    assert client.get(success_path(paid_webinar, session_id)).status_code == 404


def test_cancel_page_releases_the_seat_and_expires_the_checkout(
    client, paid_webinar, stripe_sandbox, django_capture_on_commit_callbacks
):
    paid_webinar.registration_limit = 1
    paid_webinar.save()
    checkout_url = register(client, paid_webinar)["Location"]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(cancel_path(checkout_url, stripe_sandbox))

    assert response.status_code == 302
    assert response["Location"] == paid_webinar.get_registration_url()
    first = Registrant.objects.get()
    assert first.status == Registrant.Status.EXPIRED
    assert first.payment.status == Payment.Status.EXPIRED
    assert stripe_sandbox.object(first.payment.checkout_session_id)["status"] == (
        "expired"
    )
    # The one seat is free again: the registrant can start over.
    again = register(client, paid_webinar)
    assert again.status_code == 303
    assert Registrant.objects.count() == 2


def test_cancel_link_with_a_forged_token_is_a_404(client, paid_webinar):
    url = f"/register/{paid_webinar.registration_key}/cancelled/?r=123"
    assert client.get(url).status_code == 404


def test_stripe_unavailable_releases_the_hold_and_says_try_again(
    client, paid_webinar, stripe_sandbox
):
    stripe_sandbox.inject_fault("500", count=10)

    response = register(client, paid_webinar)

    assert response.status_code == 200
    assert "try again" in response.text
    registrant = Registrant.objects.get()
    assert registrant.status == Registrant.Status.EXPIRED
    assert registrant.payment.status == Payment.Status.EXPIRED
    assert seats_taken(webinar=paid_webinar) == 0
    assert not EmailLog.objects.exists()


@pytest.mark.parametrize(
    ("amount", "problem"),
    [
        (20, "below the minimum the payment service accepts in this currency"),
        # Stripe checks unit_amount itself: parameter_invalid_integer.
        (MAXIMUM_AMOUNT + 1, "refused the details of this request as invalid"),
    ],
)
def test_an_amount_stripe_refuses_says_what_is_wrong(
    client, paid_webinar, stripe_sandbox, amount, problem
):
    # The price forms refuse these; an amount set in the database is not checked
    # (a tier, since the price row's own constraint stops the largest).
    PriceTier.objects.create(
        price=Price.objects.get(webinar=paid_webinar),
        amount=amount,
        ends_at=timezone.now() + timedelta(days=3),
    )

    response = register(client, paid_webinar)

    assert response.status_code == 200
    assert problem in response.text
    assert "nothing was charged" in response.text
    assert "temporarily unavailable" not in response.text
    registrant = Registrant.objects.get()
    assert registrant.status == Registrant.Status.EXPIRED
    assert seats_taken(webinar=paid_webinar) == 0


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


def test_the_demo_organizer_is_told_of_each_paid_registration(
    client, stripe_sandbox, smtp, settings
):
    settings.STRIPE_SANDBOX = True
    call_command("seed_demo", stdout=io.StringIO())
    webinar = Webinar.objects.get(title="Project management for beginners")
    session_id = session_id_of(register(client, webinar)["Location"])

    stripe_sandbox.pay(session_id)
    client.get(success_path(webinar, session_id))
    send_due_emails()

    (notice,) = smtp.to("organizer@example.com")
    assert notice["Subject"] == (
        "New paid registration: Project management for beginners"
    )
    assert smtp.to("ada@example.com")
