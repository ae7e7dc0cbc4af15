"""The registration page never tells whether an email is registered.

A second registration of an email answers exactly what a new one answers; the
owner of the address gets their links by email, never the person typing it.
"""

import re

import pytest
from django.core import mail
from django.test import Client

from payments.models import Payment
from registrations.emails import sending
from registrations.emails.already_registered import MAX_NOTICES
from registrations.models import EmailLog, Registrant
from registrations.tokens import done_state_from_token
from tests import factories
from tests.registrations.checkout_support import register, session_id_of, success_path

pytestmark = pytest.mark.django_db

ALREADY = EmailLog.Kind.ALREADY_REGISTERED


def page_after(client: Client, response) -> str:
    """The page a registration lands on, less its per-request CSRF token and the
    token of its own address (signed at a different second; compared apart)."""
    assert response.status_code == 303
    page = client.get(response["Location"]).text
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)
    return re.sub(r"\?r=[^\"&]+", "?r=TOKEN", page)


def state_of(response) -> tuple[int, str] | None:
    return done_state_from_token(response["Location"].split("?r=", 1)[1])


def test_a_registered_email_gets_the_same_answer_as_a_new_one(webinar):
    register(Client(), webinar, email="ada@example.com")
    mail.outbox.clear()

    visitor = Client()
    again = register(visitor, webinar, email="ada@example.com")
    stranger = Client()
    new = register(stranger, webinar, email="grace@example.com")

    assert again.status_code == new.status_code == 303
    assert again["Location"].split("?")[0] == new["Location"].split("?")[0]
    assert state_of(again) == state_of(new) == (webinar.pk, "confirmed")
    assert page_after(visitor, again) == page_after(stranger, new)
    assert Registrant.objects.filter(email__iexact="ada@example.com").count() == 1


def test_the_answer_shows_no_link_of_the_registration(webinar):
    register(Client(), webinar, email="ada@example.com")
    registrant = Registrant.objects.get()

    visitor = Client()
    page = page_after(visitor, register(visitor, webinar, email="ADA@example.com"))

    assert registrant.join_token not in page
    assert registrant.cancel_token not in page
    assert "You are already registered" not in page


def test_the_owner_of_the_email_gets_their_links_by_email(webinar):
    register(Client(), webinar, email="ada@example.com")
    registrant = Registrant.objects.get()
    sending.send_due_emails()
    mail.outbox.clear()

    register(Client(), webinar, email="Ada@Example.com")
    sending.send_due_emails()

    notice = EmailLog.objects.get(registrant=registrant, kind=ALREADY)
    assert notice.status == EmailLog.Status.SENT
    [message] = mail.outbox
    assert message.to == [registrant.email]
    text = message.body
    html = message.alternatives[0][0]
    for body in (text, html):
        assert registrant.join_token in body
        assert registrant.cancel_token in body
        assert "already registered" in body


def test_an_awaiting_registration_is_told_it_still_awaits(webinar):
    webinar.approval = "manual"
    webinar.save()
    register(Client(), webinar, email="ada@example.com")
    registrant = Registrant.objects.get()
    assert registrant.status == Registrant.Status.AWAITING
    sending.send_due_emails()
    mail.outbox.clear()

    register(Client(), webinar, email="ada@example.com")
    sending.send_due_emails()

    [message] = [m for m in mail.outbox if m.to == [registrant.email]]
    assert "waiting for the organizer's approval" in message.body
    assert registrant.join_token not in message.body


def test_repeated_attempts_send_at_most_a_few_notices(webinar):
    register(Client(), webinar, email="ada@example.com")
    for n in range(MAX_NOTICES + 3):
        register(
            Client(REMOTE_ADDR=f"198.51.100.{n}"), webinar, email="ada@example.com"
        )

    assert EmailLog.objects.filter(kind=ALREADY).count() == MAX_NOTICES


def test_a_paid_registrant_registering_again_is_not_charged_and_gets_their_links(
    client, paid_webinar, stripe_sandbox
):
    session_id = session_id_of(register(client, paid_webinar)["Location"])
    stripe_sandbox.pay(session_id)
    client.get(success_path(paid_webinar, session_id))
    registrant = Registrant.objects.get()

    visitor = Client()
    response = register(visitor, paid_webinar)
    page = page_after(visitor, response)

    assert Payment.objects.count() == 1
    assert registrant.join_token not in page
    assert "Payment received" not in page
    assert EmailLog.objects.filter(registrant=registrant, kind=ALREADY).exists()


def test_an_approved_email_on_a_manual_webinar_answers_like_a_new_one(webinar):
    webinar.approval = "manual"
    webinar.save()
    register(Client(), webinar, email="ada@example.com")
    Registrant.objects.update(status=Registrant.Status.CONFIRMED)

    visitor, stranger = Client(), Client()
    again = register(visitor, webinar, email="ada@example.com")
    new = register(stranger, webinar, email="grace@example.com")

    assert state_of(again) == state_of(new) == (webinar.pk, "awaiting_approval")
    assert page_after(visitor, again) == page_after(stranger, new)


def test_a_bad_code_is_refused_alike_for_a_registered_and_a_new_email(webinar):
    factories.PriceFactory(webinar=webinar, amount=5000, currency="EUR")
    factories.StripeConnectionFactory(account=webinar.account)
    factories.RegistrantFactory(webinar=webinar, email="ada@example.com", source="paid")

    known = register(Client(), webinar, email="ada@example.com", discount_code="NOPE")
    new = register(Client(), webinar, email="grace@example.com", discount_code="NOPE")

    assert known.status_code == new.status_code == 200
    error = re.findall(r'<ul class="errorlist"[^>]*>(.*?)</ul>', new.text, re.S)
    assert error
    assert (
        re.findall(r'<ul class="errorlist"[^>]*>(.*?)</ul>', known.text, re.S) == error
    )
    assert not EmailLog.objects.filter(kind=ALREADY).exists()
