"""Send the outbox: claim due rows, send them, record each outcome.

The sender claims due rows in batches under a lease, sends each batch over
one SMTP connection and marks each row sent as soon as the server accepts
its message. A worker that dies leaves its rows leased; they are claimed
again once the lease expires. Beat runs the task every minute, and queuing
an email kicks it at once.
"""

import logging
import secrets
import smtplib
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from registrations.emails.content import build_message
from registrations.emails.courier import Courier, describe
from registrations.emails.merge import merged_payload
from registrations.emails.rows import (
    SendReport,
    mark_dropped,
    mark_sent,
    postpone,
    record_failure,
)
from registrations.emails.waitlist import build_waitlist_message
from registrations.emails.waitlist import drop_reason as waitlist_drop_reason
from registrations.models import EmailLog, Registrant
from webinars.models import Webinar

logger = logging.getLogger(__name__)

Kind = EmailLog.Kind
Status = Registrant.Status
Drop = EmailLog.DropReason

BATCH_SIZE = 250
# Longer than CELERY_TASK_TIME_LIMIT (300 s): a worker still alive always
# finishes (or is killed) before anyone else may take its rows.
LEASE = timedelta(minutes=10)
# Send from a separate thread, overlapping rendering with the server's
# replies (see the reminders benchmark in the README, "Emails and reminders").
THREADED_COURIER = True
# Kicks of the sender: one run per window, started once the window closed.
KICK_KEY = "tessera:emails:kick"
KICK_WINDOW_SECONDS = 1
KICK_DELAY_SECONDS = 1.5
# Until when (time.time) a sender run that starts after this process's next
# commits is known to be queued, and in which cache: until then its kicks need
# not ask the cache (one Redis round trip per confirmation in a flash sale).
# Threads share it; a race costs one more cache.add, never a missed run. A
# value further ahead than a window (the clock went back) is not trusted.
_COVERED: dict[str, Any] = {"where": None, "until": 0.0}
# One sender run stops claiming new batches after this long.
RUN_BUDGET_SECONDS = 120


@shared_task(name="registrations.tasks_email.send_due_emails", ignore_result=True)
def send_due_emails_task() -> int:
    """Send every due email of the outbox; return how many were sent."""
    return send_due_emails().sent


def kick_sender() -> bool:
    """Ask a worker to send due emails soon; the beat schedule catches up if not.

    One kick per burst: the first kick of a KICK_WINDOW_SECONDS window queues
    one sender run KICK_DELAY_SECONDS later, and the other kicks of that
    window (their rows are committed: kicks run after commit) leave it to that
    run, which starts after the window closed. When the cache is down (and in
    eager mode, where a countdown means nothing), every kick queues its run.
    Within a process, the kicks that follow one that met the window leave it
    to the window's run without asking the cache (see _COVERED).
    Return whether this kick queued a run.
    """
    if not send_due_emails_task.app.conf.task_always_eager:
        now = time.time()
        where = settings.CACHES["default"].get("LOCATION")
        until = _COVERED["until"] if _COVERED["where"] == where else 0.0
        if now < until <= now + KICK_WINDOW_SECONDS:
            return False
        try:
            first = cache.add(KICK_KEY, 1, timeout=KICK_WINDOW_SECONDS)
        except Exception:  # noqa: BLE001 - a cache outage: kick anyway
            first = True
        else:
            # The window's run starts KICK_DELAY_SECONDS after the window
            # opened: now if this kick opened it, else at most
            # KICK_WINDOW_SECONDS ago. Until then it sees what commits here.
            _COVERED["where"] = where
            _COVERED["until"] = now + (
                KICK_WINDOW_SECONDS
                if first
                else KICK_DELAY_SECONDS - KICK_WINDOW_SECONDS
            )
        if not first:
            return False
    try:
        send_due_emails_task.apply_async(countdown=KICK_DELAY_SECONDS, retry=False)
    except Exception:  # noqa: BLE001 - a broker outage must not break the caller
        logger.warning("Could not kick the email sender; beat will send later.")
        return False
    return True


