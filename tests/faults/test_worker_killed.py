"""A Celery worker killed (SIGKILL) in the middle of a batch of reminders.

A real worker process on Redis sends the outbox to a real SMTP server; it is
killed mid-batch, its leases run out, a new worker takes over. Every reminder
must be sent, none twice as another message: the outbox marks each row sent
as soon as the server accepts it, so only the one message in flight at the
kill can arrive a second time, with the same Message-ID (which receivers
use to drop duplicates).

The worker is another process on the real clock, so the webinar is placed
relative to now (no date is assumed); on PostgreSQL only, where another
process can see the test's committed rows.
"""

import uuid
from collections import Counter
from datetime import timedelta

import pytest
from celery import Celery
from django.utils import timezone

from registrations.emails.reminders import schedule_reminders
from registrations.models import EmailLog
from tests import factories
from tests.faults.processes import Worker, database_url, embedded_env, wait_for
from tests.faults.redis_server import RedisServer
from tests.registrations.smtp_sink import SmtpSink

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SEND_DUE = "registrations.tasks_email.send_due_emails"
REMINDERS = 40


@pytest.fixture
def broker_url(settings, tmp_path):
    """Redis: the configured one (your own db), else a private server."""
    if settings.REDIS_URL:
        yield settings.REDIS_URL
        return
    server = RedisServer(tmp_path / "redis").start()
    yield server.url
    server.stop()


def worker_env(tmp_path, *, broker: str, smtp: SmtpSink, **extra: str) -> dict:
    return embedded_env(
        tmp_path / "var",
        DATABASE_URL=database_url(),
        CELERY_BROKER_URL=broker,
        CELERY_BROKER_VISIBILITY_TIMEOUT="2",
        EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}",
        **extra,
    )


def received(smtp: SmtpSink) -> Counter:
    """Count each (recipient, Message-ID) the server accepted."""
    return Counter((m["To"], m["Message-ID"]) for m in smtp.messages)


def test_every_reminder_is_sent_once_after_the_worker_is_killed_mid_batch(
    tmp_path, broker_url
):
    now = timezone.now()
    webinar = factories.WebinarFactory(sessions=0, reminder_offsets=[60])
    session = factories.SessionFactory(
        webinar=webinar, starts_at=now + timedelta(minutes=30)
    )
    for _ in range(REMINDERS):
        factories.RegistrantFactory(
            webinar=webinar, confirmed_at=now - timedelta(days=1)
        )
    assert schedule_reminders(now=now) == REMINDERS
    rows = EmailLog.objects.filter(kind=EmailLog.Kind.REMINDER, session=session)
    expected = {(row.registrant.email, row.message_id) for row in rows}
    assert len(expected) == REMINDERS

    queue = f"faults-{uuid.uuid4().hex}"
    publisher = Celery("probe", broker=broker_url, set_as_current=False)
    with SmtpSink() as smtp:
        # Slow enough that the kill lands in the middle of the batch.
        smtp.handler.stall = {email: 0.1 for email, _id in expected}
        env = worker_env(tmp_path, broker=broker_url, smtp=smtp)
        worker = Worker(env, tmp_path / "worker-1.log", app="config", queue=queue)
        worker.start()
        try:
            publisher.send_task(SEND_DUE, queue=queue)
            wait_for(
                lambda: len(smtp.handler.accepted) >= REMINDERS // 3,
                timeout=90,
                what="a third of the batch",
            )
            worker.kill()
        finally:
            worker.stop()
        # A message whose DATA the server was answering at the kill may still
        # be accepted (a server delivers what it received whole, the client
        # gone or not): wait until no DATA is being answered.
        wait_for(
            lambda: smtp.handler.answering == 0,
            timeout=10,
            what="the message in flight at the kill",
        )
        sent_before = rows.filter(status=EmailLog.Status.SENT).count()
        accepted_before = len(smtp.handler.accepted)
        assert 0 < sent_before < REMINDERS
        # Every row the server accepted is recorded, but for the one in flight.
        assert accepted_before - sent_before in (0, 1)
        leased = rows.filter(status=EmailLog.Status.QUEUED, leased_until__gt=now)
        assert leased.exists(), "the killed worker's rows stay leased"

        # Ten minutes later (the lease, longer than any task may run) the rows
        # are free again; a new worker takes them (the killed task comes back
        # from Redis, and beat's sweep runs every minute).
        leased.update(leased_until=timezone.now() - timedelta(seconds=1))
        worker = Worker(env, tmp_path / "worker-2.log", app="config", queue=queue)
        worker.start()
        try:
            publisher.send_task(SEND_DUE, queue=queue)
            wait_for(
                lambda: rows.filter(status=EmailLog.Status.SENT).count() == REMINDERS,
                timeout=120,
                what="every reminder to be sent",
            )
        finally:
            worker.stop()

        copies = received(smtp)
    assert set(copies) == expected
    again = {key: n for key, n in copies.items() if n > 1}
    assert sum(copies.values()) - len(copies) == accepted_before - sent_before
    assert all(n == 2 for n in again.values())
    for row in rows.all():
        assert row.sent_at is not None
        assert row.attempts == 1
    print(
        f"\nworker killed after {accepted_before} of {REMINDERS} reminders "
        f"({sent_before} recorded); after restart: {len(copies)} distinct "
        f"emails, {sum(copies.values()) - len(copies)} repeated (same Message-ID)"
    )
