"""The organizer's waitlist operations: settings, a seat offered by hand, removal."""

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from registrations.models import WaitlistEntry
from registrations.waitlist.join import leave_waitlist
from registrations.waitlist.line import WaitlistError
from registrations.waitlist.offers import (
    free_seats,
    lock_scope,
    make_offer,
    offer_free_seats,
)
from webinars.models import Webinar

Status = WaitlistEntry.Status


def update_waitlist_settings(
    *, webinar: Webinar, enabled: bool, offer_hours: int
) -> Webinar:
    """Turn the waitlist on or off and set its offer window.

    Turned on, the seats already free are offered after commit to whoever
    waits. Turned off, nobody joins any more; open offers run until they end.
    """
    webinar.waitlist_enabled = enabled
    webinar.waitlist_offer_hours = offer_hours
    with transaction.atomic():
        webinar.save(
            update_fields=["waitlist_enabled", "waitlist_offer_hours", "updated_at"]
        )
        if enabled:
            lines = (
                WaitlistEntry.objects.filter(webinar=webinar, status=Status.WAITING)
                .order_by()
                .values_list("session_id", flat=True)
                .distinct()
            )
            for session_id in list(lines):
                transaction.on_commit(
                    lambda s=session_id: offer_free_seats(
                        webinar_id=webinar.pk, session_id=s
                    ),
                    robust=True,
                )
    return webinar


def offer_by_hand(*, entry: WaitlistEntry) -> bool:
    """Offer a seat to this entry now, whatever its place in line.

    When no seat is free, the registration limit grows by one to make it (the
    open offers never outnumber the free seats); return whether it grew.
    Raise WaitlistError when the entry cannot get an offer.
    """
    with transaction.atomic():
        webinar, session = lock_scope(entry.webinar_id, entry.session_id)
        locked = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        if locked.status not in (Status.WAITING, Status.EXPIRED):
            raise WaitlistError(
                _("Only someone waiting, or whose offer expired, can get an offer.")
            )
        if webinar.cancelled_at is not None or (
            session is not None and (session.cancelled_at or session.has_ended)
        ):
            raise WaitlistError(_("Registration for this webinar is closed."))
        grew = False
        if free_seats(webinar, session) <= 0:
            if webinar.registration_limit >= webinar.account.max_registration_limit:
                raise WaitlistError(
                    _("No seat is free and the limit is at your plan's maximum.")
                )
            Webinar.objects.filter(pk=webinar.pk).update(
                registration_limit=F("registration_limit") + 1
            )
            webinar.refresh_from_db(fields=["registration_limit"])
            grew = True
        make_offer(locked, webinar=webinar)
    entry.refresh_from_db()
    return grew


def remove_entry(*, entry: WaitlistEntry) -> bool:
    """Take someone off the waitlist (an open offer's seat passes on)."""
    return leave_waitlist(entry=entry, status=Status.REMOVED)