def claim_due_emails(
    *, limit: int = BATCH_SIZE, now: datetime | None = None
) -> list[EmailLog]:
    """Lease up to ``limit`` due rows to this worker and return them.

    The conditional UPDATE only takes rows whose lease is free, so two workers
    never hold the same row; on PostgreSQL, SKIP LOCKED lets concurrent
    workers take different rows instead of waiting on each other.
    """
    now = now or timezone.now()
    lease_id = secrets.token_hex(16)
    with transaction.atomic():
        due = EmailLog.objects.due(now).order_by("scheduled_for", "pk")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:limit])
        if not ids:
            return []
        EmailLog.objects.filter(pk__in=ids).filter(
            Q(leased_until__isnull=True) | Q(leased_until__lt=now),
            status=EmailLog.Status.QUEUED,
            sent_at__isnull=True,
        ).update(leased_until=now + LEASE, lease_id=lease_id)
    rows = list(
        EmailLog.objects.filter(lease_id=lease_id, leased_until__gt=now)
        .select_related(
            "session",
            "registrant__session",
            "registrant__payment",
            "waitlist_entry__session",
        )
        .order_by("scheduled_for", "pk")
    )
    # A batch is mostly one webinar's reminders: load each webinar (with its
    # account and owner) once and share it, rather than once per row.
    recipients = [row.registrant or row.waitlist_entry for row in rows]
    webinar_ids = {recipient.webinar_id for recipient in recipients}
    webinars = Webinar.objects.select_related("account", "owner__user").in_bulk(
        webinar_ids
    )
    for recipient in recipients:
        recipient.webinar = webinars[recipient.webinar_id]
    return rows


def send_due_emails(
    *, batch_size: int = BATCH_SIZE, max_batches: int | None = None
) -> SendReport:
    """Send every due email, batch after batch, each over one SMTP connection."""
    report = SendReport()
    started = time.monotonic()
    batches = 0
    while max_batches is None or batches < max_batches:
        rows = claim_due_emails(limit=batch_size)
        if not rows:
            break
        report.add(send_batch(rows))
        batches += 1
        if time.monotonic() - started > RUN_BUDGET_SECONDS:
            break
    return report


def send_batch(rows: list[EmailLog]) -> SendReport:
    """Send leased rows over one connection; record each outcome at once.

    This thread renders messages and writes outcomes to the database; the
    courier thread only talks SMTP, so rendering the next message overlaps
    waiting for the server's replies to the previous one.
    """
    report = SendReport()
    cache: dict = {}
    with Courier(threaded=THREADED_COURIER) as courier:
        for row in rows:
            verdict = still_applies(row)
            if verdict.drop:
                mark_dropped(row, reason=verdict.reason, params=verdict.params)
                report.dropped += 1
                continue
            if verdict.later is not None:
                postpone(row, until=verdict.later)
                report.postponed += 1
                continue
            try:
                payload = None
                if courier.smtp and row.registrant_id is not None:
                    payload = merged_payload(row, cache=cache)
                if payload is None:
                    message = (
                        build_message(row, cache=cache)
                        if row.registrant_id is not None
                        else build_waitlist_message(row)
                    )
                    payload = courier.prepare(message)
                row.recipient = ", ".join(payload[1] if courier.smtp else message.to)
            except Exception as error:  # noqa: BLE001 - recorded on the row, retried
                logger.exception("Could not build email %s", row.pk)
                record_failure(row, error=f"build: {error}", report=report)
                continue
            courier.submit(row, payload)
            for done, error in courier.finished():
                settle(done, error=error, report=report)
        for done, error in courier.drain():
            settle(done, error=error, report=report)
    return report


