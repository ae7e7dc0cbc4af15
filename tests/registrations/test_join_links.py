"""Join links: details before, the room around the session, ended after, 3 devices."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from registrations import devices, hooks
from registrations.models import JoinDevice, JoinRecord, Registrant
from tests import factories
from tests.factories import open_personal_link

pytestmark = pytest.mark.django_db


def confirmed(webinar, **kwargs):
    defaults = {
        "webinar": webinar,
        "email": "ada@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "status": Registrant.Status.CONFIRMED,
        "source": Registrant.Source.FREE,
    }
    defaults.update(kwargs)
    return Registrant.objects.create(**defaults)


def calendar_url(registrant):
    return reverse("registrations:join_calendar", args=[registrant.join_token])


def open_link_at(client, registrant, moment):
    """Open the registrant's personal link with the clock pinned at `moment`."""
    with time_machine.travel(moment, tick=False):
        return open_personal_link(client, join_url(registrant))


def open_link_before_start(client, webinar, minutes: int):
    """Open a new registrant's link `minutes` before the session starts."""
    registrant = confirmed(webinar)
    session = webinar.sessions.get()
    moment = session.starts_at - timedelta(minutes=minutes)
    return registrant, session, open_link_at(client, registrant, moment)


def join_url(registrant):
    return reverse("registrations:join", args=[registrant.join_token])


def test_join_token_is_43_unguessable_characters(webinar):
    registrant = confirmed(webinar)
    assert len(registrant.join_token) == 43
    assert confirmed(webinar, email="b@example.com").join_token != registrant.join_token


def test_before_the_session_shows_details_countdown_and_ics(client, webinar):
    registrant = confirmed(webinar)

    response = open_personal_link(client, join_url(registrant))

    assert response.status_code == 200
    assert webinar.title in response.text
    assert 'id="countdown"' in response.text
    assert calendar_url(registrant) in response.text
    assert "Europe/Paris" in response.text


def test_calendar_file_is_served(client, webinar):
    registrant = confirmed(webinar)

    response = client.get(calendar_url(registrant))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VEVENT" in response.content


def test_from_15_minutes_before_it_redirects_to_the_room(client, webinar):
    registrant, session, response = open_link_before_start(client, webinar, 15)

    assert response.status_code == 302
    assert response["Location"] == session.broadcast_url
    assert JoinRecord.objects.filter(registrant=registrant, session=session).exists()


def test_16_minutes_before_it_still_shows_the_details(client, webinar):
    registrant, session, response = open_link_before_start(client, webinar, 16)

    assert response.status_code == 200
    # The countdown reloads the page when the room opens (no meta refresh).
    assert "js/countdown.js" in response.text
    assert 'id="countdown" data-seconds="60"' in response.text


def test_after_the_end_says_the_session_has_ended(client, webinar):
    registrant = confirmed(webinar)
    session = webinar.sessions.get()

    response = open_link_at(client, registrant, session.ends_at + timedelta(minutes=1))

    assert response.status_code == 200
    assert "This session has ended." in response.text


def test_series_link_goes_to_the_chosen_session(client, organizer):

    webinar = factories.WebinarFactory(
        owner=organizer,
        account=organizer.account,
        sessions=2,
        registration_type="individual_session",
    )
    second = webinar.sessions.last()
    factories_url = "https://meet.example.com/second"
    second.broadcast_url = factories_url
    second.save()
    registrant = confirmed(webinar, session=second)

    response = open_link_at(client, registrant, second.starts_at)

    assert response["Location"] == factories_url


def test_unknown_or_malformed_token_is_a_404(client, db):
    assert client.get("/join/" + "a" * 43 + "/").status_code == 404
    assert client.get("/join/short/").status_code == 404
    assert client.get("/join/" + "a" * 43 + "/calendar.ics").status_code == 404


@pytest.mark.parametrize(
    "status",
    [
        "denied",
        "cancelled",
        "refunded",
        "expired",
        "pending_payment",
        "awaiting_approval",
    ],
)
def test_registrants_without_a_confirmed_seat_are_refused(client, webinar, status):
    registrant = confirmed(webinar, status=status)

    response = client.get(join_url(registrant))

    assert response.status_code == 403
    assert not JoinDevice.objects.exists()
    assert client.get(calendar_url(registrant)).status_code == 403


def test_cancelled_webinar_refuses_the_link(client, webinar):
    registrant = confirmed(webinar)
    webinar.cancelled_at = timezone.now()
    webinar.save()

    assert client.get(join_url(registrant)).status_code == 403


def test_three_devices_are_admitted_and_the_fourth_is_refused(webinar):
    registrant = confirmed(webinar)
    browsers = [Client() for _ in range(4)]

    answers = [open_personal_link(b, join_url(registrant)) for b in browsers]

    assert [a.status_code for a in answers] == [200, 200, 200, 403]
    assert "Device limit reached" in answers[3].text
    assert webinar.owner.email in answers[3].text
    assert JoinDevice.objects.filter(registrant=registrant).count() == 3
    # A known device keeps working, again and again.
    assert browsers[0].get(join_url(registrant)).status_code == 200
    assert open_personal_link(browsers[3], join_url(registrant)).status_code == 403


