"""The email outbox: queue an email once, send it once, retry until it is sent.

Every email is an ``EmailLog`` row, unique per (registrant, kind, session,
variant). ``queue_email`` creates the row (or returns the existing one) and,
after commit, kicks the sender task. The sender claims due rows in batches
under a lease, sends each batch over one SMTP connection and marks each row
sent as soon as the server accepts its message. A worker that dies leaves its
rows leased; they are claimed again once the lease expires.
"""

import logging
import queue
import secrets
import smtplib
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpEmailBackend
from django.core.mail.message import sanitize_address
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from registrations.models import ORGANIZER_KINDS, EmailLog, Registrant
from webinars.models import Session, Webinar

logger = logging.getLogger(__name__)

Kind = EmailLog.Kind

BATCH_SIZE = 250
# Longer than CELERY_TASK_TIME_LIMIT (300 s): a worker still alive always
# finishes (or is killed) before anyone else may take its rows.
LEASE = timedelta(minutes=10)
# Delay before the next try, by number of failed attempts so far.
BACKOFF = [
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=3),
]
MAX_ATTEMPTS = len(BACKOFF) + 1
# Send from a separate thread, overlapping rendering with the server's
# replies (see the reminders benchmark in the README, "Emails and reminders").
THREADED_COURIER = True
# One sender run stops claiming new batches after this long.
RUN_BUDGET_SECONDS = 120

# Kinds that carry a List-Unsubscribe header: the ones a registrant may stop.
UNSUBSCRIBABLE_KINDS = frozenset(
    {Kind.REMINDER, Kind.FOLLOWUP_ATTENDED, Kind.FOLLOWUP_ABSENT}
)


class EmailError(Exception):
    """An email operation that cannot be done; the message is safe to show."""


def queue_email(
    *,
    registrant: Registrant,
    kind: str,
    session: Session | None = None,
    when: datetime | None = None,
    variant: int = 0,
) -> EmailLog:
    """Queue one email for the registrant, at most once per kind and session.

    ``when`` delays it (default: now). Queuing the same email again returns
    the existing row. After commit, the sender task is kicked for due rows.
    Queuing a confirmation or an awaiting-approval email also queues the
    organizer's notifications that follow from it (new paid registration when
    opted in, registration limit reached); an automatic refund notice also
    tells the organizer.
    """
    if kind not in Kind.values:
        raise ValueError(f"Unknown email kind: {kind}")
    log = create_log(
        registrant=registrant, kind=kind, session=session, when=when, variant=variant
    )
    if kind in (Kind.CONFIRMATION, Kind.AWAITING_APPROVAL) and variant == 0:
        queue_registration_notifications(registrant=registrant)
    elif kind == Kind.AUTO_REFUNDED:
        create_log(registrant=registrant, kind=Kind.ORGANIZER_AUTO_REFUNDED)
    if log.status == EmailLog.Status.QUEUED and log.scheduled_for <= timezone.now():
        transaction.on_commit(kick_sender)
    return log


def create_log(
    *,
    registrant: Registrant,
    kind: str,
    session: Session | None = None,
    when: datetime | None = None,
    variant: int = 0,
) -> EmailLog:
    """Create the outbox row, or return the one that already exists."""
    key = {
        "registrant": registrant,
        "kind": kind,
        "session_key": session.pk if session else 0,
        "variant": variant,
    }
    defaults = {"session": session, "scheduled_for": when or timezone.now()}
    try:
        log, _created = EmailLog.objects.get_or_create(**key, defaults=defaults)
    except IntegrityError:
        # A concurrent transaction inserted the same email first.
        log = EmailLog.objects.get(**key)
    return log


def queue_registration_notifications(*, registrant: Registrant) -> None:
    """Queue the organizer's notifications about a new registration."""
    webinar = registrant.webinar
    if webinar.notify_paid_registrations and registrant.amount > 0:
        create_log(registrant=registrant, kind=Kind.NEW_PAID_REGISTRATION)
    seats = Registrant.objects.filter(webinar=webinar)
    if webinar.is_series and registrant.session_id:
        seats = seats.filter(session_id=registrant.session_id)
    if seats.holding_seats().count() >= webinar.registration_limit:
        create_log(registrant=registrant, kind=Kind.LIMIT_REACHED)


def notify_organizer(*, registrant: Registrant, kind: str) -> EmailLog | None:
    """Queue an organizer notification about the registrant; None when opted out."""
    if kind not in ORGANIZER_KINDS:
        raise ValueError(f"Not an organizer notification: {kind}")
    if kind == Kind.NEW_PAID_REGISTRATION and not (
        registrant.webinar.notify_paid_registrations
    ):
        return None
    return queue_email(registrant=registrant, kind=kind)


