"""Capacity: who holds a seat, and the row lock that serialises selling them.

A seat is decided in one transaction that locks the capacity row (the webinar,
or the chosen session of an individual-session series) and re-counts
confirmed, awaiting-approval and held seats.
"""

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from payments import pricing
from registrations.models import Registrant, SeatHold
from webinars.models import Session, Webinar

Status = Registrant.Status
STAFF_SOURCES = (Registrant.Source.PANELIST, Registrant.Source.CO_ORGANIZER)


def seats_taken(*, webinar: Webinar, session: Session | None = None) -> int:
    """Count seats taken: confirmed, awaiting approval and live holds."""
    registrants = Registrant.objects.filter(webinar=webinar)
    if session is not None:
        registrants = registrants.filter(session=session)
    return registrants.holding_seats().count()


def seats_by_session(webinar: Webinar) -> dict[int | None, int]:
    """Return seats taken per chosen session (None: whole-webinar registrants)."""
    rows = (
        Registrant.objects.filter(webinar=webinar)
        .holding_seats()
        .order_by()
        .values("session_id")
        .annotate(taken=Count("pk"))
    )
    return {row["session_id"]: row["taken"] for row in rows}


def lock_capacity(webinar: Webinar, session: Session | None) -> Webinar | Session:
    """Lock the row that serialises sales: the session, or the whole webinar."""
    if session is not None:
        return Session.objects.select_for_update().get(pk=session.pk)
    return Webinar.objects.select_for_update().get(pk=webinar.pk)


def full_message(webinar: Webinar, session: Session | None = None) -> str:
    """Return the message shown when no seat is left."""
    if session is not None:
        return _("This session is full.")
    return _("This webinar is full.")


def existing_registration(
    *, webinar: Webinar, email: str, session: Session | None
) -> Registrant | None:
    """Return this email's confirmed or awaiting registration (staff excluded)."""
    registrants = Registrant.objects.filter(
        webinar=webinar,
        email__iexact=email,
        status__in=[Status.CONFIRMED, Status.AWAITING],
    ).exclude(source__in=STAFF_SOURCES)
    if session is not None:
        registrants = registrants.filter(session=session)
    return registrants.first()


def release_seat(registrant: Registrant, *, status: str = Status.EXPIRED) -> None:
    """Release the live hold and the code use of a pending registrant."""
    released = SeatHold.objects.filter(
        registrant=registrant, released_at__isnull=True, consumed_at__isnull=True
    ).update(released_at=timezone.now())
    if released and registrant.discount_code_id:
        pricing.release_code_use(code=registrant.discount_code)
    registrant.status = status
    fields = ["status"]
    if status == Status.CANCELLED:
        registrant.cancelled_at = registrant.cancelled_at or timezone.now()
        fields.append("cancelled_at")
    registrant.save(update_fields=fields)
