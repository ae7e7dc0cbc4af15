"""Close the line of a cancelled webinar (or session): nobody waits for it now."""

from django.db.models import Q

from registrations.models import EmailLog, WaitlistEntry
from registrations.waitlist.notices import queue_waitlist_email
from registrations.waitlist.offers import end_offer
from webinars.models import Session, Webinar

Status = WaitlistEntry.Status


def closing_entries(*, webinar: Webinar, session: Session | None) -> Q:
    """The entries a cancellation closes: in line (waiting, or an offer)."""
    scope = Q(webinar_id=webinar.pk, status__in=[Status.WAITING, Status.OFFERED])
    if session is not None:
        scope &= Q(session_id=session.pk)
    return scope


def count_closing(*, webinar: Webinar, session: Session | None) -> int:
    """How many people in line a cancellation tells (for its preview)."""
    return WaitlistEntry.objects.filter(
        closing_entries(webinar=webinar, session=session)
    ).count()


def close_waitlist(*, webinar: Webinar, session: Session | None) -> int:
    """Take everyone out of the cancelled line, with one email each; return how many.

    `session` None: the whole webinar's lines; else that session's line. Call
    it in the cancelling transaction, the webinar (and session) locked: an
    open offer's seat is released and its link stops working; the emails go
    after commit. A second call finds nobody left in line and sends nothing.
    """
    entries = (
        WaitlistEntry.objects.filter(closing_entries(webinar=webinar, session=session))
        .select_for_update()
        .order_by("pk")
    )
    closed = 0
    for entry in entries:
        end_offer(entry, status=Status.CANCELLED)
        queue_waitlist_email(entry=entry, kind=EmailLog.Kind.WAITLIST_CANCELLED)
        closed += 1
    return closed