def test_device_cookie_is_signed_httponly_and_long_lived(client, webinar):
    registrant = confirmed(webinar)

    response = open_personal_link(client, join_url(registrant))

    cookie = response.cookies[devices.COOKIE_NAME]
    assert cookie["httponly"]
    assert int(cookie["max-age"]) > 365 * 24 * 3600
    assert cookie.value.count(":") >= 1


def test_forged_device_cookie_counts_as_a_new_device(webinar):
    registrant = confirmed(webinar)
    for _ in range(3):
        open_personal_link(Client(), join_url(registrant))
    forger = Client()
    known = JoinDevice.objects.first().device_id
    forger.cookies[devices.COOKIE_NAME] = known

    assert open_personal_link(forger, join_url(registrant)).status_code == 403


def test_organizer_reset_lets_new_devices_in(webinar):
    registrant = confirmed(webinar)
    for _ in range(3):
        open_personal_link(Client(), join_url(registrant))
    assert open_personal_link(Client(), join_url(registrant)).status_code == 403

    assert devices.reset_devices(registrant=registrant) == 3

    assert open_personal_link(Client(), join_url(registrant)).status_code == 200


def test_devices_are_counted_per_registrant(webinar):
    first = confirmed(webinar)
    second = confirmed(webinar, email="b@example.com")
    browser = Client()
    for _ in range(3):
        open_personal_link(Client(), join_url(first))

    assert open_personal_link(browser, join_url(second)).status_code == 200
    assert browser.get(join_url(first)).status_code == 403


def test_a_hook_can_take_over_the_join_page(client, webinar):
    from django.http import HttpResponse

    registrant = confirmed(webinar)

    def player(request, registrant, session):
        return HttpResponse("the player") if registrant.webinar.kind == "live" else None

    hooks.join_page_overrides.register(player)
    try:
        response = open_personal_link(client, join_url(registrant))
    finally:
        hooks.join_page_overrides.unregister(player)

    assert response.text == "the player"
    assert JoinDevice.objects.count() == 1


def test_a_cookieless_get_shows_the_continue_page_and_records_no_device(webinar):
    registrant = confirmed(webinar)
    session = webinar.sessions.get()

    # Mail scanners (Safe Links, Mimecast) fetch the link without cookies.
    with time_machine.travel(session.starts_at - timedelta(minutes=5), tick=False):
        scans = [Client().get(join_url(registrant)) for _ in range(10)]

    assert {scan.status_code for scan in scans} == {200}
    page = scans[0].text
    assert "Open your personal link on this device" in page
    assert 'method="post"' in page
    assert f'action="{join_url(registrant)}"' in page
    assert "csrfmiddlewaretoken" in page
    assert "no-store" in scans[0]["Cache-Control"]
    assert devices.COOKIE_NAME not in scans[0].cookies
    assert not JoinDevice.objects.exists()
    assert not JoinRecord.objects.exists()
    # All three slots are still free for the registrant's own devices.
    answers = [open_personal_link(Client(), join_url(registrant)) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert JoinDevice.objects.filter(registrant=registrant).count() == 3


def test_continue_post_records_the_device_and_sets_its_cookie(webinar):
    registrant = confirmed(webinar)
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(join_url(registrant))
    token = page.context["csrf_token"]

    response = browser.post(join_url(registrant), {"csrfmiddlewaretoken": token})

    assert response.status_code == 200
    assert webinar.title in response.text
    assert devices.COOKIE_NAME in response.cookies
    assert JoinDevice.objects.filter(registrant=registrant).count() == 1


def test_continue_post_without_csrf_token_is_refused(webinar):
    registrant = confirmed(webinar)
    browser = Client(enforce_csrf_checks=True)

    assert browser.post(join_url(registrant)).status_code == 403
    assert not JoinDevice.objects.exists()


def test_a_fourth_device_continuing_gets_the_device_limit_page(webinar):
    registrant = confirmed(webinar)
    for _ in range(3):
        open_personal_link(Client(), join_url(registrant))
    fourth = Client()

    assert fourth.get(join_url(registrant)).status_code == 200
    refused = fourth.post(join_url(registrant))

    assert refused.status_code == 403
    assert "Device limit reached" in refused.text
    assert JoinDevice.objects.filter(registrant=registrant).count() == 3


def test_an_admitted_device_goes_straight_through_on_get(webinar):
    registrant = confirmed(webinar)
    session = webinar.sessions.get()
    browser = Client()
    open_personal_link(browser, join_url(registrant))

    with time_machine.travel(session.starts_at - timedelta(minutes=5), tick=False):
        response = browser.get(join_url(registrant))

    assert response.status_code == 302
    assert response["Location"] == session.broadcast_url
    assert JoinRecord.objects.filter(registrant=registrant, session=session).exists()
    assert JoinDevice.objects.filter(registrant=registrant).count() == 1
