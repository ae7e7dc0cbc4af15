"""Starting a registration: check it is open, hold a seat, open Checkout.

The seat is held in one transaction that locks the capacity row (see
registrations.capacity); Stripe is called only after it commits. A free
registration is confirmed (or awaits approval) at once.
"""

import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from payments import gateway, pricing
from payments.models import Payment
from registrations import hooks, start_sql
from registrations.capacity import (
    STAFF_SOURCES,
    full_message,
    is_full,
    lock_counted_capacity,
)
from registrations.checkout import open_checkout, release_registration
from registrations.emails.outbox import queue_email
from registrations.fast_hold import plan_hold, write_planned
from registrations.hold_rows import write_held_seat
from registrations.models import Registrant, SeatHold, WaitlistEntry
from registrations.seller import read_seller
from registrations.start_rules import (
    AlreadyRegistered,
    RegistrationError,
    WebinarFull,
    check_open,
    new_hold,
    new_registrant,
    price_registration,
    unavailable_message,
)
from registrations.start_rules import (
    RegistrationClosed as RegistrationClosed,  # raised by check_open
)
from registrations.waitlist.claim import claim_offer
from registrations.waitlist.line import WaitlistError, has_waiting
from webinars.models import Session, Webinar

logger = logging.getLogger(__name__)

# The one statement after the lock (series.py reads it too).
_count_and_email = start_sql.count_and_email

Status = Registrant.Status


@dataclass(frozen=True)
class Registration:
    """A started registration; `checkout_url` is where a paying registrant goes."""

    registrant: Registrant
    checkout_url: str | None
    # Every registrant of the registration: one per session chosen.
    registrants: tuple[Registrant, ...] = ()


def start_registration(
    *,
    webinar: Webinar,
    first_name: str,
    last_name: str,
    email: str,
    answers: dict[str, Any],
    base_url: str,
    code: str = "",
    session: Session | None = None,
    language: str = "en",
    offer: WaitlistEntry | None = None,
) -> Registration:
    """Hold a seat and open Checkout, or confirm at once when there is nothing to pay.

    Raise RegistrationError (WebinarFull, RegistrationClosed, AlreadyRegistered)
    with nothing created. When Stripe is unavailable the hold is released again
    and RegistrationError says to try later; nothing is charged. `offer`: the
    waitlist entry whose offered seat this registration takes. Several
    sessions of a series: registrations.series.start_series_registration.
    """
    registrant = _hold_seat(
        webinar,
        session,
        code,
        first_name,
        last_name,
        email,
        answers,
        language,
        offer=offer,
    )
    return go_to_checkout([registrant], base_url=base_url)


def go_to_checkout(held: list[Registrant], *, base_url: str) -> Registration:
    """Open Checkout for registrants just held (one, or one per session).

    Registrants confirmed at once need none; an earlier Checkout of the same
    email still open is reused. When Stripe is unavailable the holds are
    released again and RegistrationError says to try later.
    """
    registrant = held[0]
    if registrant.status != Status.PENDING:
        return Registration(
            registrant=registrant, checkout_url=None, registrants=tuple(held)
        )
    if registrant.payment is not None and registrant.payment.checkout_url:
        # The same email's earlier Checkout is still open: send them back to it.
        return Registration(
            registrant=registrant,
            checkout_url=registrant.payment.checkout_url,
            registrants=tuple(held),
        )
    try:
        url = open_checkout(
            registrant=registrant, base_url=base_url, others=tuple(held[1:])
        )
    except gateway.GatewayError as error:
        logger.warning(
            "Checkout for registrant %s failed: %s", registrant.pk, error.message
        )
        release_registration(registrant=registrant, expire_at_stripe=False)
        if isinstance(error, gateway.InvalidRequest):
            # Trying again would not help: say what Stripe refused.
            raise RegistrationError(
                _("%(problem)s Your seat was not kept and nothing was charged.")
                % {"problem": error.message}
            ) from error
        raise RegistrationError(
            _(
                "Payments are temporarily unavailable, so your seat was not kept "
                "and nothing was charged. Please try again in a few minutes."
            )
        ) from error
    return Registration(
        registrant=registrant, checkout_url=url, registrants=tuple(held)
    )


