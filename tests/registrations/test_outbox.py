"""The outbox: leases, retries, SMTP faults, and exactly-once delivery."""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.core.mail import get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from registrations.emails import outbox, sending
from registrations.emails.content import build_message
from registrations.emails.rows import MAX_ATTEMPTS, mark_sent
from registrations.models import EmailLog
from tests import factories
from tests.registrations.smtp_sink import SmtpSink, free_port

Kind = EmailLog.Kind
pytestmark = pytest.mark.django_db


@pytest.fixture
def registrants(webinar):
    return [
        factories.RegistrantFactory(webinar=webinar, email=f"r{i}@example.com")
        for i in range(5)
    ]


def queue_confirmations(registrants) -> list[EmailLog]:
    return [
        outbox.queue_email(registrant=r, kind=Kind.CONFIRMATION) for r in registrants
    ]


def test_queuing_the_same_email_twice_keeps_one_row(registrants):
    first = outbox.queue_email(registrant=registrants[0], kind=Kind.CONFIRMATION)
    again = outbox.queue_email(registrant=registrants[0], kind=Kind.CONFIRMATION)

    assert first.pk == again.pk
    assert EmailLog.objects.count() == 1


def test_same_kind_for_another_session_is_another_email(registrants, webinar):
    session = webinar.sessions.get()
    outbox.queue_email(registrant=registrants[0], kind=Kind.FOLLOWUP_ABSENT)
    outbox.queue_email(
        registrant=registrants[0], kind=Kind.FOLLOWUP_ABSENT, session=session
    )

    assert EmailLog.objects.count() == 2


def test_unknown_kind_is_refused(registrants):
    with pytest.raises(ValueError, match="Unknown email kind"):
        outbox.queue_email(registrant=registrants[0], kind="newsletter")


