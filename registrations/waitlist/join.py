"""Join a webinar's waitlist, or leave it."""

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from registrations import hooks
from registrations.capacity import existing_registration, is_full
from registrations.models import EmailLog, WaitlistEntry
from registrations.waitlist.line import WaitlistError, has_waiting
from registrations.waitlist.notices import queue_waitlist_email
from registrations.waitlist.offers import end_offer, fill_free_seats, lock_scope
from webinars.models import Session, Webinar

Status = WaitlistEntry.Status


@dataclass(frozen=True)
class Joined:
    """The entry in line; `created` is False when this email was already in it."""

    entry: WaitlistEntry
    created: bool


def join_waitlist(
    *,
    webinar: Webinar,
    first_name: str,
    last_name: str,
    email: str,
    answers: dict[str, Any],
    session: Session | None = None,
    language: str = "en",
) -> Joined:
    """Put someone at the end of the line of a full webinar (or session).

    Raise WaitlistError when the waitlist is off, the registration closed, or
    seats are free (register instead). The same email in line (or registered)
    gets no second place: `created` is False and no email is sent.
    """
    if not webinar.is_series:
        session = None
    elif session is None or session.webinar_id != webinar.pk:
        raise WaitlistError(_("Choose a session."))
    with transaction.atomic():
        webinar, session = lock_scope(webinar.pk, session.pk if session else None)
        _check_joinable(webinar, session)
        same = (
            WaitlistEntry.objects.filter(
                webinar=webinar,
                session=session,
                email__iexact=email,
                status__in=[Status.WAITING, Status.OFFERED],
            )
            .order_by("pk")
            .first()
        )
        if same is not None:
            return Joined(entry=same, created=False)
        registered = existing_registration(
            webinar=webinar, email=email, session=session
        )
        if registered is not None:
            return Joined(entry=WaitlistEntry(webinar=webinar), created=False)
        entry = WaitlistEntry.objects.create(
            webinar=webinar,
            session=session,
            email=email,
            first_name=first_name,
            last_name=last_name,
            answers=answers,
            language=language[:10],
        )
        queue_waitlist_email(entry=entry, kind=EmailLog.Kind.WAITLIST_JOINED)
        hooks.announce_waitlist_event("joined", entry)
        return Joined(entry=entry, created=True)


def _check_joinable(webinar: Webinar, session: Session | None) -> None:
    if not webinar.waitlist_enabled:
        raise WaitlistError(_("This webinar has no waitlist."))
    if webinar.cancelled_at is not None:
        raise WaitlistError(_("This webinar is cancelled."))
    if session is not None:
        if session.cancelled_at is not None:
            raise WaitlistError(_("This session is cancelled."))
        if session.has_ended:
            raise WaitlistError(_("This session is over."))
    elif not webinar.sessions.active().upcoming().exists():
        raise WaitlistError(_("Registration for this webinar is closed."))
    if not is_full(webinar=webinar, session=session) and not has_waiting(
        webinar=webinar, session=session
    ):
        raise WaitlistError(_("Seats are available: register instead."))


def leave_waitlist(*, entry: WaitlistEntry, status: str = Status.LEFT) -> bool:
    """Take the entry out of line (an open offer's seat passes on); True if it was in.

    `status`: LEFT (the person left) or REMOVED (the organizer removed them).
    """
    with transaction.atomic():
        webinar, session = lock_scope(entry.webinar_id, entry.session_id)
        locked = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        if not locked.in_line:
            return False
        end_offer(locked, status=status)
        fill_free_seats(webinar, session)
    entry.refresh_from_db()
    return True
