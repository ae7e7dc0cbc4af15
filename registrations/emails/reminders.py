"""Reminders and follow-ups, derived from sessions and registrants.

Nothing is stored ahead of time: each run looks at the sessions as they are
now, so moving a session moves its reminders and cancelling it drops them.
A reminder row is created only once its time has come; the outbox's unique
key makes a second run a no-op. Beat runs both tasks every minute.
"""

from datetime import datetime, timedelta

from celery import shared_task
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from registrations.emails.sending import kick_sender
from registrations.models import EmailLog, JoinDevice, JoinRecord, Registrant
from webinars.models import Session

Kind = EmailLog.Kind

# Offsets larger than this are ignored (and refused by the console form).
MAX_OFFSET_MINUTES = 30 * 24 * 60
# Follow-ups go out this long after a session ends...
FOLLOWUP_DELAY = timedelta(minutes=30)
# ...and not at all for sessions that ended longer ago (e.g. after an outage).
FOLLOWUP_WINDOW = timedelta(days=2)
# A join from this long before the start counts as attending (the join page
# opens the room 15 minutes early).
JOIN_EARLY = timedelta(minutes=15)
INSERT_BATCH = 500


def due_offset(session: Session, *, now: datetime) -> int | None:
    """Return the reminder offset (minutes) due now for the session, if any.

    The smallest offset whose time has passed wins: after an outage, a
    registrant gets the latest reminder only, not a burst of stale ones.
    """
    if session.starts_at <= now:
        return None
    passed = [
        offset
        for offset in session.webinar.effective_reminder_offsets
        if offset <= MAX_OFFSET_MINUTES
        and session.starts_at - timedelta(minutes=offset) <= now
    ]
    return min(passed) if passed else None


def attending(session: Session, *, registered_by: datetime) -> QuerySet[Registrant]:
    """Confirmed registrants of the session who still want its emails.

    Only those registered (or confirmed) by ``registered_by``: a reminder's
    time, or the end of the session for follow-ups.
    """
    return (
        Registrant.objects.filter(
            Q(session__isnull=True) | Q(session=session),
            webinar_id=session.webinar_id,
            status=Registrant.Status.CONFIRMED,
            unsubscribed_at__isnull=True,
        )
        .annotate(registered_at=Coalesce(F("confirmed_at"), F("created_at")))
        .filter(registered_at__lte=registered_by)
    )


def without_email(
    registrants: QuerySet[Registrant],
    *,
    kinds: list[str],
    session: Session,
    variant: int,
) -> QuerySet[Registrant]:
    return registrants.exclude(
        Exists(
            EmailLog.objects.filter(
                registrant=OuterRef("pk"),
                kind__in=kinds,
                session_key=session.pk,
                variant=variant,
            )
        )
    )


def insert_logs(rows: list[EmailLog]) -> int:
    # ignore_conflicts: a concurrent run may have inserted some of them.
    EmailLog.objects.bulk_create(rows, batch_size=INSERT_BATCH, ignore_conflicts=True)
    return len(rows)


def schedule_reminders(*, now: datetime | None = None) -> int:
    """Queue every reminder whose time has come; return how many rows were made.

    A registrant confirmed after a reminder's time does not get it (the
    confirmation said the same); they get the later ones.
    """
    now = now or timezone.now()
    sessions = (
        Session.objects.active()
        .filter(
            starts_at__gt=now,
            starts_at__lte=now + timedelta(minutes=MAX_OFFSET_MINUTES),
            webinar__cancelled_at__isnull=True,
            webinar__reminders_enabled=True,
        )
        .select_related("webinar__account")
    )
    created = 0
    for session in sessions:
        offset = due_offset(session, now=now)
        if offset is None:
            continue
        remind_at = session.starts_at - timedelta(minutes=offset)
        registrants = without_email(
            attending(session, registered_by=remind_at),
            kinds=[Kind.REMINDER],
            session=session,
            variant=offset,
        )
        rows = [
            EmailLog(
                registrant_id=pk,
                kind=Kind.REMINDER,
                session=session,
                session_key=session.pk,
                variant=offset,
                scheduled_for=remind_at,
            )
            for pk in registrants.values_list("pk", flat=True)
        ]
        created += insert_logs(rows)
    return created


def attended_ids(session: Session, registrant_ids: list[int]) -> set[int]:
    """Return which of the registrants joined the session while it ran.

    A JoinRecord says so exactly; otherwise a device first or last seen
    between 15 minutes before the start and the end counts.
    """
    window_start = session.starts_at - JOIN_EARLY
    joined = set(
        JoinRecord.objects.filter(
            session=session, registrant_id__in=registrant_ids
        ).values_list("registrant_id", flat=True)
    )
    joined |= set(
        JoinDevice.objects.filter(registrant_id__in=registrant_ids)
        .filter(
            Q(first_seen__gte=window_start, first_seen__lte=session.ends_at)
            | Q(last_seen__gte=window_start, last_seen__lte=session.ends_at)
        )
        .values_list("registrant_id", flat=True)
    )
    return joined


def schedule_followups(*, now: datetime | None = None) -> int:
    """Queue follow-ups for sessions that ended: attendees and absentees apart."""
    now = now or timezone.now()
    sessions = (
        Session.objects.active()
        .filter(
            ends_at__lte=now - FOLLOWUP_DELAY,
            ends_at__gt=now - FOLLOWUP_WINDOW,
            webinar__cancelled_at__isnull=True,
            webinar__followups_enabled=True,
        )
        .select_related("webinar")
    )
    created = 0
    for session in sessions:
        ids = list(
            without_email(
                attending(session, registered_by=session.ends_at),
                kinds=[Kind.FOLLOWUP_ATTENDED, Kind.FOLLOWUP_ABSENT],
                session=session,
                variant=0,
            ).values_list("pk", flat=True)
        )
        if not ids:
            continue
        joined = attended_ids(session, ids)
        rows = [
            EmailLog(
                registrant_id=pk,
                kind=Kind.FOLLOWUP_ATTENDED if pk in joined else Kind.FOLLOWUP_ABSENT,
                session=session,
                session_key=session.pk,
                scheduled_for=now,
            )
            for pk in ids
        ]
        created += insert_logs(rows)
    return created


def record_join(*, registrant: Registrant, session: Session) -> None:
    """Note that the registrant was sent to the session's room (attendance)."""
    JoinRecord.objects.get_or_create(registrant=registrant, session=session)


def send_if_any(created: int) -> int:
    """Kick the sender when a run queued emails; return how many it queued."""
    if created:
        kick_sender()
    return created


@shared_task(name="registrations.tasks_email.schedule_reminders", ignore_result=True)
def schedule_reminders_task() -> int:
    """Queue the reminders whose time has come, then send them."""
    return send_if_any(schedule_reminders())


@shared_task(name="registrations.tasks_email.schedule_followups", ignore_result=True)
def schedule_followups_task() -> int:
    """Queue the follow-ups of sessions that have ended, then send them."""
    return send_if_any(schedule_followups())
