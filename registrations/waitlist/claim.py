"""Turn an open offer's seat into the registration that accepts it.

start_registration calls claim_offer with the capacity row locked, before it
reads the seat counter: the offer gives its seat back and the registration
takes it in the same transaction, so nobody else can take it in between.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from registrations.models import WaitlistEntry
from registrations.waitlist.line import WaitlistError
from registrations.waitlist.offers import end_offer
from webinars.models import Session, Webinar

Status = WaitlistEntry.Status


def offer_problem(entry: WaitlistEntry) -> str:
    """Say why the entry's offer cannot be accepted now, or ""."""
    if entry.status == Status.ACCEPTED:
        return _("You have already accepted this offer.")
    if entry.status == Status.CANCELLED:
        if entry.session_id is not None and entry.webinar.cancelled_at is None:
            return _("The session was cancelled: this offer no longer holds.")
        return _("The webinar was cancelled: this offer no longer holds.")
    if entry.status in (Status.LEFT, Status.REMOVED):
        return _("You are no longer on the waitlist.")
    if entry.status != Status.OFFERED or (
        entry.offer_expires_at is not None and entry.offer_expires_at <= timezone.now()
    ):
        return _("This offer has expired and the seat went to the next person.")
    return ""


def claim_offer(
    entry: WaitlistEntry, *, webinar: Webinar, session: Session | None
) -> WaitlistEntry:
    """Mark the offer accepted and give its seat to the registration being made.

    Call it with the capacity row locked; raise WaitlistError when the offer
    is not for this webinar (or session) or no longer open.
    """
    locked = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
    session_id = session.pk if session is not None else None
    if locked.webinar_id != webinar.pk or locked.session_id != session_id:
        raise WaitlistError(_("This offer is for another webinar or session."))
    problem = offer_problem(locked)
    if problem:
        raise WaitlistError(problem)
    end_offer(locked, status=Status.ACCEPTED)
    return locked