def _hold_seat(
    webinar: Webinar,
    session: Session | None,
    code: str,
    first_name: str,
    last_name: str,
    email: str,
    answers: dict[str, Any],
    language: str,
    offer: WaitlistEntry | None = None,
) -> Registrant:
    # Before the lock (registrations.seller): a connection revoked meanwhile
    # is the same as one revoked just after the commit.
    seller = read_seller(webinar)
    person = {
        "email": email,
        "first_name": first_name,
        "last_name": last_name,
        "answers": answers,
        "language": language,
    }
    # The common paid start, decided before the lock (registrations.fast_hold).
    plan = None
    if offer is None and not code.strip():
        plan = plan_hold(webinar, session, seller, person)
    if plan is not None and not transaction.get_connection().in_atomic_block:
        # A transaction of its own, lock to COMMIT in one round trip.
        if write_planned(plan):
            return plan.registrant
        plan = None
    with transaction.atomic():
        if plan is not None and write_planned(plan):
            return plan.registrant
        # Decided under the lock (as well when the plan's premises changed).
        # One round trip: the lock, then the fresh webinar, its price
        # (pricing tiers only when it has some) and, without a waitlist offer
        # to claim first, the seat counter and the email.
        given = webinar.pk
        webinar, session, has_upcoming = lock_counted_capacity(
            webinar, session, email=None if offer else email
        )
        if webinar.pk != given:
            raise RegistrationError(_("Choose one of this webinar's sessions."))
        # Replay or on-demand sales take no session (recordings' hook).
        mode = hooks.registration_mode(webinar) if session is None else None
        check_open(webinar, session, mode=mode, has_upcoming=has_upcoming)
        if offer is not None:
            # Before the counter is read: the offer's seat becomes this one's.
            try:
                claim_offer(offer, webinar=webinar, session=session)
            except WaitlistError as error:
                raise RegistrationError(error.message) from error
        # The seat counter, and whether this email has a registration here
        # at all (most have none): read with the lock, or now.
        read = getattr(webinar, "seats_and_email", None)
        counted, known = read or _count_and_email(
            webinar=webinar, email=email, session=session
        )
        existing, pending = None, []
        if known:
            existing, pending = _same_email(
                webinar=webinar, email=email, session=session
            )
        if existing is not None:
            raise AlreadyRegistered(
                _("You are already registered for this webinar with this email."),
                registrant=existing,
            )
        earlier = _earlier_checkout(pending, code=code)
        if earlier is not None:
            return earlier
        # The live seats do not limit a replay; the recording's view limit does.
        limited = mode is None or mode.kind != "replay"
        if limited and is_full(webinar=webinar, session=session, counted=counted):
            raise WebinarFull(full_message(webinar, session))
        # A freed seat belongs to the waitlist's next in line, not to whoever
        # asks first.
        if (
            limited
            and offer is None
            and webinar.waitlist_enabled
            and has_waiting(webinar=webinar, session=session)
        ):
            raise WebinarFull(full_message(webinar, session))
        price = webinar.locked_price
        connection = None
        if price is not None and price.enabled:
            # Payments on: only a usable connection sells (never free instead).
            connection = seller.for_locked(webinar)
            if connection is None or not connection.is_usable:
                raise RegistrationError(unavailable_message())
        try:
            quote = price_registration(
                webinar=webinar, code=code, mode=mode, price=price
            )
            if quote.discount_code is not None:
                pricing.reserve_code_use(code=quote.discount_code)
        except pricing.PricingError as error:
            raise RegistrationError(error.message, field=error.field) from error

        now = timezone.now()
        manual = webinar.approval == Webinar.Approval.MANUAL
        registrant = new_registrant(
            webinar=webinar, session=session, quote=quote, now=now, **person
        )
        if not quote.paid:
            registrant.save()
            # The counter with this registrant (by session in a series only).
            counted = counted + 1 if session is None or webinar.is_series else None
            announce_taken(registrant, manual=manual, counted=counted)
            return registrant

        if connection is None or not connection.is_usable:
            raise RegistrationError(unavailable_message())
        hold = new_hold(registrant, connection=connection, now=now)
        # One round trip on PostgreSQL: the lock is held until the commit.
        write_held_seat(payment=registrant.payment, registrant=registrant, hold=hold)
        return registrant


