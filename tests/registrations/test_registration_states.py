"""A registration page that never contradicts itself, and closed pages that say why."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from recordings.models import WatchGrant
from registrations.models import Registrant
from tests import factories
from tests.recordings.support import attach_video, ended_webinar
from tests.registrations.checkout_support import form_data

pytestmark = pytest.mark.django_db

STRIPE_NOTE = "You pay on Stripe"


@pytest.fixture(autouse=True)
def _pinned_clock():
    with time_machine.travel(datetime(2030, 6, 3, 9, 0, tzinfo=UTC)):
        yield


def apply_code(client, webinar, code: str):
    data = form_data(discount_code=code, email="", first_name="Ada")
    data["apply_code"] = "1"
    return client.post(webinar.get_registration_url(), data)


@pytest.fixture
def early_bird(paid_webinar):
    price = paid_webinar.price
    factories.PriceTierFactory(price=price, amount=3000)
    factories.DiscountCodeFactory(webinar=paid_webinar, code="FREE", amount=0)
    factories.DiscountCodeFactory(webinar=paid_webinar, code="HALF", amount=2000)
    return paid_webinar


def test_a_free_code_applied_without_script_makes_the_whole_page_free(
    client, early_bird
):
    page = client.get(early_bird.get_registration_url()).text
    assert "Early-bird price until" in page and "Register and pay</button>" in page

    response = apply_code(client, early_bird, "free")

    page = response.text
    assert response.status_code == 200
    assert '<span class="price" id="price-amount">Free</span>' in page
    assert ">Register</button>" in page
    assert "Register and pay</button>" not in page
    # The note and the policy stay for the script to show again, hidden.
    assert '<p class="muted" id="register-pay-note" hidden>' in page
    assert '<p id="refund-policy" hidden>' in page
    assert "Early-bird price until" not in page
    assert "This code gives free registration." in page
    # What was typed stays; nothing is registered and no error is shown.
    assert 'value="Ada"' in page and 'value="free"' in page
    assert "errorlist" not in page
    assert not Registrant.objects.exists()


def test_a_discount_code_applied_without_script_shows_its_price(client, early_bird):
    page = apply_code(client, early_bird, "HALF").text

    assert "€20.00" in page
    assert "Register and pay</button>" in page
    assert STRIPE_NOTE in page
    assert "With this code the price is €20.00." in page


def test_an_invalid_code_keeps_the_price_and_says_so(client, early_bird):
    page = apply_code(client, early_bird, "NOPE").text

    assert "This discount code is not valid." in page
    assert "€30.00" in page
    assert "Register and pay</button>" in page


def closed_notice(client, webinar) -> str:
    page = client.get(webinar.get_registration_url()).text
    assert 'id="closed-notice"' in page
    assert 'name="first_name"' not in page
    return page


def test_a_past_webinar_says_it_is_over_not_that_no_session_is_scheduled(
    client, organizer
):
    page = closed_notice(client, ended_webinar(organizer))

    assert "This webinar is over." in page
    assert "No session is scheduled yet." not in page
    assert "Already registered? Your confirmation email has your personal link." in page


def test_a_replay_whose_view_limit_is_reached_says_so(client, organizer):
    webinar = ended_webinar(organizer)
    recording = attach_video(webinar)
    recording.view_limit = 1
    recording.save()
    WatchGrant.objects.create(
        registrant=factories.RegistrantFactory(webinar=webinar), recording=recording
    )

    page = closed_notice(client, webinar)

    assert "This webinar is over." in page
    assert "reached the number of viewers the organizer allows" in page
    assert "No session is scheduled yet." not in page


def test_an_expired_replay_says_it_is_no_longer_available(client, organizer):
    webinar = ended_webinar(organizer)
    recording = attach_video(webinar)
    recording.available_until = timezone.now() - timedelta(hours=1)
    recording.save()

    page = closed_notice(client, webinar)

    assert "Its recording is no longer available." in page


def test_a_webinar_without_sessions_says_none_is_scheduled_yet(client, organizer):
    webinar = factories.WebinarFactory(
        owner=organizer, account=organizer.account, sessions=0
    )

    page = closed_notice(client, webinar)

    assert "No session is scheduled yet." in page
    assert "registration opens once the organizer schedules a session" in page


def test_a_cancelled_webinar_says_so_and_what_follows(client, webinar):
    webinar.cancelled_at = timezone.now()
    webinar.save()

    page = closed_notice(client, webinar)

    assert "This webinar is cancelled: registration is closed." in page
    assert "any refund due" in page


def test_a_full_webinar_says_when_to_come_back(client, webinar):
    webinar.registration_limit = 1
    webinar.save()
    factories.RegistrantFactory(webinar=webinar)

    page = closed_notice(client, webinar)

    assert "This webinar is full." in page
    assert "come back later" in page


def test_an_on_demand_page_has_no_date_heading(client, organizer):
    webinar = factories.WebinarFactory(
        owner=organizer, account=organizer.account, sessions=0, kind="on_demand"
    )
    attach_video(webinar)

    page = client.get(webinar.get_registration_url()).text

    assert "<h2>When</h2>" not in page and "<h2>Sessions</h2>" not in page
    assert 'name="first_name"' in page


def test_an_on_demand_video_sold_out_takes_no_registration(client, organizer):
    webinar = factories.WebinarFactory(
        owner=organizer, account=organizer.account, sessions=0, kind="on_demand"
    )
    recording = attach_video(webinar)
    recording.view_limit = 1
    recording.save()
    WatchGrant.objects.create(
        registrant=factories.RegistrantFactory(webinar=webinar), recording=recording
    )

    page = closed_notice(client, webinar)
    response = client.post(webinar.get_registration_url(), form_data())

    assert "reached the number of viewers the organizer allows" in page
    assert response.status_code == 200
    assert not Registrant.objects.filter(email="ada@example.com").exists()
