"""An email about one session of a webinar with several names it in its subject."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from registrations.emails import outbox, reminders, sending
from registrations.models import EmailLog
from tests import factories
from tests.registrations.checkout_support import form_data, register

Kind = EmailLog.Kind
pytestmark = pytest.mark.django_db

# The clock is pinned a week before the first session: no test depends on today.
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
# 15:00 in Paris (CET, UTC+01:00), a Tuesday and the Tuesday after.
FIRST = datetime(2026, 12, 8, 14, 0, tzinfo=UTC)
SECOND = datetime(2026, 12, 15, 14, 0, tzinfo=UTC)
TITLE = "Stripe payments 101"


@pytest.fixture(autouse=True)
def _pinned_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def webinar_with_two_sessions(organizer, *, registration_type, zone="Europe/Paris"):
    webinar = factories.WebinarFactory(
        owner=organizer,
        account=organizer.account,
        title=TITLE,
        timezone=zone,
        registration_type=registration_type,
        sessions=0,
    )
    for start in (FIRST, SECOND):
        factories.SessionFactory(
            webinar=webinar, starts_at=start, ends_at=start + timedelta(hours=1)
        )
    return webinar


@pytest.fixture
def series(organizer):
    return webinar_with_two_sessions(organizer, registration_type="individual_session")


def subjects_to(smtp, address: str) -> list[str]:
    # A long subject is folded; its first line starts after "Subject:".
    return sorted(message["Subject"].strip() for message in smtp.to(address))


def test_each_session_of_a_series_gets_a_confirmation_naming_it(client, series, smtp):
    ids = list(series.sessions.order_by("starts_at").values_list("pk", flat=True))

    register(client, series, session=ids, email="ada@example.com")
    sending.send_due_emails()

    assert subjects_to(smtp, "ada@example.com") == [
        f"You're registered: {TITLE}, Tue, 15 Dec 2026, 3:00\u202fpm CET",
        f"You're registered: {TITLE}, Tue, 8 Dec 2026, 3:00\u202fpm CET",
    ]


def test_a_french_registrant_reads_the_sessions_in_french(client, series, smtp):
    ids = list(series.sessions.order_by("starts_at").values_list("pk", flat=True))

    client.post(
        series.get_registration_url(),
        form_data(session=ids, email="ada@example.com"),
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    sending.send_due_emails()

    assert subjects_to(smtp, "ada@example.com") == [
        f"Votre inscription est confirmée\u00a0: {TITLE}, mar. 15 déc. 2026, 15:00 CET",
        f"Votre inscription est confirmée\u00a0: {TITLE}, mar. 8 déc. 2026, 15:00 CET",
    ]


def test_a_zone_without_an_abbreviation_gives_its_offset(organizer, smtp):
    webinar = webinar_with_two_sessions(
        organizer, registration_type="individual_session", zone="America/Sao_Paulo"
    )
    first = webinar.sessions.order_by("starts_at").first()
    registrant = factories.RegistrantFactory(
        webinar=webinar, session=first, email="ada@example.com"
    )

    outbox.queue_email(registrant=registrant, kind=Kind.CONFIRMATION)
    sending.send_due_emails()

    assert subjects_to(smtp, "ada@example.com") == [
        f"You're registered: {TITLE}, Tue, 8 Dec 2026, 11:00\u202fam UTC\u221203:00"
    ]


def test_approval_emails_of_a_series_name_the_session(series, smtp):
    first = series.sessions.order_by("starts_at").first()
    registrant = factories.RegistrantFactory(
        webinar=series,
        session=first,
        email="ada@example.com",
        status="awaiting_approval",
        language="fr",
    )

    outbox.queue_email(registrant=registrant, kind=Kind.AWAITING_APPROVAL)
    sending.send_due_emails()

    assert subjects_to(smtp, "ada@example.com") == [
        "Votre inscription est en attente d’approbation\u00a0: "
        f"{TITLE}, mar. 8 déc. 2026, 15:00 CET"
    ]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            [
                f"Reminder: {TITLE} starts in 1 day "
                "(Tue, 15 Dec 2026, 3:00\u202fpm CET)",
                f"Reminder: {TITLE} starts in 1 day "
                "(Tue, 8 Dec 2026, 3:00\u202fpm CET)",
            ],
        ),
        (
            "fr",
            [
                f"Rappel\u00a0: {TITLE} commence dans 1 jour "
                "(mar. 15 déc. 2026, 15:00 CET)",
                f"Rappel\u00a0: {TITLE} commence dans 1 jour "
                "(mar. 8 déc. 2026, 15:00 CET)",
            ],
        ),
    ],
)
def test_reminders_of_a_webinar_of_several_sessions_name_each(
    organizer, smtp, language, expected
):
    webinar = webinar_with_two_sessions(organizer, registration_type="all_sessions")
    factories.RegistrantFactory(
        webinar=webinar, email="ada@example.com", language=language
    )

    for start in (FIRST, SECOND):
        with time_machine.travel(start - timedelta(days=1) + timedelta(seconds=30)):
            reminders.schedule_reminders()
            sending.send_due_emails()

    assert subjects_to(smtp, "ada@example.com") == expected


def test_a_single_session_keeps_its_subjects(organizer, smtp):
    webinar = factories.WebinarFactory(
        owner=organizer, account=organizer.account, title=TITLE, sessions=0
    )
    factories.SessionFactory(
        webinar=webinar, starts_at=FIRST, ends_at=FIRST + timedelta(hours=1)
    )
    registrant = factories.RegistrantFactory(webinar=webinar, email="ada@example.com")

    outbox.queue_email(registrant=registrant, kind=Kind.CONFIRMATION)
    with time_machine.travel(FIRST - timedelta(days=1) + timedelta(seconds=30)):
        reminders.schedule_reminders()
        sending.send_due_emails()

    assert subjects_to(smtp, "ada@example.com") == [
        f"Reminder: {TITLE} starts in 1 day",
        f"You're registered: {TITLE}",
    ]


def test_the_confirmation_of_every_session_at_once_stays_one_email(organizer, smtp):
    webinar = webinar_with_two_sessions(organizer, registration_type="all_sessions")
    registrant = factories.RegistrantFactory(webinar=webinar, email="ada@example.com")

    outbox.queue_email(registrant=registrant, kind=Kind.CONFIRMATION)
    sending.send_due_emails()

    assert subjects_to(smtp, "ada@example.com") == [f"You're registered: {TITLE}"]