def test_queuing_kicks_the_sender_after_commit(
    registrants, smtp, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from config.celery import app

    app.conf.task_always_eager = True
    try:
        with (
            django_capture_on_commit_callbacks(execute=True),
            transaction.atomic(),
        ):
            outbox.queue_email(registrant=registrants[0], kind=Kind.CONFIRMATION)
            assert smtp.messages == []
    finally:
        app.conf.task_always_eager = False

    assert len(smtp.to("r0@example.com")) == 1


def test_batch_goes_over_one_smtp_connection(registrants, smtp):
    logs = queue_confirmations(registrants)

    report = sending.send_due_emails()

    assert report.sent == 5
    assert smtp.handler.connections == 1
    for log in logs:
        log.refresh_from_db()
        assert log.status == EmailLog.Status.SENT
        assert log.sent_at is not None
        assert log.leased_until is None
        assert log.attempts == 1


def test_a_sent_email_is_never_sent_again(registrants, smtp):
    (log,) = queue_confirmations(registrants[:1])
    sending.send_due_emails()
    # Even a row forced back into the queue is skipped once sent_at is set.
    EmailLog.objects.filter(pk=log.pk).update(status=EmailLog.Status.QUEUED)

    sending.send_due_emails()

    assert len(smtp.messages) == 1


def test_emails_scheduled_for_later_wait(registrants, smtp):
    later = timezone.now() + timedelta(hours=2)
    outbox.queue_email(registrant=registrants[0], kind=Kind.CONFIRMATION, when=later)

    sending.send_due_emails()
    assert smtp.messages == []

    with time_machine.travel(later + timedelta(seconds=1)):
        sending.send_due_emails()
    assert len(smtp.messages) == 1


def test_two_workers_never_claim_the_same_row(registrants):
    queue_confirmations(registrants)

    first = sending.claim_due_emails(limit=3)
    second = sending.claim_due_emails(limit=10)
    third = sending.claim_due_emails(limit=10)

    assert len(first) == 3
    assert len(second) == 2
    assert third == []
    assert not {r.pk for r in first} & {r.pk for r in second}


def test_killed_worker_rows_are_sent_once_after_the_lease_expires(registrants, smtp):
    logs = queue_confirmations(registrants)
    # A worker claims the batch and dies before sending anything.
    claimed = sending.claim_due_emails()
    assert len(claimed) == 5

    sending.send_due_emails()
    assert smtp.messages == []  # still leased to the dead worker

    with time_machine.travel(timezone.now() + sending.LEASE + timedelta(seconds=1)):
        sending.send_due_emails()
        sending.send_due_emails()

    assert sorted(m["To"] for m in smtp.messages) == sorted(
        r.email for r in registrants
    )
    for log in logs:
        log.refresh_from_db()
        assert log.status == EmailLog.Status.SENT


def test_worker_killed_mid_batch_resends_only_what_was_not_accepted(registrants, smtp):
    queue_confirmations(registrants)
    rows = sending.claim_due_emails()
    # The dead worker got two messages accepted (and marked) before dying.
    with get_connection() as connection:
        for row in rows[:2]:
            connection.send_messages([build_message(row)])
            mark_sent(row, recipient=row.registrant.email)

    with time_machine.travel(timezone.now() + sending.LEASE + timedelta(seconds=1)):
        sending.send_due_emails()

    recipients = [m["To"] for m in smtp.messages]
    assert sorted(recipients) == sorted(r.email for r in registrants)
    assert len(recipients) == len(set(recipients))


def test_smtp_server_down_retries_with_backoff(registrants, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens there
    settings.EMAIL_TIMEOUT = 2
    (log,) = queue_confirmations(registrants[:1])

    report = sending.send_due_emails()

    log.refresh_from_db()
    assert report.retried == 1
    assert log.status == EmailLog.Status.QUEUED
    assert log.attempts == 1
    assert "ConnectionRefused" in log.last_error
    assert log.scheduled_for > timezone.now() + timedelta(seconds=50)
    assert log.leased_until is None


def test_email_is_delivered_when_the_server_comes_back(registrants, settings):
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    (log,) = queue_confirmations(registrants[:1])
    sending.send_due_emails()

    sink = SmtpSink()
    sink.port = port
    from aiosmtpd.controller import Controller

    sink.controller = Controller(sink.handler, hostname="127.0.0.1", port=port)
    with sink, time_machine.travel(timezone.now() + timedelta(minutes=2)):
        sending.send_due_emails()

    log.refresh_from_db()
    assert log.status == EmailLog.Status.SENT
    assert log.attempts == 2
    assert len(sink.messages) == 1


def test_after_the_last_retry_the_email_fails_and_the_organizer_is_told(
    registrants, settings, webinar
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    (log,) = queue_confirmations(registrants[:1])

    moment = timezone.now()
    for _attempt in range(MAX_ATTEMPTS):
        with time_machine.travel(moment):
            sending.send_due_emails()
        moment += timedelta(hours=4)

    log.refresh_from_db()
    assert log.status == EmailLog.Status.FAILED
    assert log.attempts == MAX_ATTEMPTS
    assert log.failed_at is not None
    notice = EmailLog.objects.get(kind=Kind.DELIVERY_FAILED)
    assert notice.registrant == registrants[0]
    assert notice.variant == log.pk


def test_refused_recipient_fails_at_once_and_the_others_are_sent(
    registrants, smtp, webinar
):
    smtp.handler.refuse["r2@example.com"] = "550 5.1.1 No such user"
    logs = queue_confirmations(registrants)

    report = sending.send_due_emails()

    assert report.sent == 5  # 4 confirmations + the organizer's notice
    assert report.failed == 1
    refused = EmailLog.objects.get(pk=logs[2].pk)
    assert refused.status == EmailLog.Status.FAILED
    assert "550" in refused.last_error
    assert len(smtp.messages) == 5
    (notice,) = smtp.to(webinar.owner.email)
    text = notice.get_body(("plain",)).get_content()
    assert "r2@example.com" in text
    assert "550 5.1.1 No such user" in text


def test_temporarily_refused_recipient_is_retried(registrants, smtp):
    smtp.handler.refuse["r0@example.com"] = "450 4.2.0 Mailbox busy"
    (log,) = queue_confirmations(registrants[:1])

    sending.send_due_emails()

    log.refresh_from_db()
    assert log.status == EmailLog.Status.QUEUED
    assert log.attempts == 1

    del smtp.handler.refuse["r0@example.com"]
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        sending.send_due_emails()
    log.refresh_from_db()
    assert log.status == EmailLog.Status.SENT


def test_connection_dropped_mid_batch_loses_nothing_and_duplicates_nothing(
    registrants, smtp
):
    smtp.handler.drop_on = {3}
    logs = queue_confirmations(registrants)

    report = sending.send_due_emails()

    assert report.sent == 4
    assert report.retried == 1
    assert smtp.handler.connections == 2  # reconnected after the drop
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        sending.send_due_emails()

    recipients = [m["To"] for m in smtp.messages]
    assert sorted(recipients) == sorted(r.email for r in registrants)
    for log in logs:
        log.refresh_from_db()
        assert log.status == EmailLog.Status.SENT


def test_server_timing_out_is_retried(registrants, smtp, settings):
    settings.EMAIL_TIMEOUT = 1
    smtp.handler.stall["r0@example.com"] = 2.5
    (log,) = queue_confirmations(registrants[:1])

    sending.send_due_emails()

    log.refresh_from_db()
    assert log.status == EmailLog.Status.QUEUED
    assert log.attempts == 1
    assert "timed out" in log.last_error.lower() or "timeout" in log.last_error.lower()


def test_confirmation_of_a_registrant_cancelled_meanwhile_is_not_sent(
    registrants, smtp
):
    (log,) = queue_confirmations(registrants[:1])
    registrants[0].status = "cancelled"
    registrants[0].save()

    sending.send_due_emails()

    log.refresh_from_db()
    assert log.status == EmailLog.Status.DROPPED
    assert smtp.messages == []
    # Why, as a kind and its params: worded when read, the status in French.
    assert (log.drop_reason, log.drop_params) == ("status", {"status": "cancelled"})
    with translation.override("en"):
        assert log.note == "The registrant's status is now: Cancelled."
    with translation.override("fr"):
        assert log.note.endswith("Annulé.")


def test_resend_confirmation_sends_a_new_copy(registrants, smtp):
    queue_confirmations(registrants[:1])
    sending.send_due_emails()

    outbox.resend_confirmation(registrant=registrants[0])
    outbox.resend_confirmation(registrant=registrants[0])
    sending.send_due_emails()

    assert len(smtp.to("r0@example.com")) == 3
    assert len({m["Message-ID"] for m in smtp.messages}) == 3


def test_resend_confirmation_refuses_registrants_not_confirmed(registrants):
    registrants[0].status = "refunded"
    registrants[0].save()

    with pytest.raises(outbox.EmailError):
        outbox.resend_confirmation(registrant=registrants[0])


def test_history_include_lists_each_email_with_its_status(registrants, smtp):
    smtp.handler.refuse["r1@example.com"] = "550 5.1.1 No such user"
    queue_confirmations(registrants[:2])
    sending.send_due_emails()

    html = render_to_string(
        "emails/_history.html",
        {
            "email_logs": list(EmailLog.objects.filter(registrant=registrants[1])),
            "webinar": registrants[1].webinar,
        },
    )

    assert "Confirmation" in html
    assert "Failed" in html
    assert "550 5.1.1 No such user" in html


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_claim_disjoint_rows_on_postgresql(webinar):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection as default_connection

    people = factories.RegistrantFactory.create_batch(60, webinar=webinar)
    queue_confirmations(people)

    def claim() -> list[int]:
        try:
            return [row.pk for row in sending.claim_due_emails(limit=15)]
        finally:
            default_connection.close()

    with ThreadPoolExecutor(max_workers=6) as pool:
        claims = list(pool.map(lambda _n: claim(), range(6)))

    claimed = [pk for batch in claims for pk in batch]
    assert len(claimed) == len(set(claimed)) == 60


def test_a_burst_of_kicks_queues_one_sender_run():
    began = timezone.now()
    with time_machine.travel(began, tick=False):
        assert sending.kick_sender() is True
        # The rest of the burst: the run queued above starts after the window.
        assert [sending.kick_sender() for _ in range(50)] == [False] * 50
    after = began + timedelta(seconds=sending.KICK_WINDOW_SECONDS + 0.1)
    with time_machine.travel(after, tick=False):
        assert sending.kick_sender() is True
    assert sending.KICK_DELAY_SECONDS > sending.KICK_WINDOW_SECONDS


def test_kicks_leave_the_rows_to_a_run_that_starts_after_them():
    """A kick queues no run only while a queued run is still to start."""
    began = timezone.now()
    with time_machine.travel(began, tick=False):
        # Another process's kick opened the window: its run starts at
        # began + KICK_DELAY_SECONDS.
        cache.add(sending.KICK_KEY, 1, timeout=sending.KICK_WINDOW_SECONDS)
        assert sending.kick_sender() is False
    for later in (0.3, 0.7, 0.99, 1.1):
        assert later < sending.KICK_DELAY_SECONDS
        with time_machine.travel(began + timedelta(seconds=later), tick=False):
            assert sending.kick_sender() is False
    # That run has started: the next kick queues the next one.
    after = began + timedelta(seconds=sending.KICK_DELAY_SECONDS + 0.01)
    with time_machine.travel(after, tick=False):
        assert sending.kick_sender() is True
