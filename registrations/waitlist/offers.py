"""Offer each freed seat to the next in line; expire offers not taken.

An open offer holds a seat like a checkout hold: it counts in the seat
counter (SeatCount, moved here in the same transaction as the offer) and in
the exact count (capacity.seats_taken). Offers are made with the capacity row
locked (capacity.lock_capacity), after reading the seats taken under that
lock, so concurrent releases never make more open offers than free seats.
"""

import logging
from datetime import datetime

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from registrations import hooks
from registrations.capacity import seats_taken
from registrations.models import EmailLog, SeatCount, WaitlistEntry, new_token
from registrations.waitlist.line import offer_window
from registrations.waitlist.notices import queue_waitlist_email
from webinars.models import Session, Webinar

logger = logging.getLogger(__name__)

Status = WaitlistEntry.Status
# Offers ended per sweep run; the next run takes the rest.
SWEEP_BATCH = 500


def lock_scope(
    webinar_id: int, session_id: int | None
) -> tuple[Webinar, Session | None]:
    """Lock the capacity row of a line (the session, or the webinar); read both."""
    if session_id is not None:
        session = (
            Session.objects.select_related("webinar")
            .select_for_update(of=("self",))
            .get(pk=session_id)
        )
        return session.webinar, session
    return Webinar.objects.select_for_update().get(pk=webinar_id), None


def seat_freed_after_commit(webinar_id: int, session_id: int | None) -> None:
    """After commit, offer the seats of this line that are free (if any waits).

    registrations.models.seat_freed_handlers: a registrant gave a seat back.
    """

    def offer() -> None:
        waiting = WaitlistEntry.objects.filter(
            webinar_id=webinar_id,
            session_id=session_id,
            status=Status.WAITING,
            webinar__waitlist_enabled=True,
        )
        if waiting.exists():
            offer_free_seats(webinar_id=webinar_id, session_id=session_id)

    transaction.on_commit(offer, robust=True)


def offer_free_seats(*, webinar_id: int, session_id: int | None) -> list[WaitlistEntry]:
    """Offer every free seat of the line to the next in it; return the offers."""
    with transaction.atomic():
        webinar, session = lock_scope(webinar_id, session_id)
        return fill_free_seats(webinar, session)


def _still_selling(webinar: Webinar, session: Session | None) -> bool:
    if webinar.cancelled_at is not None:
        return False
    if session is not None:
        return session.cancelled_at is None and not session.has_ended
    return Session.objects.filter(webinar=webinar).active().upcoming().exists()


def free_seats(webinar: Webinar, session: Session | None) -> int:
    """Seats nobody holds (no registrant, hold or offer); call it locked."""
    return max(
        webinar.registration_limit - seats_taken(webinar=webinar, session=session), 0
    )


def fill_free_seats(webinar: Webinar, session: Session | None) -> list[WaitlistEntry]:
    """Offer the free seats to the first in line; the capacity row is locked."""
    if not webinar.waitlist_enabled or not _still_selling(webinar, session):
        return []
    free = free_seats(webinar, session)
    if free <= 0:
        return []
    entries = list(
        WaitlistEntry.objects.filter(webinar=webinar, session=session)
        .waiting()
        .select_for_update()[:free]
    )
    for entry in entries:
        make_offer(entry, webinar=webinar)
    return entries


def make_offer(entry: WaitlistEntry, *, webinar: Webinar) -> None:
    """Hold a seat for the entry and send its personal link; call it locked."""
    now = timezone.now()
    entry.status = Status.OFFERED
    entry.offered_at = now
    entry.offer_expires_at = now + offer_window(webinar)
    entry.offer_token = new_token()
    entry.ended_at = None
    entry.save(
        update_fields=[
            "status",
            "offered_at",
            "offer_expires_at",
            "offer_token",
            "ended_at",
        ]
    )
    SeatCount.add((entry.webinar_id, entry.session_id), +1)
    earlier = EmailLog.objects.filter(
        waitlist_entry=entry, kind=EmailLog.Kind.WAITLIST_OFFER
    ).count()
    queue_waitlist_email(
        entry=entry, kind=EmailLog.Kind.WAITLIST_OFFER, variant=earlier
    )
    hooks.announce_waitlist_event("offer_made", entry)


def end_offer(entry: WaitlistEntry, *, status: str) -> None:
    """End a locked entry's open offer: its seat goes back to the counter."""
    was_offered = entry.status == Status.OFFERED
    entry.status = status
    entry.ended_at = timezone.now()
    entry.save(update_fields=["status", "ended_at"])
    if was_offered:
        SeatCount.add((entry.webinar_id, entry.session_id), -1)


def expire_offers(*, now: datetime | None = None) -> int:
    """End offers past their window and pass each seat on; return how many ended.

    Then offer any seat still free to lines that wait (a limit raised, a
    release whose after-commit offer did not run): the sweep catches up.
    """
    now = now or timezone.now()
    lapsed = list(
        WaitlistEntry.objects.filter(status=Status.OFFERED, offer_expires_at__lte=now)
        .order_by("offer_expires_at", "pk")
        .values_list("pk", "webinar_id", "session_id")[:SWEEP_BATCH]
    )
    ended = 0
    for entry_id, webinar_id, session_id in lapsed:
        with transaction.atomic():
            webinar, session = lock_scope(webinar_id, session_id)
            entry = WaitlistEntry.objects.select_for_update().get(pk=entry_id)
            if entry.status != Status.OFFERED or entry.offer_expires_at > now:
                continue
            end_offer(entry, status=Status.EXPIRED)
            queue_waitlist_email(entry=entry, kind=EmailLog.Kind.WAITLIST_EXPIRED)
            hooks.announce_waitlist_event("offer_expired", entry)
            fill_free_seats(webinar, session)
            ended += 1
    lines = (
        WaitlistEntry.objects.filter(
            status=Status.WAITING, webinar__waitlist_enabled=True
        )
        .order_by()
        .values_list("webinar_id", "session_id")
        .distinct()
    )
    for webinar_id, session_id in list(lines):
        try:
            offer_free_seats(webinar_id=webinar_id, session_id=session_id)
        except Exception:  # one line's failure must not stop the others
            logger.exception("Waitlist of webinar %s: offers failed", webinar_id)
    return ended


@shared_task(name="registrations.waitlist.expire_offers", ignore_result=True)
def expire_offers_task() -> int:
    """Expire waitlist offers not taken in time and pass them on (every minute)."""
    return expire_offers()
