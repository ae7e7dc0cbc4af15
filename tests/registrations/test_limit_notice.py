"""The registration that takes the last seat tells the organizer, once."""

from datetime import UTC, datetime

import pytest
import time_machine

from registrations.models import EmailLog, Registrant
from registrations.registration import start_registration
from tests import factories
from webinars.models import Session, Webinar

pytestmark = pytest.mark.django_db

LIMIT_REACHED = EmailLog.Kind.LIMIT_REACHED


@pytest.fixture(autouse=True)
def _pinned_clock():
    with time_machine.travel(datetime(2030, 6, 3, 9, 0, tzinfo=UTC)):
        yield


def register(
    webinar: Webinar, email: str, session: Session | None = None
) -> Registrant:
    return start_registration(
        webinar=webinar,
        first_name="Ada",
        last_name="Lovelace",
        email=email,
        answers={},
        base_url="http://testserver/",
        session=session,
    ).registrant


def notified() -> list[str]:
    return [log.registrant.email for log in EmailLog.objects.filter(kind=LIMIT_REACHED)]


def test_the_free_registration_taking_the_last_seat_tells_the_organizer(organizer):
    webinar = factories.WebinarFactory(owner=organizer, registration_limit=2)

    register(webinar, "ada@example.com")
    assert notified() == []
    register(webinar, "grace@example.com")

    assert notified() == ["grace@example.com"]


def test_a_series_session_is_full_when_its_own_seats_are_taken(organizer):
    webinar = factories.WebinarFactory(
        owner=organizer,
        registration_limit=2,
        registration_type=Webinar.RegistrationType.INDIVIDUAL_SESSION,
        sessions=2,
    )
    early, late = webinar.sessions.order_by("starts_at")

    register(webinar, "ada@example.com", session=early)
    # Two seats taken in the webinar, one in each session: neither is full.
    register(webinar, "grace@example.com", session=late)
    assert notified() == []
    register(webinar, "alan@example.com", session=early)

    assert notified() == ["alan@example.com"]