def announce_taken(
    registrant: Registrant, *, manual: bool, counted: int | None = None
) -> None:
    """Email a registration taken without payment and tell the hooks of it.

    `counted`: the seat counter with this registrant in it, when the caller
    read it under the capacity lock (queue_email need not read it again).
    """
    queue_email(
        registrant=registrant,
        kind="awaiting_approval" if manual else "confirmation",
        counted=counted,
    )
    if registrant.status == Status.CONFIRMED:
        hooks.announce_confirmed(registrant)
    else:
        hooks.announce(hooks.registrant_awaiting_approval_handlers, registrant)


def _same_email(
    *, webinar: Webinar, email: str, session: Session | None
) -> tuple[Registrant | None, list[Registrant]]:
    """Read this email's registrations once: (confirmed or awaiting, pending).

    The first is what existing_registration returns (staff excluded, any
    session when none is chosen); the second, the pending registrations of
    this very session whose hold is live, newest first, for _earlier_checkout.
    """
    now = timezone.now()
    live_hold = SeatHold.objects.filter(
        registrant=OuterRef("pk"),
        released_at__isnull=True,
        consumed_at__isnull=True,
        expires_at__gt=now,
    )
    rows = (
        Registrant.objects.filter(
            webinar=webinar,
            email__iexact=email,
            status__in=[Status.CONFIRMED, Status.AWAITING, Status.PENDING],
        )
        .annotate(live_hold=Exists(live_hold))
        .select_related("payment", "discount_code")
        .order_by("-created_at", "-pk")
    )
    if session is not None:
        rows = rows.filter(session=session)
    existing = None
    pending = []
    for row in rows:
        if row.status == Status.PENDING:
            if row.live_hold and row.session_id == (session.pk if session else None):
                pending.append(row)
        elif existing is None and row.source not in STAFF_SOURCES:
            existing = row
    pending.sort(key=lambda row: row.pk, reverse=True)
    return existing, pending


def _earlier_checkout(pending: list[Registrant], *, code: str) -> Registrant | None:
    """Return this email's pending registration whose Checkout is still open.

    One email pays for one seat: a second registration while the first Checkout
    is open goes back to that Checkout. When the first cannot be reused (another
    code, Stripe never answered), its hold is released and its Checkout expired
    after commit, so only the new Checkout can be paid. Raise RegistrationError
    when an earlier payment is already being processed. `pending`: this email's
    pending registrations with a live hold, newest first (_same_email).
    """
    reusable = None
    for registrant in pending:
        payment = registrant.payment
        if payment is None:
            continue
        if payment.status == Payment.Status.PROCESSING:
            raise RegistrationError(
                _(
                    "Your earlier payment for this webinar is being processed: you "
                    "will get an email as soon as it is confirmed."
                )
            )
        earlier_code = registrant.discount_code.code if registrant.discount_code else ""
        if (
            reusable is None
            and payment.status == Payment.Status.OPEN
            and payment.checkout_url
            and earlier_code.casefold() == code.strip().casefold()
        ):
            reusable = registrant
            continue
        release_registration(registrant=registrant, expire_at_stripe=True)
    return reusable


def find_registration(*, webinar: Webinar, email: str) -> Registrant | None:
    """Return the confirmed or awaiting registration of this email, if any."""
    return (
        Registrant.objects.filter(
            webinar=webinar,
            email__iexact=email.strip(),
            status__in=[Status.CONFIRMED, Status.AWAITING],
        )
        .order_by("-confirmed_at", "-pk")
        .first()
    )
