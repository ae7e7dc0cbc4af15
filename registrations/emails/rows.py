"""The outbox row: create it once, then record what became of it.

Every email is an ``EmailLog`` row, unique per (registrant, kind, session,
variant). These functions are the only writers of a row's state; each
update is conditional on the row not being sent yet, so a late outcome never
overwrites a delivery.
"""

import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypedDict, Unpack

from django.db import connection
from django.db.models import Field
from django.utils import timezone

from registrations.models import EmailLog, Registrant
from webinars.models import Session

Kind = EmailLog.Kind

# Delay before the next try, by number of failed attempts so far.
BACKOFF = [
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=3),
]
MAX_ATTEMPTS = len(BACKOFF) + 1


class EmailOptions(TypedDict, total=False):
    """Which email of a kind: its session, its time, its variant."""

    session: Session | None
    # Default: now.
    when: datetime | None
    # Tells apart several emails of one kind (see EmailLog.variant).
    variant: int


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


def create_log(
    *, registrant: Registrant, kind: str, **options: Unpack[EmailOptions]
) -> EmailLog:
    """Create the outbox row, or return the one that already exists."""
    session = options.get("session")
    key = {
        "registrant": registrant,
        "kind": kind,
        "session_key": session.pk if session else 0,
        "variant": options.get("variant", 0),
    }
    defaults = {
        "session": session,
        "scheduled_for": options.get("when") or timezone.now(),
    }
    # Insert first: an email is almost always queued once, so the read that
    # get_or_create makes first would find nothing on every registration.
    log = EmailLog(**key, **defaults)
    if _insert_unless_queued(log):
        return log
    # Queued before, or by a concurrent transaction that committed first.
    return EmailLog.objects.get(**key)


@functools.cache
def _insert_sql(vendor: str) -> tuple[str, tuple[Field, ...]]:
    fields = tuple(one for one in EmailLog._meta.concrete_fields if not one.primary_key)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(one.column) for one in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = (
        f"INSERT INTO {quote(EmailLog._meta.db_table)} ({columns})"  # noqa: S608
        f" VALUES ({marks}) ON CONFLICT DO NOTHING"
        f" RETURNING {quote(EmailLog._meta.pk.column)}"
    )
    return sql, fields


def _insert_unless_queued(log: EmailLog) -> bool:
    """Insert the row unless its email is queued already; return whether inserted.

    EmailLog.objects.create() in a savepoint, catching the IntegrityError of
    the unique (registrant, kind, session, variant): one statement instead of
    three, and no query building (every registration queues its email). The
    values are prepared as the ORM prepares them (pre_save, get_db_prep_save).
    """
    sql, fields = _insert_sql(connection.vendor)
    params = [
        one.get_db_prep_save(one.pre_save(log, add=True), connection) for one in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    log.pk = row[0]
    log._state.adding = False
    log._state.db = connection.alias
    return True


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
    columns = ("status", "sent_at", "leased_until", "attempts", "recipient")
    sql = MARK_SENT_SQL.format(
        table=quote(EmailLog._meta.db_table),
        **{
            name: quote(EmailLog._meta.get_field(name).column)
            for name in (*columns, "last_error", "id")
        },
    )
    sent_at = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [EmailLog.Status.SENT.value, sent_at, recipient[:320], row.pk]
        )


def mark_dropped(
    row: EmailLog, *, reason: str, params: dict[str, str] | None = None
) -> None:
    """Mark an email not sent, with why (an `EmailLog.DropReason` and its params)."""
    EmailLog.objects.filter(pk=row.pk, sent_at__isnull=True).update(
        status=EmailLog.Status.DROPPED,
        leased_until=None,
        drop_reason=reason,
        drop_params=params or {},
    )


def postpone(row: EmailLog, *, until: datetime) -> None:
    EmailLog.objects.filter(pk=row.pk, sent_at__isnull=True).update(
        scheduled_for=until, leased_until=None
    )


def record_failure(
    row: EmailLog, *, error: str, report: SendReport, permanent: bool = False
) -> None:
    """Count a failed attempt: retry after a backoff, or give up and tell.

    The organizer's delivery-failed notice is due at once: the sender run
    that recorded the failure claims it before it stops.
    """
    attempts = row.attempts + 1
    now = timezone.now()
    report.errors.append(error)
    unsent = EmailLog.objects.filter(pk=row.pk, sent_at__isnull=True)
    if permanent or attempts >= MAX_ATTEMPTS:
        unsent.update(
            status=EmailLog.Status.FAILED,
            failed_at=now,
            leased_until=None,
            attempts=attempts,
            last_error=error,
        )
        report.failed += 1
        if not row.is_for_organizer and row.registrant_id is not None:
            create_log(
                registrant=row.registrant, kind=Kind.DELIVERY_FAILED, variant=row.pk
            )
        return
    unsent.update(
        scheduled_for=now + BACKOFF[attempts - 1],
        leased_until=None,
        attempts=attempts,
        last_error=error,
    )
    report.retried += 1
