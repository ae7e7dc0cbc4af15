"""Holding several sessions of an individual-session series in one registration.

One Registrant per chosen session (its capacity, join link, reminders,
cancellation and refund stay per session), all sharing one Payment: one
checkout pays for every session, each registrant's `amount` is its share.
Every chosen session is locked, in the order of their ids (as every other
seat sale locks them, so two registrations never wait on each other), and
checked in the same transaction: if one is full or closed, nothing is held.
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from payments import pricing
from payments.connect import connections
from payments.models import MAXIMUM_AMOUNT, Payment
from registrations.capacity import is_full, lock_counted_capacity
from registrations.checkout import release_registration
from registrations.models import Registrant, SeatHold
from registrations.purchase import format_moment
from registrations.registration import (
    AlreadyRegistered,
    Registration,
    RegistrationError,
    WebinarFull,
    _count_and_email,
    _same_email,
    announce_taken,
    go_to_checkout,
    start_registration,
)
from registrations.start_rules import (
    check_open,
    new_registrant,
    price_registration,
    unavailable_message,
)
from webinars.models import Session, Webinar

Status = Registrant.Status


def session_full_message(session: Session, webinar: Webinar, language: str) -> str:
    """Return the message naming the chosen session that has no seat left."""
    return _("The session of %(when)s is full; nothing was booked.") % {
        "when": format_moment(session.starts_at, webinar, language)
    }


def start_series_registration(
    *,
    webinar: Webinar,
    sessions: list[Session],
    first_name: str,
    last_name: str,
    email: str,
    answers: dict[str, Any],
    base_url: str,
    code: str = "",
    language: str = "en",
) -> Registration:
    """Register for the sessions chosen: one Checkout pays for all of them.

    One session: start_registration as ever. Raise RegistrationError as
    start_registration does, with nothing created.
    """
    person = {
        "webinar": webinar,
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        "answers": answers,
        "code": code,
        "language": language,
    }
    if len(sessions) == 1:
        return start_registration(**person, session=sessions[0], base_url=base_url)
    held = hold_sessions(**person, sessions=sessions)
    return go_to_checkout(held, base_url=base_url)


def hold_sessions(
    *,
    webinar: Webinar,
    sessions: list[Session],
    code: str,
    first_name: str,
    last_name: str,
    email: str,
    answers: dict[str, Any],
    language: str,
) -> list[Registrant]:
    """Hold a seat in each session (one registrant each), all or none.

    Return the registrants, ordered by session start; a paid registration's
    registrants share one Payment (amount: the sum of their shares). Raise
    RegistrationError (WebinarFull naming the full session, RegistrationClosed,
    AlreadyRegistered) with nothing created.
    """
    given = webinar.pk
    with transaction.atomic():
        locked: list[Session] = []
        for chosen in sorted({s.pk: s for s in sessions}.values(), key=_pk):
            webinar, session, _upcoming = lock_counted_capacity(webinar, chosen)
            if webinar.pk != given or session is None:
                raise RegistrationError(_("Choose one of this webinar's sessions."))
            locked.append(session)
        locked.sort(key=lambda session: (session.starts_at, session.pk))
        for session in locked:
            check_open(webinar, session)
        for session in locked:
            _free_earlier(webinar=webinar, email=email, session=session)
        for session in locked:
            if is_full(webinar=webinar, session=session):
                raise WebinarFull(session_full_message(session, webinar, language))
        price = webinar.locked_price
        connection = None
        if price is not None and price.enabled:
            connection = connections.connection_for(webinar)
            if connection is None or not connection.is_usable:
                raise RegistrationError(unavailable_message())
        try:
            quote = price_registration(webinar=webinar, code=code, price=price)
            if quote.discount_code is not None:
                # One use of the code per session bought.
                for _session in locked:
                    pricing.reserve_code_use(code=quote.discount_code)
        except pricing.PricingError as error:
            raise RegistrationError(error.message, field=error.field) from error
        total = quote.amount * len(locked)
        if total > MAXIMUM_AMOUNT:
            raise RegistrationError(_("Choose fewer sessions: the total is too large."))

        now = timezone.now()
        manual = webinar.approval == Webinar.Approval.MANUAL
        payment = None
        expires_at = now + timedelta(minutes=settings.SEAT_HOLD_MINUTES)
        if quote.paid:
            payment = Payment.objects.create(
                account_id=webinar.account_id,
                webinar=webinar,
                stripe_account_id=connection.stripe_account_id,
                amount=total,
                currency=quote.currency,
                expires_at=expires_at,
            )
        registrants = []
        for session in locked:
            registrant = new_registrant(
                webinar=webinar,
                session=session,
                quote=quote,
                now=now,
                email=email,
                first_name=first_name,
                last_name=last_name,
                answers=answers,
                language=language,
            )
            registrant.payment = payment
            registrant.save()
            registrants.append(registrant)
            if payment is not None:
                SeatHold.objects.create(
                    registrant=registrant, session=session, expires_at=expires_at
                )
                continue
            announce_taken(registrant, manual=manual)
        return registrants


def _pk(session: Session) -> int:
    return session.pk


def _free_earlier(*, webinar: Webinar, email: str, session: Session) -> None:
    """Refuse an email registered for the session; give up its open checkouts.

    One email holds one seat per session: an earlier checkout still open for
    this session is released (and expired at Stripe after commit), so only
    the new one can be paid.
    """
    _counted, known = _count_and_email(webinar=webinar, email=email, session=session)
    if not known:
        return
    existing, pending = _same_email(webinar=webinar, email=email, session=session)
    if existing is not None:
        raise AlreadyRegistered(
            _("You are already registered for this webinar with this email."),
            registrant=existing,
        )
    for registrant in pending:
        payment = registrant.payment
        if payment is not None and payment.status == Payment.Status.PROCESSING:
            raise RegistrationError(
                _(
                    "Your earlier payment for this webinar is being processed: you "
                    "will get an email as soon as it is confirmed."
                )
            )
        release_registration(registrant=registrant, expire_at_stripe=True)
