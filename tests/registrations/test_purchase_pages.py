"""What a registrant reads around a purchase: policy, dates, links, per kind."""

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from recordings.models import Recording
from registrations.emails.content import render_email
from registrations.models import Registrant
from tests import factories
from tests.recordings.support import attach_video, ended_webinar
from tests.recordings.support import register as register_buyer
from tests.registrations.checkout_support import (
    register,
    session_id_of,
    success_path,
)
from webinars.models import Webinar

pytestmark = pytest.mark.django_db

FULL_UNTIL = Webinar.RefundPolicy.FULL_UNTIL


@pytest.fixture(autouse=True)
def _pinned_clock():
    with time_machine.travel(datetime(2030, 6, 3, 9, 0, tzinfo=UTC)):
        yield


def with_policy(webinar, policy=FULL_UNTIL, hours=24, percent=100):
    webinar.refund_policy = policy
    webinar.refund_hours_before = hours
    webinar.refund_percent = percent
    webinar.save()
    return webinar


def paid_and_returned(client, webinar, sandbox) -> str:
    session_id = session_id_of(register(client, webinar)["Location"])
    sandbox.pay(session_id)
    return client.get(success_path(webinar, session_id)).text


def test_the_registration_page_states_the_refund_policy_next_to_the_price(
    client, paid_webinar
):
    with_policy(paid_webinar, hours=48)

    page = client.get(paid_webinar.get_registration_url()).text

    assert 'id="refund-policy"' in page
    assert "Full refund if you cancel up to 48 hours before the session." in page
    assert page.index("price-amount") < page.index("refund-policy")


def test_a_free_webinar_states_no_refund_policy(client, webinar):
    page = client.get(webinar.get_registration_url()).text

    assert 'id="refund-policy"' not in page


def test_the_live_success_page_shows_the_session_policy_and_cancel_link(
    client, paid_webinar, stripe_sandbox
):
    with_policy(paid_webinar)

    page = paid_and_returned(client, paid_webinar, stripe_sandbox)

    registrant = Registrant.objects.get()
    assert "You're registered" in page
    # The session: Monday June 10, 11:00 in Paris; refund until the day before.
    assert "Monday, 10 June 2030" in page and "(Europe/Paris, UTC+02:00)" in page
    assert "Full refund if you cancel by Sunday, 9 June 2030" in page
    assert registrant.cancel_token in page
    assert 'id="calendar-link"' in page


def test_the_confirmation_states_the_policy_with_its_deadline(
    client, paid_webinar, stripe_sandbox
):
    with_policy(paid_webinar, policy=Webinar.RefundPolicy.PERCENT_UNTIL, percent=50)
    paid_and_returned(client, paid_webinar, stripe_sandbox)

    email = render_email(registrant=Registrant.objects.get(), kind="confirmation")

    for body in (email.text, email.html):
        assert "Refund policy:" in body
        assert "50% of the price is refunded if you cancel by Sunday, 9 June" in body


def test_a_series_success_page_lists_every_session_bought(client, organizer):
    webinar = factories.WebinarFactory(
        owner=organizer, account=organizer.account, sessions=3
    )

    page = client.get(register(client, webinar)["Location"]).text

    assert page.count("<li>") >= 3
    for day in ("10 June 2030", "17 June 2030", "24 June 2030"):
        assert day in page
    assert "Your sessions" in page


def replay_bought(client, organizer) -> tuple[Webinar, Registrant, Recording, Any]:
    webinar = ended_webinar(organizer)
    recording = attach_video(webinar)
    recording.available_until = datetime(2030, 7, 1, 10, 0, tzinfo=UTC)
    recording.save()
    response = register_buyer(client, webinar)
    return webinar, Registrant.objects.get(), recording, response


def test_a_replay_success_page_offers_watch_now_and_no_live_wording(client, organizer):
    _webinar, registrant, _recording, response = replay_bought(client, organizer)

    page = client.get(response["Location"]).text

    # A free registration's page shows no personal link (it must look the same
    # for an email already registered): the watch link comes by email.
    assert "personal link is on its way" in page
    assert "Your personal join link" not in page
    assert 'id="calendar-link"' not in page
    assert registrant.cancel_token not in page
    assert "2 June 2030" not in page  # the past session's date
    assert "Available until Monday, 1 July 2030" in page


def test_a_replay_confirmation_has_no_date_no_invitation_no_cancel_offer(
    client, organizer
):
    _webinar, registrant, _recording, _response = replay_bought(client, organizer)

    email = render_email(registrant=registrant, kind="confirmation")

    assert email.ics is None
    for body in (email.text, email.html):
        assert "Join the webinar" not in body
        assert "2 June 2030" not in body
        assert "attached invitation" not in body
        assert registrant.cancel_token not in body
        assert "/watch/" in body
        assert "Available until Monday, 1 July 2030" in body


def test_the_console_policy_page_says_where_registrants_see_it(
    client, login, organizer, webinar
):
    login(organizer)

    page = client.get(reverse("registrations:refund_policy", args=[webinar.pk])).text

    assert "next to the price on the registration page" in page


@pytest.mark.parametrize(
    ("language", "said"),
    [("en", "Payment received: €50.00"), ("fr", "Paiement reçu\u00a0: 50,00\u00a0€")],
)
def test_the_success_page_states_the_amount_paid_in_one_sentence(
    client, paid_webinar, stripe_sandbox, language, said
):
    client.cookies["django_language"] = language

    page = paid_and_returned(client, paid_webinar, stripe_sandbox)

    assert said in page
