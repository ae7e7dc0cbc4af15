"""The registration page is served from the cache, per visitor where it must be."""

import datetime as dt
import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from payments.models import Price
from registrations.models import Registrant
from registrations.page_cache import CSRF_PLACEHOLDER
from tests import factories
from tests.registrations.checkout_support import form_data, make_paid_webinar

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 14, 25, tzinfo=dt.UTC)
TOKEN_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def visitor() -> Client:
    return Client(enforce_csrf_checks=True)


def get(client: Client, webinar) -> str:
    response = client.get(webinar.get_registration_url())
    assert response.status_code == 200
    return response.text


def test_a_cached_page_reads_nothing_and_gives_each_visitor_a_working_token(
    webinar,
):
    get(visitor(), webinar)  # renders and keeps the page

    first, second = visitor(), visitor()
    with CaptureQueriesContext(connection) as queries:
        text = get(first, webinar)
    other = get(second, webinar)

    assert queries.captured_queries == []
    assert CSRF_PLACEHOLDER not in text
    tokens = TOKEN_RE.findall(text)
    assert len(tokens) == 2  # the language form and the registration form
    assert "csrftoken" in first.cookies
    assert first.cookies["csrftoken"].value != second.cookies["csrftoken"].value
    assert TOKEN_RE.findall(other)[0] != tokens[0]
    # Each visitor registers with the token their own page carried.
    response = first.post(
        webinar.get_registration_url(),
        {**form_data(email="first@example.com"), "csrfmiddlewaretoken": tokens[1]},
    )
    assert response.status_code == 303
    assert Registrant.objects.filter(email="first@example.com").exists()
    # Another visitor's token is refused with this visitor's cookie.
    refused = second.post(
        webinar.get_registration_url(),
        {**form_data(email="second@example.com"), "csrfmiddlewaretoken": "x" * 64},
    )
    assert refused.status_code == 403


def test_editing_the_webinar_its_sessions_or_price_shows_at_once(organizer):
    webinar = factories.WebinarFactory(owner=organizer, account=organizer.account)
    get(visitor(), webinar)

    webinar.title = "A better title"
    webinar.save()
    assert "A better title" in get(visitor(), webinar)

    before = get(visitor(), webinar)
    session = webinar.sessions.first()
    session.starts_at = session.starts_at + timedelta(days=1)
    session.ends_at = session.ends_at + timedelta(days=1)
    session.save()
    assert get(visitor(), webinar) != before

    session.cancelled_at = timezone.now()
    session.save()
    assert 'id="closed-notice"' in get(visitor(), webinar)


def test_a_new_price_shows_at_once(organizer, stripe_sandbox):
    webinar = make_paid_webinar(
        owner=organizer, stripe_account=stripe_sandbox.demo_account
    )
    get(visitor(), webinar)

    price = Price.objects.get(webinar=webinar)
    price.amount = 12345
    price.save()

    assert "123.45" in get(visitor(), webinar)


def test_a_full_start_forgets_the_page(organizer):
    webinar = factories.WebinarFactory(
        owner=organizer, account=organizer.account, registration_limit=1
    )
    assert 'id="closed-notice"' not in get(visitor(), webinar)
    # A seat taken without the page knowing (the page keeps it for seconds).
    factories.RegistrantFactory(webinar=webinar)
    assert 'id="closed-notice"' not in get(visitor(), webinar)

    late = visitor()
    get(late, webinar)
    response = late.post(
        webinar.get_registration_url(),
        {
            **form_data(email="late@example.com"),
            "csrfmiddlewaretoken": late.cookies["csrftoken"].value,
        },
    )
    assert response.status_code == 200  # the full page

    assert 'data-reason="full"' in get(visitor(), webinar)


def test_the_page_is_kept_a_few_seconds_only(organizer):
    with time_machine.travel(NOW, tick=False) as clock:
        webinar = factories.WebinarFactory(
            owner=organizer, account=organizer.account, registration_limit=1
        )
        get(visitor(), webinar)
        factories.RegistrantFactory(webinar=webinar)

        clock.shift(timedelta(seconds=11))

        assert 'data-reason="full"' in get(visitor(), webinar)


def test_organizers_flash_messages_and_query_strings_get_their_own_page(
    webinar, organizer, login
):
    get(visitor(), webinar)
    webinar.__class__.objects.filter(pk=webinar.pk).update(title="Changed quietly")

    # A logged-in organizer (session cookie) sees the page as it is now.
    assert "Changed quietly" in get(login(organizer), webinar)
    # So does a visitor applying a code (query string)...
    response = visitor().get(webinar.get_registration_url() + "?code=NOPE")
    assert "Changed quietly" in response.text
    # ...and one with a flash message waiting.
    flashed = visitor()
    flashed.cookies["messages"] = "pending"
    assert "Changed quietly" in get(flashed, webinar)
    # The anonymous visitor still gets the kept page until it expires.
    assert "Changed quietly" not in get(visitor(), webinar)


def test_a_series_summary_is_kept_per_language_and_follows_a_new_session(organizer):
    with time_machine.travel(NOW, tick=False):
        webinar = factories.WebinarFactory(
            owner=organizer,
            account=organizer.account,
            registration_type="individual_session",
            sessions=2,
        )
        url = webinar.get_registration_url()
        get(visitor(), webinar)
        visitor().get(url, HTTP_ACCEPT_LANGUAGE="fr")

        with CaptureQueriesContext(connection) as queries:
            english = get(visitor(), webinar)
            french = visitor().get(url, HTTP_ACCEPT_LANGUAGE="fr").text
        factories.SessionFactory(
            webinar=webinar, starts_at=NOW + timedelta(days=21, hours=2)
        )
        after = get(visitor(), webinar)

    assert queries.captured_queries == []
    assert '<p id="sessions-summary">2 sessions, 9–16 Mar 2026</p>' in english
    assert '<p id="sessions-summary">2 sessions, 9–16 mars 2026</p>' in french
    assert '<p id="sessions-summary">3 sessions, 9–23 Mar 2026</p>' in after


def test_the_cached_free_page_gains_the_field_when_a_price_is_switched_on(
    organizer, stripe_sandbox
):
    webinar = make_paid_webinar(
        owner=organizer, stripe_account=stripe_sandbox.demo_account
    )
    price = Price.objects.get(webinar=webinar)
    price.enabled = False
    price.save()
    assert 'name="discount_code"' not in get(visitor(), webinar)
    assert 'name="discount_code"' not in get(visitor(), webinar)  # from the cache

    price.enabled = True
    price.save()

    assert 'name="discount_code"' in get(visitor(), webinar)
