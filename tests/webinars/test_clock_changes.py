"""Session times the clocks skip or repeat: a form error, never a 500 or a shift.

In Europe/Paris the clocks go forward from 2:00 to 3:00 on 28 March 2027 (2:30
does not exist) and back from 3:00 to 2:00 on 31 October 2027 (2:30 happens
twice). Every test pins the clock early in 2027, so these days are ahead.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from tests.factories import SessionFactory, WebinarFactory
from tests.webinars.test_forms import create_payload
from webinars.models import Session, Webinar

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 1, 15, 9, 0, tzinfo=UTC)
SPRING = "2027-03-28"
AUTUMN = "2027-10-31"
SKIPPED_EN = (
    "2:30 a.m. does not exist on March 28, 2027 in the Europe/Paris time zone "
    "(the clocks go forward from 2 a.m. to 3 a.m.). Choose another time."
)
SKIPPED_FR = (
    "02:30 n’existe pas le 28 mars 2027 dans le fuseau horaire Europe/Paris "
    "(les horloges avancent de 02:00 à 03:00). Choisissez une autre heure."
)
REPEATED_EN = (
    "2:30 a.m. happens twice on Oct. 31, 2027 in the Europe/Paris time zone "
    "(the clocks go back from 3 a.m. to 2 a.m.). Choose another time."
)
REPEATED_FR = (
    "02:30 existe deux fois le 31 octobre 2027 dans le fuseau horaire "
    "Europe/Paris (les horloges reculent de 03:00 à 02:00). Choisissez une "
    "autre heure."
)


@pytest.fixture(autouse=True)
def _early_2027():
    with time_machine.travel(NOW, tick=False):
        yield


def schedule(day: str, start: str, end: str, **more: str) -> dict:
    return {
        "schedule-date": day,
        "schedule-start_time": start,
        "schedule-end_time": end,
        **more,
    }


def post_create(client, organizer, language: str = "en", **fields):
    client.force_login(organizer.user)
    return client.post(
        reverse("webinars:create"),
        create_payload(**fields),
        HTTP_ACCEPT_LANGUAGE=language,
    )


def post_add(client, organizer, webinar, language: str = "en", **fields):
    client.force_login(organizer.user)
    data = {"schedule-recurrence": "none", "schedule-occurrences": "1", **fields}
    return client.post(
        reverse("webinars:sessions_add", args=[webinar.pk]),
        data,
        HTTP_ACCEPT_LANGUAGE=language,
    )


def errors(response, name: str, field: str) -> list[str]:
    return [str(e) for e in response.context[name].errors.get(field, [])]


def keeps_what_was_typed(page: str, day: str, start: str, end: str) -> bool:
    return all(
        f'name="schedule-{name}" value="{value}"' in page
        for name, value in (("date", day), ("start_time", start), ("end_time", end))
    )


@pytest.fixture
def paris_webinar(organizer):
    webinar = WebinarFactory(owner=organizer, timezone="Europe/Paris", sessions=0)
    SessionFactory(webinar=webinar, starts_at=NOW + timedelta(days=3))
    return webinar


# -- the reported 500: 02:30-03:30 on the spring-forward night ----------------------


def test_create_refuses_a_session_in_the_skipped_hour(client, organizer):
    response = post_create(client, organizer, **schedule(SPRING, "02:30", "03:30"))
    assert response.status_code == 200
    assert errors(response, "schedule", "start_time") == [SKIPPED_EN]
    assert not Webinar.objects.exists()
    assert keeps_what_was_typed(response.text, SPRING, "02:30", "03:30")
    assert 'value="Budgeting 101"' in response.text


def test_session_add_refuses_a_session_in_the_skipped_hour(
    client, organizer, paris_webinar
):
    response = post_add(
        client, organizer, paris_webinar, **schedule(SPRING, "02:30", "03:30")
    )
    assert response.status_code == 200
    assert errors(response, "form", "start_time") == [SKIPPED_EN]
    assert paris_webinar.sessions.count() == 1
    assert keeps_what_was_typed(response.text, SPRING, "02:30", "03:30")


def test_skipped_time_is_refused_in_french(client, organizer, paris_webinar):
    response = post_add(
        client, organizer, paris_webinar, "fr", **schedule(SPRING, "02:30", "03:30")
    )
    assert errors(response, "form", "start_time") == [SKIPPED_FR]
    response = post_create(
        client, organizer, "fr", **schedule(SPRING, "02:30", "04:00")
    )
    assert errors(response, "schedule", "start_time") == [SKIPPED_FR]
    assert not Webinar.objects.exclude(pk=paris_webinar.pk).exists()


# -- no silent shift: 02:15-02:45 was saved as 03:15-03:45, 02:30-04:00 as 30 min --


@pytest.mark.parametrize(
    ("start", "end", "start_errors", "end_errors"),
    [
        ("02:15", "02:45", 1, 1),
        ("02:30", "04:00", 1, 0),
        ("01:30", "02:30", 0, 1),
    ],
)
def test_no_time_in_the_skipped_hour_is_moved(
    client, organizer, paris_webinar, start, end, start_errors, end_errors
):
    response = post_add(
        client, organizer, paris_webinar, **schedule(SPRING, start, end)
    )
    assert response.status_code == 200
    assert len(errors(response, "form", "start_time")) == start_errors
    assert len(errors(response, "form", "end_time")) == end_errors
    assert "does not exist on March 28, 2027" in response.text
    assert paris_webinar.sessions.count() == 1


def test_a_series_crossing_the_skipped_hour_names_the_day(
    client, organizer, paris_webinar
):
    weekly = {"schedule-recurrence": "weekly", "schedule-occurrences": "3"}
    response = post_add(
        client,
        organizer,
        paris_webinar,
        **schedule("2027-03-14", "02:30", "03:30"),
        **weekly,
    )
    assert errors(response, "form", "start_time") == [SKIPPED_EN]
    assert paris_webinar.sessions.count() == 1


# -- the repeated hour: refused, the form cannot tell which 2:30 is meant ----------


def test_a_time_that_happens_twice_is_refused(client, organizer, paris_webinar):
    response = post_add(
        client, organizer, paris_webinar, **schedule(AUTUMN, "02:30", "03:30")
    )
    assert response.status_code == 200
    assert errors(response, "form", "start_time") == [REPEATED_EN]
    response = post_create(
        client, organizer, "fr", **schedule(AUTUMN, "01:00", "02:30")
    )
    assert errors(response, "schedule", "end_time") == [REPEATED_FR]
    assert keeps_what_was_typed(response.text, AUTUMN, "01:00", "02:30")
    assert Session.objects.count() == 1


# -- end before start, and normal times saved exactly -------------------------------


def test_session_add_refuses_an_end_before_or_at_the_start(
    client, organizer, paris_webinar
):
    for end in ("09:00", "10:00"):
        response = post_add(
            client, organizer, paris_webinar, **schedule(SPRING, "10:00", end)
        )
        assert response.status_code == 200
        assert errors(response, "form", "end_time") == [
            "The session must end after it starts."
        ]
    assert paris_webinar.sessions.count() == 1


def test_times_around_the_change_are_saved_exactly(client, organizer, paris_webinar):
    """Before the change Paris is UTC+1, after it UTC+2; 01:59 and 03:00 exist."""
    cases = [
        ("2027-03-27", "10:00", "11:00", "09:00", "10:00"),
        (SPRING, "01:00", "01:59", "00:00", "00:59"),
        (SPRING, "03:00", "04:00", "01:00", "02:00"),
        (SPRING, "10:00", "11:30", "08:00", "09:30"),
        (AUTUMN, "03:00", "04:00", "02:00", "03:00"),
    ]
    for day, start, end, *_ in cases:
        response = post_add(
            client, organizer, paris_webinar, **schedule(day, start, end)
        )
        assert response.status_code == 302
    saved = [
        (s.starts_at.strftime("%H:%M"), s.ends_at.strftime("%H:%M"))
        for s in paris_webinar.sessions.exclude(
            starts_at__lt=NOW + timedelta(days=4)
        ).order_by("starts_at")
    ]
    assert saved == [(utc_start, utc_end) for *_, utc_start, utc_end in cases]


def test_create_saves_a_normal_time_exactly(client, organizer):
    response = post_create(client, organizer, **schedule(SPRING, "14:00", "15:30"))
    assert response.status_code == 302
    session = Webinar.objects.get().sessions.get()
    assert session.starts_at == datetime(2027, 3, 28, 12, 0, tzinfo=UTC)
    assert session.ends_at == datetime(2027, 3, 28, 13, 30, tzinfo=UTC)


def test_create_checks_the_schedule_even_when_the_webinar_fields_are_wrong(
    client, organizer
):
    response = post_create(
        client, organizer, title="", **schedule(SPRING, "02:30", "03:30")
    )
    assert errors(response, "form", "title")
    assert errors(response, "schedule", "start_time") == [SKIPPED_EN]


# -- the session edit form: the same messages, not Django's raw one ---------------


def post_edit(client, organizer, session, start: str, end: str, language="en"):
    client.force_login(organizer.user)
    url = reverse("webinars:session_edit", args=[session.webinar.pk, session.pk])
    return client.post(
        url,
        {"starts_at": start, "ends_at": end, "broadcast_url": ""},
        HTTP_ACCEPT_LANGUAGE=language,
    )


@pytest.mark.parametrize(
    ("start", "end", "language", "field", "message"),
    [
        (f"{SPRING}T02:30", f"{SPRING}T03:30", "en", "starts_at", SKIPPED_EN),
        (f"{SPRING}T01:30", f"{SPRING}T02:30", "fr", "ends_at", SKIPPED_FR),
        (f"{AUTUMN}T02:30", f"{AUTUMN}T03:30", "en", "starts_at", REPEATED_EN),
        (f"{AUTUMN}T02:30", f"{AUTUMN}T03:30", "fr", "starts_at", REPEATED_FR),
    ],
)
def test_session_edit_refuses_skipped_and_repeated_times(
    client, organizer, paris_webinar, start, end, language, field, message
):
    session = paris_webinar.sessions.get()
    before = (session.starts_at, session.ends_at)
    response = post_edit(client, organizer, session, start, end, language)
    assert response.status_code == 200
    assert errors(response, "form", field) == [message]
    assert "interpreted" not in response.text
    for name, value in (("starts_at", start), ("ends_at", end)):
        assert f'name="{name}" value="{value}"' in response.text
    session.refresh_from_db()
    assert (session.starts_at, session.ends_at) == before


def test_session_edit_saves_a_time_after_the_change_exactly(
    client, organizer, paris_webinar
):
    session = paris_webinar.sessions.get()
    response = post_edit(
        client, organizer, session, f"{SPRING}T03:00", f"{SPRING}T04:00"
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.starts_at == datetime(2027, 3, 28, 1, 0, tzinfo=UTC)
    assert session.ends_at == datetime(2027, 3, 28, 2, 0, tzinfo=UTC)


def test_a_schedule_without_its_repeat_or_a_form_without_fields_is_a_form_error(
    client, organizer, paris_webinar
):
    response = post_add(
        client,
        organizer,
        paris_webinar,
        **schedule(SPRING, "10:00", "11:00", **{"schedule-recurrence": ""}),
    )
    assert response.status_code == 200
    assert errors(response, "form", "recurrence") == ["This field is required."]
    response = client.post(
        reverse("webinars:create"), "{", content_type="application/json"
    )
    assert response.status_code == 200
    assert paris_webinar.sessions.count() == 1
