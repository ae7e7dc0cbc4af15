"""Numbers and dates past what the database stores are form errors (issue 14).

Integers above 2**31 only fail on PostgreSQL, dates near year 1 or 9999 fail
when moved to UTC or stored: each gets a message beside its field and nothing
changes. The generated test (tests/test_bad_input.py) tries every field; these
name the known causes.
"""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from payments.models import DiscountCode, PriceTier
from recordings.models import Recording
from tests import factories

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("pinned"),
]

TOO_BIG = "Ensure this value is less than or equal to 2147483647."
FAR_DATE = "Enter a date between the years 2000 and 2100."


@pytest.fixture
def pinned():
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def priced(webinar):
    return factories.PriceFactory(webinar=webinar, amount=10000, enabled=True)


def pricing(name: str, webinar) -> str:
    return reverse(f"payments:{name}", args=[webinar.pk])


def code(**overrides) -> dict:
    return {"code": "SPRING", "amount": "50.00", "active": "on", **overrides}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("max_uses", str(2**31), TOO_BIG),
        ("max_uses", str(2**63), TOO_BIG),
        ("valid_from", "0001-01-01T00:00", FAR_DATE),
        ("valid_until", "9999-12-31T23:59", FAR_DATE),
    ],
)
def test_code_numbers_and_windows_are_bounded(
    webinar, priced, login, field, value, message
):
    client = login(webinar.owner)
    response = client.post(pricing("pricing_code_add", webinar), code(**{field: value}))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not DiscountCode.objects.exists()


def test_generated_codes_uses_are_bounded(webinar, priced, login):
    response = login(webinar.owner).post(
        pricing("pricing_codes_generate", webinar),
        {"count": "2", "amount": "50.00", "max_uses": str(2**31)},
    )
    assert response.status_code == 400
    assert TOO_BIG in response.content.decode()
    assert not DiscountCode.objects.exists()


@pytest.mark.parametrize("ends_at", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_tier_end_is_bounded(webinar, priced, login, ends_at):
    response = login(webinar.owner).post(
        pricing("pricing_tier_add", webinar), {"amount": "80", "ends_at": ends_at}
    )
    assert response.status_code == 400
    assert FAR_DATE in response.content.decode()
    assert not PriceTier.objects.exists()


@pytest.mark.parametrize(
    ("starts_at", "ends_at"),
    [
        ("0001-01-01T00:00", "0001-01-01T01:00"),
        ("9999-12-31T22:00", "9999-12-31T23:59"),
    ],
)
def test_session_times_are_bounded(webinar, login, starts_at, ends_at):
    session = webinar.sessions.get()
    before = session.starts_at
    response = login(webinar.owner).post(
        reverse("webinars:session_edit", args=[webinar.pk, session.pk]),
        {"starts_at": starts_at, "ends_at": ends_at},
    )
    assert response.status_code < 500
    assert FAR_DATE in response.content.decode()
    session.refresh_from_db()
    assert session.starts_at == before


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_schedule_date_is_bounded(webinar, login, day):
    response = login(webinar.owner).post(
        reverse("webinars:sessions_add", args=[webinar.pk]),
        {
            "schedule-date": day,
            "schedule-start_time": "23:00",
            "schedule-end_time": "23:59",
            "schedule-recurrence": "weekly",
            "schedule-occurrences": "50",
        },
    )
    assert response.status_code < 500
    assert FAR_DATE in response.content.decode()
    assert webinar.sessions.count() == 1


def test_recording_duration_is_bounded(organizer, login):
    response = login(organizer).post(
        reverse("recordings:add_external"),
        {"url": "https://example.com/v.mp4", "duration": "9" * 20},
    )
    assert response.status_code == 400
    assert "The duration can be at most 99:59:59." in response.content.decode()
    assert not Recording.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("availability-view_limit", str(2**31), TOO_BIG),
        ("availability-available_until", "9999-12-31T23:59", FAR_DATE),
        ("availability-available_until", "0001-01-01", FAR_DATE),
    ],
)
def test_recording_availability_is_bounded(admin, login, field, value, message):
    recording = factories.RecordingFactory(account=admin.account)
    response = login(admin).post(
        reverse("recordings:detail", args=[recording.pk]), {field: value}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    recording.refresh_from_db()
    assert (recording.view_limit, recording.available_until) == (None, None)


def test_resend_to_an_id_past_64_bits_is_a_form_error(webinar, login):
    response = login(webinar.owner).post(
        reverse("registrations:email_resend", args=[webinar.pk]),
        {"registrant": str(2**63)},
    )
    assert response.status_code < 500
