"""Reminders and follow-ups derived from sessions and registrants."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from registrations.emails import outbox, reminders, sending
from registrations.models import EmailLog, JoinDevice, JoinRecord, Registrant
from tests import factories
from tests.seat_counters import recount_seat_counters

Kind = EmailLog.Kind
pytestmark = pytest.mark.django_db

# A fixed start, ten days after the pinned clock: no test depends on today.
START = datetime(2030, 6, 13, 14, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _pinned_clock():
    with time_machine.travel(START - timedelta(days=10)):
        yield


@pytest.fixture
def session(webinar):
    return move(webinar.sessions.get(), to=START)


def move(session, *, to):
    """Move the one-hour session to start at `to`."""
    session.starts_at = to
    session.ends_at = to + timedelta(hours=1)
    session.save()
    return session


def register(webinar, *, at, **kwargs) -> Registrant:
    with time_machine.travel(at):
        return factories.RegistrantFactory(webinar=webinar, **kwargs)


def run_at(moment) -> None:
    """What beat does every minute: queue due reminders, send due emails."""
    with time_machine.travel(moment):
        reminders.schedule_reminders()
        sending.send_due_emails()


def reminders_of(registrant) -> list[int]:
    return sorted(
        EmailLog.objects.filter(
            registrant=registrant, kind=Kind.REMINDER, status=EmailLog.Status.SENT
        ).values_list("variant", flat=True)
    )


def test_default_schedule_sends_a_day_and_an_hour_before(webinar, session, smtp):
    early = register(webinar, at=START - timedelta(days=5))

    run_at(START - timedelta(days=2))
    assert reminders_of(early) == []
    run_at(START - timedelta(days=1) + timedelta(seconds=30))
    assert reminders_of(early) == [1440]
    run_at(START - timedelta(hours=1) + timedelta(seconds=30))
    assert reminders_of(early) == [60, 1440]
    assert len(smtp.to(early.email)) == 2
    subject = smtp.to(early.email)[-1]["Subject"]
    assert "in 1 hour" in subject


def test_running_the_schedule_again_sends_nothing_twice(webinar, session, smtp):
    registrant = register(webinar, at=START - timedelta(days=5))
    moment = START - timedelta(hours=1) + timedelta(seconds=30)

    for _run in range(3):
        run_at(moment)

    assert len(smtp.to(registrant.email)) == 1


def test_late_registrant_misses_the_earlier_reminder_but_gets_the_later(
    webinar, session, smtp
):
    late = register(webinar, at=START - timedelta(hours=5))

    run_at(START - timedelta(hours=4))
    run_at(START - timedelta(hours=1) + timedelta(seconds=30))

    assert reminders_of(late) == [60]


def test_registrant_after_the_last_reminder_gets_none(webinar, session, smtp):
    last_minute = register(webinar, at=START - timedelta(minutes=30))

    run_at(START - timedelta(minutes=20))

    assert reminders_of(last_minute) == []


def test_after_an_outage_only_the_latest_reminder_goes_out(webinar, session, smtp):
    registrant = register(webinar, at=START - timedelta(days=5))

    run_at(START - timedelta(minutes=30))

    assert reminders_of(registrant) == [60]


def test_no_reminder_once_the_session_started(webinar, session, smtp):
    register(webinar, at=START - timedelta(days=5))

    run_at(START + timedelta(minutes=1))

    assert not EmailLog.objects.filter(kind=Kind.REMINDER).exists()


@pytest.mark.parametrize(
    "status", ["cancelled", "refunded", "denied", "expired", "pending_payment"]
)
def test_registrants_not_confirmed_get_no_reminder(webinar, session, smtp, status):
    register(webinar, at=START - timedelta(days=5), status=status)

    run_at(START - timedelta(hours=1))

    assert smtp.messages == []


def test_registrant_cancelled_after_queueing_is_not_reminded(webinar, session, smtp):
    registrant = register(webinar, at=START - timedelta(days=5))
    with time_machine.travel(START - timedelta(hours=1)):
        reminders.schedule_reminders()
    registrant.status = "cancelled"
    registrant.save()

    run_at(START - timedelta(minutes=59))

    assert smtp.messages == []
    assert EmailLog.objects.get(kind=Kind.REMINDER).status == EmailLog.Status.DROPPED


def test_individual_session_registrant_is_reminded_of_their_session_only(
    organizer, smtp
):
    webinar = factories.WebinarFactory(
        owner=organizer,
        sessions=0,
        registration_type="individual_session",
    )
    first = factories.SessionFactory(
        webinar=webinar, starts_at=START, ends_at=START + timedelta(hours=1)
    )
    second_start = START + timedelta(days=7)
    second = factories.SessionFactory(
        webinar=webinar,
        starts_at=second_start,
        ends_at=second_start + timedelta(hours=1),
    )
    on_first = register(webinar, at=START - timedelta(days=5), session=first)
    on_second = register(webinar, at=START - timedelta(days=5), session=second)

    run_at(START - timedelta(hours=1))
    run_at(second_start - timedelta(hours=1))

    assert list(
        EmailLog.objects.filter(registrant=on_first, kind=Kind.REMINDER)
        .values_list("session", flat=True)
        .distinct()
    ) == [first.pk]
    assert list(
        EmailLog.objects.filter(registrant=on_second, kind=Kind.REMINDER)
        .values_list("session", flat=True)
        .distinct()
    ) == [second.pk]


def test_all_sessions_registrant_is_reminded_of_every_session(organizer, smtp):
    webinar = factories.WebinarFactory(owner=organizer, sessions=0)
    starts = [START, START + timedelta(days=7)]
    for start in starts:
        factories.SessionFactory(
            webinar=webinar, starts_at=start, ends_at=start + timedelta(hours=1)
        )
    registrant = register(webinar, at=START - timedelta(days=5))

    for start in starts:
        run_at(start - timedelta(hours=1))

    assert len(smtp.to(registrant.email)) == 2


HOUR = timedelta(hours=1)


def assert_reminded_at_the_new_time_only(session, registrant, smtp, *, to, before):
    """Move the session to `to`: its one-hour reminder follows it."""
    move(session, to=to)
    run_at(START - before)
    assert smtp.messages == []
    run_at(to - before)
    assert reminders_of(registrant) == [60]


def test_moving_a_session_moves_its_reminders(webinar, session, smtp):
    registrant = register(webinar, at=START - timedelta(days=5))

    assert_reminded_at_the_new_time_only(
        session, registrant, smtp, to=START + timedelta(days=3), before=HOUR
    )


def test_session_moved_after_queueing_waits_for_the_new_time(webinar, session, smtp):
    registrant = register(webinar, at=START - timedelta(days=5))
    with time_machine.travel(START - timedelta(hours=1)):
        reminders.schedule_reminders()

    assert_reminded_at_the_new_time_only(
        session,
        registrant,
        smtp,
        to=START + timedelta(days=1),
        before=timedelta(minutes=59),
    )


def test_cancelling_a_session_drops_its_reminders(webinar, session, smtp):
    register(webinar, at=START - timedelta(days=5))
    with time_machine.travel(START - timedelta(hours=1)):
        reminders.schedule_reminders()
    session.cancelled_at = START - timedelta(hours=2)
    session.save()

    run_at(START - timedelta(minutes=59))
    run_at(START - timedelta(minutes=30))

    assert smtp.messages == []


def test_turning_reminders_off_stops_them(webinar, session, smtp):
    register(webinar, at=START - timedelta(days=5))
    webinar.reminders_enabled = False
    webinar.save()

    run_at(START - timedelta(hours=1))

    assert smtp.messages == []


def test_webinar_schedule_overrides_the_account_default(webinar, session, smtp):
    registrant = register(webinar, at=START - timedelta(days=5))
    webinar.reminder_offsets = [2 * 24 * 60, 15]
    webinar.save()

    for moment in (
        START - timedelta(days=2),
        START - timedelta(days=1),
        START - timedelta(hours=1),
        START - timedelta(minutes=15),
    ):
        run_at(moment)

    assert reminders_of(registrant) == [15, 2 * 24 * 60]


def test_account_default_schedule_is_used(webinar, session, smtp):
    webinar.account.reminder_offsets = [180]
    webinar.account.save()
    registrant = register(webinar, at=START - timedelta(days=5))

    run_at(START - timedelta(hours=3))
    run_at(START - timedelta(hours=1))

    assert reminders_of(registrant) == [180]


def test_unsubscribed_registrant_gets_no_reminder(webinar, session, smtp):
    registrant = register(webinar, at=START - timedelta(days=5))
    outbox.unsubscribe(registrant=registrant)

    run_at(START - timedelta(hours=1))

    assert smtp.messages == []


def test_reminder_carries_a_working_one_click_unsubscribe(
    webinar, session, smtp, client
):
    registrant = register(webinar, at=START - timedelta(days=5))
    run_at(START - timedelta(hours=1))
    (message,) = smtp.messages
    url = message["List-Unsubscribe"].strip().strip("<>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    path = url.removeprefix("http://127.0.0.1:8000")
    assert client.get(path).status_code == 200
    registrant.refresh_from_db()
    assert registrant.unsubscribed_at is None  # GET only asks

    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    registrant.refresh_from_db()
    assert registrant.unsubscribed_at is not None


def test_tampered_unsubscribe_token_is_a_404(client):
    assert client.post("/emails/unsubscribe/MQ:forged:token/").status_code == 404


def test_two_thousand_registrants_are_reminded_without_a_duplicate(
    webinar, session, smtp
):
    webinar.registration_limit = 5000
    webinar.save()
    registered = START - timedelta(days=5)
    with time_machine.travel(registered):
        Registrant.objects.bulk_create(
            Registrant(
                webinar=webinar,
                email=f"bulk{i}@example.com",
                first_name="Bulk",
                last_name=str(i),
                status="confirmed",
                source="free",
                confirmed_at=registered,
                join_token=f"join-{i:05d}-" + "x" * 30,
                cancel_token=f"cancel-{i:05d}-" + "x" * 28,
            )
            for i in range(2000)
        )
    recount_seat_counters()
    moment = START - timedelta(hours=1)

    # The clock stands still: on a loaded machine, scheduling 2,000 rows can
    # take longer than the one second of margin after the dead worker's lease.
    with time_machine.travel(moment, tick=False):
        created = reminders.schedule_reminders()
        again = reminders.schedule_reminders()
        claimed_by_dead_worker = sending.claim_due_emails(limit=150)
        sending.send_due_emails(batch_size=500)
    with time_machine.travel(moment + sending.LEASE + timedelta(seconds=1), tick=False):
        reminders.schedule_reminders()
        sending.send_due_emails(batch_size=500)

    assert created == 2000
    assert again == 0
    assert len(claimed_by_dead_worker) == 150
    recipients = smtp.handler.recipients
    assert len(recipients) == 2000
    assert len(set(recipients)) == 2000
    assert EmailLog.objects.filter(status=EmailLog.Status.SENT).count() == 2000


# Follow-ups ------------------------------------------------------------------


def test_followups_split_attendees_and_absentees(webinar, session, smtp):
    attendee = register(webinar, at=START - timedelta(days=5))
    device_user = register(webinar, at=START - timedelta(days=5))
    absentee = register(webinar, at=START - timedelta(days=5))
    with time_machine.travel(START + timedelta(minutes=5)):
        JoinRecord.objects.create(registrant=attendee, session=session)
        JoinDevice.objects.create(registrant=device_user, device_id="phone")

    with time_machine.travel(session.ends_at + timedelta(minutes=45)):
        created = reminders.schedule_followups()
        again = reminders.schedule_followups()
        sending.send_due_emails()

    assert created == 3
    assert again == 0
    kinds = dict(
        EmailLog.objects.filter(session=session).values_list("registrant", "kind")
    )
    assert kinds == {
        attendee.pk: Kind.FOLLOWUP_ATTENDED,
        device_user.pk: Kind.FOLLOWUP_ATTENDED,
        absentee.pk: Kind.FOLLOWUP_ABSENT,
    }
    assert "Thank you for attending" in smtp.to(attendee.email)[0]["Subject"]
    assert "Sorry we missed you" in smtp.to(absentee.email)[0]["Subject"]


def test_device_seen_only_before_the_session_does_not_count_as_attending(
    webinar, session
):
    registrant = register(webinar, at=START - timedelta(days=5))
    with time_machine.travel(START - timedelta(days=2)):
        JoinDevice.objects.create(registrant=registrant, device_id="laptop")

    with time_machine.travel(session.ends_at + timedelta(hours=1)):
        reminders.schedule_followups()

    assert EmailLog.objects.get(registrant=registrant).kind == Kind.FOLLOWUP_ABSENT


def test_no_followup_before_the_session_ends_or_long_after(webinar, session):
    register(webinar, at=START - timedelta(days=5))

    with time_machine.travel(session.ends_at - timedelta(minutes=5)):
        assert reminders.schedule_followups() == 0
    with time_machine.travel(session.ends_at + timedelta(days=3)):
        assert reminders.schedule_followups() == 0


def test_followups_can_be_turned_off(webinar, session):
    register(webinar, at=START - timedelta(days=5))
    webinar.followups_enabled = False
    webinar.save()

    with time_machine.travel(session.ends_at + timedelta(hours=1)):
        assert reminders.schedule_followups() == 0


def test_no_followup_for_a_cancelled_session_or_registrant(webinar, session):
    register(webinar, at=START - timedelta(days=5), status="cancelled")
    with time_machine.travel(session.ends_at + timedelta(hours=1)):
        assert reminders.schedule_followups() == 0
