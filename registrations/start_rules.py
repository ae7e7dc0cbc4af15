"""What a registration start checks and charges, before or under its lock.

The errors a start raises (their messages are safe to show), whether the
webinar (or session) is open, what the registration costs and the status it
starts in. registrations.registration decides under the capacity lock;
registrations.fast_hold decides the same before it, and its one statement
checks under the lock that nothing it decided on has changed.
"""

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from payments import pricing
from payments.models import Payment, StripeConnection
from registrations import hooks
from registrations.models import Registrant, SeatHold
from webinars.models import Session, Webinar

Status = Registrant.Status


class RegistrationError(Exception):
    """A registration that cannot go ahead; the message is safe to show.

    `field` names the form field the message belongs beside, when there is one.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.message = message
        self.field = field
        super().__init__(message)


class WebinarFull(RegistrationError):
    """No seat is left (for the chosen session)."""


class RegistrationClosed(RegistrationError):
    """The webinar (or session) is cancelled or over."""


class AlreadyRegistered(RegistrationError):
    """This email already holds a confirmed or awaiting registration."""

    def __init__(self, message: str, *, registrant: Registrant) -> None:
        super().__init__(message)
        self.registrant = registrant


def status_and_source(quote: pricing.Quote, *, manual: bool) -> tuple[str, str]:
    """Return the status and source of a registration taken at this quote."""
    if quote.paid:
        return Status.PENDING, Registrant.Source.PAID
    if quote.discount_code is not None:
        source = Registrant.Source.CODE
    else:
        source = Registrant.Source.FREE
    return (Status.AWAITING if manual else Status.CONFIRMED), source


def unavailable_message() -> str:
    """Return the message shown while the organizer cannot take payments."""
    return _(
        "Registration is temporarily unavailable: the organizer cannot take "
        "payments right now. Please try again later."
    )


def price_registration(
    *,
    webinar: Webinar,
    code: str = "",
    mode: hooks.RegistrationMode | None = None,
    price: Any = pricing.UNREAD,
) -> pricing.Quote:
    """Return what a registration costs: the webinar's quote, or the mode's price.

    A mode's own amount (a replay price) replaces the regular and early-bird
    prices; a discount code still applies, and the lower of the two is charged.
    `price`: the webinar's Price (or None) when already read. Raise
    pricing.PricingError for an unusable code.
    """
    quote = pricing.quote(webinar=webinar, code=code, price=price)
    if mode is None or mode.amount is None:
        return quote
    if not quote.paid and quote.discount_code is None:
        # Payments are off (or no price is set): the replay is free too.
        return quote
    amount = mode.amount
    if quote.discount_code is not None:
        amount = min(amount, quote.discount_code.amount)
    return dataclasses.replace(
        quote,
        amount=amount,
        paid=amount > 0,
        tier_ends_at=None,
        regular_amount=mode.amount,
    )


def check_open(
    webinar: Webinar,
    session: Session | None,
    *,
    mode: hooks.RegistrationMode | None = None,
    has_upcoming: bool | None = None,
) -> None:
    if (
        webinar.cancelled_at is None
        and webinar.kind == Webinar.Kind.ON_DEMAND
        and mode is None
    ):
        # The video is what an on-demand webinar sells: one attached but not
        # for sale (its viewer limit reached, past its availability) closes
        # it with that reason, whichever door (page, API) is used; none
        # attached is registration_closed_reason's.
        unsold = hooks.recording_unsold_reason(webinar)
        if unsold:
            raise RegistrationClosed(
                " ".join([_("Registration for this webinar is closed."), unsold])
            )
    if (
        webinar.cancelled_at is None
        and session is None
        and mode is None
        and webinar.is_series
    ):
        raise RegistrationError(_("Choose a session."))
    reason = webinar.registration_closed_reason(
        # A chosen session's own state is checked below instead.
        has_upcoming_session=session is not None
        or (
            has_upcoming
            if has_upcoming is not None
            else webinar.sessions.active().upcoming().exists()
        ),
        # A replay or on-demand video: open without a session, even when over.
        sells_recording=mode is not None,
    )
    if reason:
        raise RegistrationClosed(reason)
    if session is not None:
        if session.cancelled_at is not None:
            raise RegistrationClosed(_("This session is cancelled."))
        if session.has_ended:
            raise RegistrationClosed(_("This session is over."))


def new_registrant(
    *,
    webinar: Webinar,
    session: Session | None,
    quote: pricing.Quote,
    now: datetime,
    email: str,
    first_name: str,
    last_name: str,
    answers: dict[str, Any],
    language: str,
) -> Registrant:
    """Return the registrant (unsaved) a start takes at `quote`."""
    manual = webinar.approval == Webinar.Approval.MANUAL
    status, source = status_and_source(quote, manual=manual)
    return Registrant(
        webinar=webinar,
        session=session,
        email=email,
        first_name=first_name,
        last_name=last_name,
        answers=answers,
        language=language[:10],
        status=status,
        source=source,
        amount=quote.amount,
        currency=quote.currency,
        discount_code=quote.discount_code,
        confirmed_at=now if status == Status.CONFIRMED else None,
    )


def new_hold(
    registrant: Registrant, *, connection: StripeConnection, now: datetime
) -> SeatHold:
    """Give a paying registrant its payment; return its seat hold (both unsaved).

    The hold, and the Checkout, last settings.SEAT_HOLD_MINUTES from `now`.
    """
    expires_at = now + timedelta(minutes=settings.SEAT_HOLD_MINUTES)
    webinar = registrant.webinar
    registrant.payment = Payment(
        account_id=webinar.account_id,
        webinar=webinar,
        stripe_account_id=connection.stripe_account_id,
        amount=registrant.amount,
        currency=registrant.currency,
        expires_at=expires_at,
    )
    return SeatHold(
        registrant=registrant, session=registrant.session, expires_at=expires_at
    )
