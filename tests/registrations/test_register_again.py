"""Back from Checkout unpaid: the form comes back filled with what was sent, once."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from registrations.models import Registrant
from tests import factories
from tests.registrations.checkout_support import (
    cancel_path,
    make_paid_webinar,
    register,
)

pytestmark = pytest.mark.django_db


def _leave_checkout(client, webinar, stripe_sandbox, **overrides):
    checkout_url = register(client, webinar, **overrides)["Location"]
    return client.get(cancel_path(checkout_url, stripe_sandbox))


def _value(name: str, value: str) -> str:
    return f'name="{name}" value="{value}"'


def _series(organizer, stripe_sandbox, *, days: int, **fields):
    """A paid series whose registrants choose sessions, one a day from next week."""
    series = make_paid_webinar(
        owner=organizer,
        stripe_account=stripe_sandbox.demo_account,
        registration_type="individual_session",
        sessions=0,
        **fields,
    )
    start = timezone.now() + timedelta(days=7)
    sessions = [
        factories.SessionFactory(
            webinar=series,
            starts_at=start + timedelta(days=day),
            ends_at=start + timedelta(days=day, hours=1),
        )
        for day in range(days)
    ]
    return series, sessions


def _ticked(html: str) -> set[int]:
    """The session boxes the page comes back with ticked."""
    return {
        int(value)
        for value, attributes in re.findall(
            r'<input type="checkbox" name="session" value="(\d+)"([^>]*)>', html
        )
        if " checked" in attributes
    }


def test_the_form_comes_back_with_names_email_and_answers_once(
    client, paid_webinar, stripe_sandbox
):
    paid_webinar.questions = [
        {"id": "d1", "label": "I accept the terms", "kind": "disclaimer"},
        {"id": "t1", "label": "Company", "kind": "text"},
    ]
    paid_webinar.save()
    _leave_checkout(
        client, paid_webinar, stripe_sandbox, q_d1="on", q_t1="Analytical Engines"
    )

    page = client.get(paid_webinar.get_registration_url())

    assert page.status_code == 200
    assert "Your details are filled in below" in page.text
    for name, value in (
        ("first_name", "Ada"),
        ("last_name", "Lovelace"),
        ("email", "ada@example.com"),
        ("q_t1", "Analytical Engines"),
    ):
        assert _value(name, value) in page.text
    assert 'name="q_d1" id="id_q_d1" checked' in page.text
    # Once: the next showing is the empty form again.
    again = client.get(paid_webinar.get_registration_url())
    assert "ada@example.com" not in again.text
    assert 'name="first_name" value=' not in again.text


def test_a_code_comes_back_applied_with_its_price(client, paid_webinar, stripe_sandbox):
    factories.DiscountCodeFactory(webinar=paid_webinar, code="HALF", amount=2500)
    _leave_checkout(client, paid_webinar, stripe_sandbox, discount_code="HALF")

    page = client.get(paid_webinar.get_registration_url())

    assert _value("discount_code", "HALF") in page.text
    assert _value("email", "ada@example.com") in page.text
    assert "With this code the price is €25.00" in page.text


def test_the_sessions_of_a_series_come_back_ticked(client, organizer, stripe_sandbox):
    series, (first, second, third) = _series(organizer, stripe_sandbox, days=3)
    _leave_checkout(client, series, stripe_sandbox, session=[first.pk, third.pk])
    assert not Registrant.objects.filter(status=Registrant.Status.PENDING).exists()

    page = client.get(series.get_registration_url())

    ticked = _ticked(page.text)
    assert ticked == {first.pk, third.pk}


def test_what_one_visitor_typed_never_reaches_another(
    client, paid_webinar, stripe_sandbox, settings
):
    settings.REGISTRATION_PAGE_CACHE_SECONDS = 60
    # "Zoë": no token of a page (CSRF, links) can hold it by chance.
    _leave_checkout(client, paid_webinar, stripe_sandbox, first_name="<b>Zoë</b>")

    page = client.get(paid_webinar.get_registration_url())
    stranger = Client().get(paid_webinar.get_registration_url())

    # Escaped where it is shown; and only to the visitor who typed it, the
    # shared cached page never holds it.
    assert _value("first_name", "&lt;b&gt;Zoë&lt;/b&gt;") in page.text
    assert "<b>Zoë</b>" not in page.text
    assert "ada@example.com" not in stranger.text
    assert "Zoë" not in Client().get(paid_webinar.get_registration_url()).text


def test_the_cancel_link_fills_the_form_once_and_for_nobody_else(
    client, paid_webinar, stripe_sandbox
):
    checkout_url = register(client, paid_webinar)["Location"]
    link = cancel_path(checkout_url, stripe_sandbox)
    client.get(link)

    # The link stays in the browser's history: opened again, here or in
    # another browser, it fills nothing (the seat was released the first time).
    stranger = Client()
    assert stranger.get(link).status_code == 302
    stranger_page = stranger.get(paid_webinar.get_registration_url())
    assert "ada@example.com" not in stranger_page.text
    page = client.get(paid_webinar.get_registration_url())
    assert _value("email", "ada@example.com") in page.text
    assert "no-store" in page["Cache-Control"]


def test_a_session_full_since_comes_back_unticked_with_a_word(
    client, organizer, stripe_sandbox
):
    series, (first, second) = _series(
        organizer, stripe_sandbox, days=2, registration_limit=1
    )
    _leave_checkout(client, series, stripe_sandbox, session=[first.pk, second.pk])
    # Meanwhile someone else takes the second session's only seat.
    register(Client(), series, email="grace@example.com", session=[second.pk])

    page = client.get(series.get_registration_url())

    ticked = _ticked(page.text)
    assert ticked == {first.pk}
    assert "A session you had chosen can no longer be booked" in page.text
    # The total states the one session still ticked (without script too).
    assert 'id="price-total"' in page.text
    assert "(1 × €50.00)" in page.text