def resend_confirmation(*, registrant: Registrant) -> EmailLog:
    """Queue a new copy of the confirmation (a console or self-service resend)."""
    if registrant.status != Registrant.Status.CONFIRMED:
        raise EmailError(
            _("Only confirmed registrants can be sent their confirmation.")
        )
    with transaction.atomic():
        # Lock the registrant so two resends never pick the same number.
        Registrant.objects.select_for_update().filter(pk=registrant.pk).first()
        last = (
            EmailLog.objects.filter(registrant=registrant, kind=Kind.CONFIRMATION)
            .order_by("-variant")
            .values_list("variant", flat=True)
            .first()
        )
        if last is None:
            return queue_email(registrant=registrant, kind=Kind.CONFIRMATION)
        return queue_email(
            registrant=registrant, kind=Kind.CONFIRMATION, variant=last + 1
        )


def update_email_settings(
    *,
    webinar: Webinar,
    reminders_enabled: bool,
    reminder_offsets: list[int] | None,
    followups_enabled: bool,
    followup_attended_text: str,
    followup_absent_text: str,
    notify_paid_registrations: bool,
) -> Webinar:
    """Save a webinar's email settings; None offsets = the account's default."""
    webinar.reminders_enabled = reminders_enabled
    webinar.reminder_offsets = reminder_offsets
    webinar.followups_enabled = followups_enabled
    webinar.followup_attended_text = followup_attended_text.strip()
    webinar.followup_absent_text = followup_absent_text.strip()
    webinar.notify_paid_registrations = notify_paid_registrations
    webinar.save(
        update_fields=[
            "reminders_enabled",
            "reminder_offsets",
            "followups_enabled",
            "followup_attended_text",
            "followup_absent_text",
            "notify_paid_registrations",
            "updated_at",
        ]
    )
    return webinar


def unsubscribe(*, registrant: Registrant) -> None:
    """Stop the registrant's reminders and follow-ups (List-Unsubscribe)."""
    Registrant.objects.filter(pk=registrant.pk, unsubscribed_at__isnull=True).update(
        unsubscribed_at=timezone.now()
    )


def kick_sender() -> None:
    """Ask a worker to send due emails now; the beat schedule catches up if not."""
    from registrations.tasks_email import send_due_emails

    try:
        send_due_emails.apply_async(retry=False)
    except Exception:  # noqa: BLE001 - a broker outage must not break the caller
        logger.warning("Could not kick the email sender; beat will send later.")


# Sending ---------------------------------------------------------------------


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
        .select_related("session", "registrant__session", "registrant__payment")
        .order_by("scheduled_for", "pk")
    )
    # A batch is mostly one webinar's reminders: load each webinar (with its
    # account and owner) once and share it, rather than once per row.
    webinar_ids = {row.registrant.webinar_id for row in rows}
    webinars = Webinar.objects.select_related("account", "owner__user").in_bulk(
        webinar_ids
    )
    for row in rows:
        row.registrant.webinar = webinars[row.registrant.webinar_id]
    return rows


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    dropped: int = 0
    postponed: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: "SendReport") -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.dropped += other.dropped
        self.postponed += other.postponed
        self.errors += other.errors


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
    from registrations.email_content import (
        build_message,
        merged_payload,
        still_applies,
    )

    report = SendReport()
    cache: dict = {}
    with Courier(threaded=THREADED_COURIER) as courier:
        for row in rows:
            verdict = still_applies(row)
            if verdict.drop:
                mark_dropped(row, reason=verdict.reason)
                report.dropped += 1
                continue
            if verdict.later is not None:
                postpone(row, until=verdict.later)
                report.postponed += 1
                continue
            try:
                payload = merged_payload(row, cache=cache) if courier.smtp else None
                if payload is None:
                    message = build_message(row, cache=cache)
                    payload = courier.prepare(message)
                row.recipient = ", ".join(payload[1] if courier.smtp else message.to)
            except Exception as error:  # noqa: BLE001 - recorded on the row, retried
                logger.exception("Could not build email %s", row.pk)
                record_failure(row, error=f"build: {error}", report=report)
                continue
            courier.submit(row, payload)
            for done, error in courier.finished():
                settle(done, error=error, report=report)
        courier.finish()
        for done, error in courier.finished():
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