def settle(row: EmailLog, *, error: BaseException | None, report: SendReport) -> None:
    """Record what the server said about one message."""
    if error is None:
        mark_sent(row, recipient=row.recipient)
        report.sent += 1
        return
    permanent = False
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in error.recipients.values()]
        # 5xx: the address does not exist or is refused for good.
        permanent = bool(codes) and all(code >= 500 for code in codes)
    record_failure(row, error=describe(error), report=report, permanent=permanent)


@dataclass(frozen=True)
class Verdict:
    """Whether a queued email still applies when its time comes."""

    drop: bool = False
    # An EmailLog.DropReason and its params, worded when read.
    reason: str = ""
    params: dict[str, str] = field(default_factory=dict)
    later: datetime | None = None


SEND = Verdict()


def still_applies(row: EmailLog, *, now: datetime | None = None) -> Verdict:
    """Tell whether a queued email should still go out now, later, or never."""
    now = now or timezone.now()
    if row.registrant_id is None:
        reason = waitlist_drop_reason(row)
        return Verdict(drop=True, reason=reason) if reason else SEND
    registrant = row.registrant
    webinar = registrant.webinar
    kind = row.kind
    status = registrant.status
    if kind == Kind.REMINDER:
        return reminder_verdict(row, now=now)
    if kind in (Kind.FOLLOWUP_ATTENDED, Kind.FOLLOWUP_ABSENT):
        if status != Status.CONFIRMED:
            return Verdict(drop=True, reason=Drop.NOT_CONFIRMED)
        if registrant.unsubscribed_at:
            return Verdict(drop=True, reason=Drop.UNSUBSCRIBED)
        if not webinar.followups_enabled:
            return Verdict(drop=True, reason=Drop.FOLLOWUPS_OFF)
        if row.session is None or row.session.cancelled_at:
            return Verdict(drop=True, reason=Drop.SESSION_CANCELLED)
        return SEND
    if kind in (Kind.CONFIRMATION, Kind.APPROVED) and status != Status.CONFIRMED:
        return Verdict(drop=True, reason=Drop.STATUS, params={"status": status})
    if kind == Kind.ALREADY_REGISTERED and status not in (
        Status.CONFIRMED,
        Status.AWAITING,
    ):
        return Verdict(drop=True, reason=Drop.STATUS, params={"status": status})
    if kind == Kind.AWAITING_APPROVAL and status != Status.AWAITING:
        return Verdict(drop=True, reason=Drop.STATUS, params={"status": status})
    if kind == Kind.NEW_PAID_REGISTRATION and not webinar.notify_paid_registrations:
        return Verdict(drop=True, reason=Drop.NOTIFICATIONS_OFF)
    return SEND


def reminder_verdict(row: EmailLog, *, now: datetime) -> Verdict:
    registrant = row.registrant
    webinar = registrant.webinar
    session = row.session
    if registrant.status != Status.CONFIRMED:
        return Verdict(
            drop=True, reason=Drop.STATUS, params={"status": registrant.status}
        )
    if registrant.unsubscribed_at:
        return Verdict(drop=True, reason=Drop.UNSUBSCRIBED)
    if session is None or session.cancelled_at or webinar.cancelled_at:
        return Verdict(drop=True, reason=Drop.SESSION_CANCELLED)
    if registrant.session_id and registrant.session_id != session.pk:
        return Verdict(drop=True, reason=Drop.MOVED)
    if not webinar.reminders_enabled:
        return Verdict(drop=True, reason=Drop.REMINDERS_OFF)
    if row.variant and row.variant not in webinar.effective_reminder_offsets:
        return Verdict(drop=True, reason=Drop.REMINDER_REMOVED)
    if session.starts_at <= now:
        return Verdict(drop=True, reason=Drop.STARTED)
    remind_at = session.starts_at - timedelta(minutes=row.variant)
    # The session moved later since this reminder was queued: wait for it.
    if remind_at > now + timedelta(minutes=1):
        return Verdict(later=remind_at)
    return SEND
