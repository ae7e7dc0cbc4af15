"""Capacity: who holds a seat, and the row lock that serialises selling them.

A seat is decided in one transaction that locks the capacity row (the webinar,
or the chosen session of an individual-session series) and reads the seat
counter (registrations.models.SeatCount, kept by Registrant.save in the same
transaction as every status change): one indexed row, whatever the number of
registrants. The counter is an upper bound (a lapsed hold still counts until
the sweep releases it), so only a counter at the limit pays for the exact
count of confirmed, awaiting-approval and live-held seats.
"""

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from payments import pricing
from registrations import start_sql
from registrations.models import Registrant, SeatCount, SeatHold, WaitlistEntry
from webinars.models import Session, Webinar

Status = Registrant.Status
STAFF_SOURCES = (Registrant.Source.PANELIST, Registrant.Source.CO_ORGANIZER)


def seats_taken(*, webinar: Webinar, session: Session | None = None) -> int:
    """Count seats taken: confirmed, awaiting approval, live holds and offers."""
    registrants = Registrant.objects.filter(webinar=webinar)
    if session is not None:
        registrants = registrants.filter(session=session)
    return registrants.holding_seats().count() + open_offers(
        webinar=webinar, session=session
    )


def open_offers(*, webinar: Webinar, session: Session | None = None) -> int:
    """Count the waitlist offers that hold a seat (every session's without one)."""
    session_id = session.pk if session is not None else None
    return WaitlistEntry.objects.in_scope(webinar.pk, session_id).open_offers().count()


def counted_seats(*, webinar: Webinar, session: Session | None = None) -> int:
    """Return the seat counter: an upper bound of seats_taken, in one query.

    Without a session: every registrant of the webinar, as seats_taken counts.
    """
    rows = SeatCount.objects.filter(webinar=webinar)
    if session is not None:
        rows = rows.filter(session=session)
    return rows.aggregate(taken=Sum("taken"))["taken"] or 0


def is_full(
    *, webinar: Webinar, session: Session | None = None, counted: int | None = None
) -> bool:
    """Say whether no seat is left; call it with the capacity row locked.

    One counter read while seats are left (none with `counted`, the counter
    read by lock_counted_capacity); the exact count at the limit.
    """
    limit = webinar.registration_limit
    if counted is None:
        counted = counted_seats(webinar=webinar, session=session)
    if counted < limit:
        return False
    return seats_taken(webinar=webinar, session=session) >= limit


def seats_by_session(webinar: Webinar) -> dict[int | None, int]:
    """Return seats taken per chosen session (None: whole-webinar registrants).

    What the registration page shows. Read from the seat counters (one query);
    a scope whose counter reaches the limit is counted exactly, so a lapsed
    hold never shows a seat as taken. The start decides under its lock anyway.
    """
    counters = dict(
        SeatCount.objects.filter(webinar=webinar).values_list("session_id", "taken")
    )
    limit = webinar.registration_limit
    if not webinar.is_series and sum(counters.values()) >= limit:
        return _exact_seats_by_session(webinar)
    if webinar.is_series and any(taken >= limit for taken in counters.values()):
        return _exact_seats_by_session(webinar)
    return {session: taken for session, taken in counters.items() if taken}


def _exact_seats_by_session(webinar: Webinar) -> dict[int | None, int]:
    """Return seats taken per chosen session (None: whole-webinar registrants)."""
    return {
        session_id: taken
        for (_webinar_id, session_id), taken in seats_by_scope([webinar.pk]).items()
    }


def seats_by_scope(webinar_ids: list[int]) -> dict[tuple[int, int | None], int]:
    """Return the exact seats taken per webinar and chosen session, in one query.

    Keys: (webinar id, session id or None for whole-webinar registrants).
    Seats: registrants holding one (confirmed, awaiting approval, live hold)
    and open waitlist offers, as seats_taken counts them. The registration
    page's exact count and the dashboard read it.
    """
    registrants = (
        Registrant.objects.filter(webinar_id__in=webinar_ids)
        .holding_seats()
        .order_by()
        .values("webinar_id", "session_id")
        .annotate(taken=Count("pk"))
    )
    offers = (
        WaitlistEntry.objects.filter(webinar_id__in=webinar_ids)
        .open_offers()
        .order_by()
        .values("webinar_id", "session_id")
        .annotate(taken=Count("pk"))
    )
    taken: dict[tuple[int, int | None], int] = {}
    for row in registrants.union(offers, all=True):
        key = (row["webinar_id"], row["session_id"])
        taken[key] = taken.get(key, 0) + row["taken"]
    return taken


def lock_capacity(webinar: Webinar, session: Session | None) -> Webinar | Session:
    """Lock the row that serialises sales: the session, or the whole webinar."""
    if session is not None:
        return Session.objects.select_for_update().get(pk=session.pk)
    return Webinar.objects.select_for_update().get(pk=webinar.pk)


def lock_capacity_row(*, webinar_id: int, session_id: int | None) -> None:
    """Lock the same row as lock_capacity, by ids, reading nothing of it."""
    if session_id is not None:
        Session.objects.select_for_update().filter(pk=session_id).values_list(
            "pk"
        ).get()
        return
    Webinar.objects.select_for_update().filter(pk=webinar_id).values_list("pk").get()


def lock_counted_capacity(
    webinar: Webinar, session: Session | None, *, email: str | None = None
) -> tuple[Webinar, Session | None, bool]:
    """Lock the capacity row and read the webinar a start needs, in one query.

    Return the webinar (fresh, with its price and tiers as
    `webinar.locked_price`, see pricing.loaded_price), the
    locked session (or None) and whether the webinar has an upcoming session
    that is not cancelled. Read the seat counter in a later statement: on
    PostgreSQL, subqueries of the locking statement see the rows as they were
    before it waited for the lock. Plain SQL (registrations.start_sql): the
    ORM cost every start more CPU to build this statement than to run it.
    With `email`, a whole-webinar lock also reads the counter and whether the
    email is registered, in the same round trip (`webinar.seats_and_email`,
    see start_sql.lock_webinar).
    """
    if session is None:
        found = start_sql.lock_webinar(webinar.pk, now=timezone.now(), email=email)
        if found is None:
            raise Webinar.DoesNotExist("Webinar matching query does not exist.")
        locked, has_upcoming, has_tiers = found
        locked.locked_price = pricing.loaded_price(locked, has_tiers=has_tiers)
        return locked, None, has_upcoming
    found_session = start_sql.lock_session(session.pk)
    if found_session is None:
        raise Session.DoesNotExist("Session matching query does not exist.")
    locked_session, has_tiers = found_session
    webinar = locked_session.webinar
    webinar.locked_price = pricing.loaded_price(webinar, has_tiers=has_tiers)
    return webinar, locked_session, True


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