class Courier:
    """One SMTP connection, optionally driven from a thread of its own.

    With Django's SMTP backend the message bytes are produced by the caller
    and handed to smtplib directly; any other backend (files, memory) gets
    the message through ``send_messages``. Outcomes are collected with
    ``finished()`` so that only the calling thread touches the database.
    """

    DEPTH = 16

    def __init__(self, *, threaded: bool = False) -> None:
        self.backend = get_connection(fail_silently=False)
        self.smtp = isinstance(self.backend, SmtpEmailBackend)
        self.threaded = threaded
        self.outgoing: queue.Queue = queue.Queue(maxsize=self.DEPTH)
        self.done: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.finished_sending = False
        self.is_open = False
        self.down: BaseException | None = None

    def __enter__(self) -> "Courier":
        if self.threaded:
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish()

    def prepare(self, message: Any) -> Any:
        """Turn a message into what the courier sends (bytes for SMTP)."""
        if not self.smtp:
            return message
        encoding = message.encoding or settings.DEFAULT_CHARSET
        return (
            sanitize_address(message.from_email, encoding),
            [sanitize_address(a, encoding) for a in message.recipients()],
            message.message().as_bytes(linesep="\r\n"),
        )

    def submit(self, row: EmailLog, payload: Any) -> None:
        if self.threaded:
            self.outgoing.put((row, payload))
        else:
            self.done.put((row, self.deliver(payload)))

    def finished(self) -> list[tuple[EmailLog, BaseException | None]]:
        """Return the outcomes reported since the last call."""
        outcomes = []
        while True:
            try:
                outcomes.append(self.done.get_nowait())
            except queue.Empty:
                return outcomes

    def finish(self) -> None:
        """Wait until every submitted message has an outcome; hang up."""
        if self.finished_sending:
            return
        self.finished_sending = True
        if self.threaded:
            self.outgoing.put(None)
            self.thread.join()
        if self.is_open:
            close_quietly(self.backend)
            self.is_open = False

    def run(self) -> None:
        while (item := self.outgoing.get()) is not None:
            row, payload = item
            self.done.put((row, self.deliver(payload)))

    def deliver(self, payload: Any) -> BaseException | None:
        """Send one message; return None once accepted, else the error."""
        if self.down is not None:
            return self.down
        if not self.is_open:
            try:
                self.backend.open()
                self.is_open = True
            except Exception as error:  # noqa: BLE001
                # The server is unreachable: every row left counts one
                # attempt rather than waiting on a timeout each.
                self.down = error
                return error
        try:
            if self.smtp:
                from_email, recipients, data = payload
                self.backend.connection.sendmail(from_email, recipients, data)
            else:
                self.backend.send_messages([payload])
        except (
            smtplib.SMTPRecipientsRefused,
            smtplib.SMTPDataError,
            smtplib.SMTPSenderRefused,
        ) as error:
            # Refused by the server; the connection itself is fine.
            return error
        except Exception as error:  # noqa: BLE001
            # Dropped or timed out: the message may not have been accepted;
            # it is retried, and the next one reconnects.
            close_quietly(self.backend)
            self.is_open = False
            return error
        return None


def describe(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        parts = [
            f"{address}: {code} {reply.decode(errors='replace')}"
            for address, (code, reply) in error.recipients.items()
        ]
        return "recipient refused: " + "; ".join(parts)
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error
        if isinstance(text, bytes):
            text = text.decode(errors="replace")
        return f"{error.__class__.__name__}: {error.smtp_code} {text}"
    return f"{error.__class__.__name__}: {error}"[:1000]


def close_quietly(smtp: object) -> None:
    try:
        smtp.close()  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - the connection is gone either way
        logger.debug("Ignoring an error while closing the SMTP connection")
        smtp.connection = None  # type: ignore[attr-defined]


MARK_SENT_SQL = (
    "UPDATE {table} SET {status} = %s, {sent_at} = %s, {leased_until} = NULL, "
    "{attempts} = {attempts} + 1, {recipient} = %s, {last_error} = '' "
    "WHERE {id} = %s AND {sent_at} IS NULL"
)


def mark_sent(row: EmailLog, *, recipient: str = "") -> None:
    """Record that the server accepted the message (once per email sent)."""
    # Plain SQL: this runs once per message in bulk sends, and the ORM's
    # query building cost more than the UPDATE itself.
    quote = connection.ops.quote_name
    sql = MARK_SENT_SQL.format(
        table=quote(EmailLog._meta.db_table),
        **{
            name: quote(EmailLog._meta.get_field(name).column)
            for name in (
                "status",
                "sent_at",
                "leased_until",
                "attempts",
                "recipient",
                "last_error",
                "id",
            )
        },
    )
    sent_at = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [EmailLog.Status.SENT.value, sent_at, recipient[:320], row.pk]
        )


def mark_dropped(row: EmailLog, *, reason: str) -> None:
    EmailLog.objects.filter(pk=row.pk, sent_at__isnull=True).update(
        status=EmailLog.Status.DROPPED, leased_until=None, last_error=reason
    )


def postpone(row: EmailLog, *, until: datetime) -> None:
    EmailLog.objects.filter(pk=row.pk, sent_at__isnull=True).update(
        scheduled_for=until, leased_until=None
    )


def record_failure(
    row: EmailLog, *, error: str, report: SendReport, permanent: bool = False
) -> None:
    """Count a failed attempt: retry after a backoff, or give up and tell."""
    attempts = row.attempts + 1
    now = timezone.now()
    report.errors.append(error)
    if permanent or attempts >= MAX_ATTEMPTS:
        EmailLog.objects.filter(pk=row.pk, sent_at__isnull=True).update(
            status=EmailLog.Status.FAILED,
            failed_at=now,
            leased_until=None,
            attempts=attempts,
            last_error=error,
        )
        report.failed += 1
        if not row.is_for_organizer:
            with transaction.atomic():
                queue_email(
                    registrant=row.registrant,
                    kind=Kind.DELIVERY_FAILED,
                    variant=row.pk,
                )
        return
    EmailLog.objects.filter(pk=row.pk, sent_at__isnull=True).update(
        scheduled_for=now + BACKOFF[attempts - 1],
        leased_until=None,
        attempts=attempts,
        last_error=error,
    )
    report.retried += 1
