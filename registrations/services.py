"""Registering for a webinar: a seat held, Checkout opened, the payment fulfilled.

The seat is decided in one transaction that locks the capacity row (the
webinar, or the chosen session of an individual-session series) and re-counts
confirmed, awaiting-approval and held seats. Stripe is called only after that
transaction commits, never under a lock.

A Payment's status follows Stripe (open, processing, paid, failed, expired);
the registrant's status and seat hold follow our decisions (held, confirmed,
released). `fulfil_checkout` reconciles the two from what Stripe says now, so
webhooks, the success page and the sweeps may call it in any order, any number
of times, with the same result.

Seat holds last settings.SEAT_HOLD_MINUTES (31): the Checkout Session expires
at the hold's expiry, and Stripe refuses an `expires_at` less than 30 minutes
ahead of its own clock, so one minute of margin keeps the request valid.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from payments import connect, gateway, pricing
from payments.models import Payment, Refund
from registrations import hooks
from registrations.emails.outbox import queue_email
from registrations.models import Registrant, SeatHold
from webinars.models import Session, Webinar, WebinarMember

logger = logging.getLogger(__name__)

Status = Registrant.Status
# An async payment (bank debit) keeps its seat while the bank settles it.
PROCESSING_HOLD = timedelta(days=7)
# A processing payment is asked about again this long after each look, so the
# reconcile sweep does not spend every run on payments the bank is still settling.
PROCESSING_RECHECK = timedelta(hours=1)
# Stripe's own expiry and webhook get this long before the sweep asks Stripe.
RECONCILE_GRACE = timedelta(minutes=2)
RECONCILE_BATCH = 100
CANCEL_SALT = "registrations.checkout-cancel"
STRIPE_LOCALES = {"en", "fr"}
STAFF_SOURCES = (Registrant.Source.PANELIST, Registrant.Source.CO_ORGANIZER)
OPEN_PAYMENT = (Payment.Status.CREATED, Payment.Status.OPEN)


class RegistrationError(Exception):
    """A registration that cannot go ahead; the message is safe to show."""

    def __init__(self, message: str) -> None:
        self.message = message
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


@dataclass(frozen=True)
class Registration:
    """A started registration; `checkout_url` is where a paying registrant goes."""

    registrant: Registrant
    checkout_url: str | None


# -- capacity -----------------------------------------------------------------------


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


def _lock_capacity(webinar: Webinar, session: Session | None) -> Webinar | Session:
    """Lock the row that serialises sales: the session, or the whole webinar."""
    if session is not None:
        return Session.objects.select_for_update().get(pk=session.pk)
    return Webinar.objects.select_for_update().get(pk=webinar.pk)


def full_message(webinar: Webinar, session: Session | None = None) -> str:
    if session is not None:
        return _("This session is full.")
    return _("This webinar is full.")


# -- starting a registration ------------------------------------------------------


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
) -> Registration:
    """Hold a seat and open Checkout, or confirm at once when there is nothing to pay.

    Raise RegistrationError (WebinarFull, RegistrationClosed, AlreadyRegistered)
    with nothing created. When Stripe is unavailable the hold is released again
    and RegistrationError says to try later; nothing is charged.
    """
    registrant = _hold_seat(
        webinar=webinar,
        first_name=first_name,
        last_name=last_name,
        email=email,
        answers=answers,
        code=code,
        session=session,
        language=language,
    )
    if registrant.status != Status.PENDING:
        return Registration(registrant=registrant, checkout_url=None)
    if registrant.payment is not None and registrant.payment.checkout_url:
        # The same email's earlier Checkout is still open: send them back to it.
        return Registration(
            registrant=registrant, checkout_url=registrant.payment.checkout_url
        )
    try:
        url = open_checkout(registrant=registrant, base_url=base_url)
    except gateway.GatewayError as error:
        logger.warning(
            "Checkout for registrant %s failed: %s", registrant.pk, error.message
        )
        release_registration(registrant=registrant, expire_at_stripe=False)
        raise RegistrationError(
            _(
                "Payments are temporarily unavailable, so your seat was not kept "
                "and nothing was charged. Please try again in a few minutes."
            )
        ) from error
    return Registration(registrant=registrant, checkout_url=url)


def _hold_seat(
    *,
    webinar: Webinar,
    first_name: str,
    last_name: str,
    email: str,
    answers: dict[str, Any],
    code: str,
    session: Session | None,
    language: str,
) -> Registrant:
    with transaction.atomic():
        locked = _lock_capacity(webinar, session)
        webinar = Webinar.objects.select_related("account", "owner").get(pk=webinar.pk)
        if session is not None:
            session = locked  # type: ignore[assignment]
            if session.webinar_id != webinar.pk:  # type: ignore[union-attr]
                raise RegistrationError(_("Choose one of this webinar's sessions."))
        # Replay or on-demand sales take no session (recordings' hook).
        mode = hooks.registration_mode(webinar) if session is None else None
        _check_open(webinar, session, mode=mode)
        existing = _existing_registration(webinar=webinar, email=email, session=session)
        if existing is not None:
            raise AlreadyRegistered(
                _("You are already registered for this webinar with this email."),
                registrant=existing,
            )
        earlier = _earlier_checkout(
            webinar=webinar, email=email, session=session, code=code
        )
        if earlier is not None:
            return earlier
        # The live seats do not limit a replay; the recording's view limit does.
        limited = mode is None or mode.kind != "replay"
        if (
            limited
            and seats_taken(webinar=webinar, session=session)
            >= webinar.registration_limit
        ):
            raise WebinarFull(full_message(webinar, session))
        if connect.selling_state(webinar) == "unavailable":
            raise RegistrationError(unavailable_message())
        try:
            quote = price_registration(webinar=webinar, code=code, mode=mode)
            if quote.discount_code is not None:
                pricing.reserve_code_use(code=quote.discount_code)
        except pricing.PricingError as error:
            raise RegistrationError(error.message) from error

        now = timezone.now()
        manual = webinar.approval == Webinar.Approval.MANUAL
        if quote.paid:
            status = Status.PENDING
            source = Registrant.Source.PAID
        else:
            status = Status.AWAITING if manual else Status.CONFIRMED
            source = (
                Registrant.Source.CODE
                if quote.discount_code is not None
                else Registrant.Source.FREE
            )
        registrant = Registrant(
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
        if not quote.paid:
            registrant.save()
            queue_email(
                registrant=registrant,
                kind="awaiting_approval" if manual else "confirmation",
            )
            if status == Status.CONFIRMED:
                _announce_confirmed(registrant)
            return registrant

        connection = connect.connection_for(webinar)
        if connection is None or not connection.is_usable:
            raise RegistrationError(unavailable_message())
        expires_at = now + timedelta(minutes=settings.SEAT_HOLD_MINUTES)
        registrant.payment = Payment.objects.create(
            account=webinar.account,
            webinar=webinar,
            stripe_account_id=connection.stripe_account_id,
            amount=quote.amount,
            currency=quote.currency,
            expires_at=expires_at,
        )
        registrant.save()
        SeatHold.objects.create(
            registrant=registrant, session=session, expires_at=expires_at
        )
        return registrant


def unavailable_message() -> str:
    return _(
        "Registration is temporarily unavailable: the organizer cannot take "
        "payments right now. Please try again later."
    )


def price_registration(
    *, webinar: Webinar, code: str = "", mode: hooks.RegistrationMode | None = None
) -> pricing.Quote:
    """Return what a registration costs: the webinar's quote, or the mode's price.

    A mode's own amount (a replay price) replaces the regular and early-bird
    prices; a discount code still applies, and the lower of the two is charged.
    Raise pricing.PricingError for an unusable code.
    """
    quote = pricing.quote(webinar=webinar, code=code)
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


def _announce_confirmed(registrant: Registrant) -> None:
    """Run the registrant_confirmed_handlers after commit (e.g. a replay's grant)."""
    if not hooks.registrant_confirmed_handlers:
        return
    registrant_id = registrant.pk

    def announce() -> None:
        confirmed = (
            Registrant.objects.select_related("webinar__account", "session")
            .filter(pk=registrant_id, status=Status.CONFIRMED)
            .first()
        )
        if confirmed is None:
            return
        for handler in hooks.registrant_confirmed_handlers:
            handler(confirmed)

    transaction.on_commit(announce, robust=True)


def _check_open(
    webinar: Webinar,
    session: Session | None,
    *,
    mode: hooks.RegistrationMode | None = None,
) -> None:
    if webinar.cancelled_at is not None:
        raise RegistrationClosed(_("This webinar is cancelled."))
    if session is not None:
        if session.cancelled_at is not None:
            raise RegistrationClosed(_("This session is cancelled."))
        if session.has_ended:
            raise RegistrationClosed(_("This session is over."))
        return
    if mode is not None:
        # A replay or on-demand video: open without a session, even when over.
        return
    if webinar.is_series:
        raise RegistrationError(_("Choose a session."))
    if webinar.kind == Webinar.Kind.ON_DEMAND:
        return
    if not webinar.sessions.active().upcoming().exists():
        raise RegistrationClosed(_("Registration for this webinar is closed."))


def _existing_registration(
    *, webinar: Webinar, email: str, session: Session | None
) -> Registrant | None:
    registrants = Registrant.objects.filter(
        webinar=webinar,
        email__iexact=email,
        status__in=[Status.CONFIRMED, Status.AWAITING],
    ).exclude(source__in=STAFF_SOURCES)
    if session is not None:
        registrants = registrants.filter(session=session)
    return registrants.first()


def _earlier_checkout(
    *, webinar: Webinar, email: str, session: Session | None, code: str
) -> Registrant | None:
    """Return this email's pending registration whose Checkout is still open.

    One email pays for one seat: a second registration while the first Checkout
    is open goes back to that Checkout. When the first cannot be reused (another
    code, Stripe never answered), its hold is released and its Checkout expired
    after commit, so only the new Checkout can be paid. Raise RegistrationError
    when an earlier payment is already being processed.
    """
    now = timezone.now()
    pending = (
        Registrant.objects.filter(
            webinar=webinar,
            session=session,
            email__iexact=email,
            status=Status.PENDING,
            holds__released_at__isnull=True,
            holds__consumed_at__isnull=True,
            holds__expires_at__gt=now,
        )
        .select_related("payment", "discount_code")
        .distinct()
        .order_by("-pk")
    )
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


# -- Checkout ------------------------------------------------------------------------


def cancel_token(registrant: Registrant) -> str:
    """Return the signed token of the Checkout cancel link."""
    return signing.dumps(registrant.pk, salt=CANCEL_SALT)


def registrant_from_cancel_token(token: str) -> Registrant | None:
    """Return the registrant named by a cancel link, or None if it is not ours."""
    try:
        pk = signing.loads(token, salt=CANCEL_SALT, max_age=2 * 24 * 3600)
    except signing.BadSignature:
        return None
    if not isinstance(pk, int):
        return None
    return Registrant.objects.select_related("payment", "webinar").filter(pk=pk).first()


def stripe_locale(language: str) -> str:
    short = (language or "").split("-")[0].lower()
    return short if short in STRIPE_LOCALES else "auto"


def application_fee(amount: int) -> int | None:
    """Return the platform's fee on an amount, or None when there is none."""
    percent = getattr(settings, "STRIPE_APPLICATION_FEE_PERCENT", 0) or 0
    return amount * percent // 100 or None


def open_checkout(*, registrant: Registrant, base_url: str) -> str:
    """Create the Checkout Session of a held registration; return its URL.

    Call it after the hold's transaction committed: it talks to Stripe.
    """
    payment = registrant.payment
    assert payment is not None  # noqa: S101 - only paid registrants get here
    webinar = registrant.webinar
    base = base_url.rstrip("/")
    key = webinar.registration_key
    success = reverse("registrations:checkout_success", args=[key])
    cancel = reverse("registrations:checkout_cancelled", args=[key])
    checkout = gateway.create_checkout_session(
        account=payment.stripe_account_id,
        amount=payment.amount,
        currency=payment.currency,
        name=webinar.title,
        customer_email=registrant.email,
        client_reference_id=str(registrant.pk),
        metadata={
            "registrant": str(registrant.pk),
            "webinar": str(webinar.pk),
            "payment": str(payment.pk),
        },
        success_url=f"{base}{success}?session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=f"{base}{cancel}?r={cancel_token(registrant)}",
        expires_at=int(payment.expires_at.timestamp()),
        locale=stripe_locale(registrant.language),
        idempotency_key=payment.idempotency_key,
        application_fee_amount=application_fee(payment.amount),
    )
    with transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(
            checkout_session_id=checkout.id, checkout_url=checkout.url or ""
        )
        Payment.objects.filter(pk=payment.pk, status=Payment.Status.CREATED).update(
            status=Payment.Status.OPEN
        )
    payment.refresh_from_db()
    return checkout.url or ""


def release_registration(*, registrant: Registrant, expire_at_stripe: bool) -> bool:
    """Give a held seat back (checkout abandoned or expired); True if released.

    With `expire_at_stripe`, the Checkout Session is expired after commit so it
    can no longer be paid; a payment that slips through anyway is fulfilled or
    refunded by `fulfil_checkout`.
    """
    with transaction.atomic():
        payment = None
        if registrant.payment_id:
            payment = Payment.objects.lock(registrant.payment_id)
        locked = Registrant.objects.select_for_update().get(pk=registrant.pk)
        if locked.status != Status.PENDING:
            return False
        if payment is not None and payment.status not in OPEN_PAYMENT:
            # Processing or paid: the money decides, not the abandoned page.
            return False
        _release_seat(locked)
        if payment is not None and not payment.checkout_session_id:
            # Stripe never answered: nothing there can be paid through us.
            payment.status = Payment.Status.EXPIRED
            payment.save(update_fields=["status"])
        if expire_at_stripe and payment is not None and payment.checkout_session_id:
            transaction.on_commit(
                lambda pk=payment.pk: expire_checkout(payment_id=pk), robust=True
            )
    registrant.refresh_from_db()
    return True


def _release_seat(registrant: Registrant, *, status: str = Status.EXPIRED) -> None:
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


def expire_checkout(*, payment_id: int) -> None:
    """Expire the payment's Checkout Session at Stripe and record what it says."""
    payment = Payment.objects.get(pk=payment_id)
    if payment.status not in OPEN_PAYMENT or not payment.checkout_session_id:
        return
    try:
        gateway.expire_checkout_session(
            account=payment.stripe_account_id, session_id=payment.checkout_session_id
        )
    except gateway.GatewayError as error:
        # Already complete (or Stripe is down): the reconcile sweep decides later.
        logger.info("Could not expire %s: %s", payment.checkout_session_id, error)
    try:
        fulfil_checkout(
            checkout_session_id=payment.checkout_session_id,
            account=payment.stripe_account_id,
        )
    except gateway.GatewayError as error:
        logger.info("Could not re-read %s: %s", payment.checkout_session_id, error)


# -- fulfilment -------------------------------------------------------------------


def _find_payment(
    *, checkout_session_id: str, account: str | None, hint: dict[str, Any] | None
) -> Payment | None:
    payments = Payment.objects.filter(stripe_account_id=account or "")
    payment = payments.filter(checkout_session_id=checkout_session_id).first()
    if payment is not None or not hint:
        return payment
    # Stripe created the session but its answer never reached us: the session's
    # metadata names the payment, which has no session id yet.
    metadata = hint.get("metadata") or {}
    pk = str(metadata.get("payment", ""))
    if not pk.isdigit():
        return None
    payment = payments.filter(pk=int(pk), checkout_session_id__isnull=True).first()
    if payment is None:
        return None
    registrant = Registrant.objects.filter(payment=payment).first()
    if registrant is None or str(registrant.pk) != str(hint.get("client_reference_id")):
        return None
    Payment.objects.filter(pk=payment.pk, checkout_session_id__isnull=True).update(
        checkout_session_id=checkout_session_id
    )
    payment.refresh_from_db()
    return payment


def fulfil_checkout(
    *,
    checkout_session_id: str,
    account: str | None,
    hint: dict[str, Any] | None = None,
) -> Payment | None:
    """Bring a payment and its registrant in line with what Stripe says now.

    Idempotent, and the one function webhooks, the success page and the sweeps
    use. Stripe is read first (the session, then its PaymentIntent with fees);
    the decision is then taken under the capacity lock. `hint` (a webhook's
    session object) only helps find the payment. Return None for a session
    that is not ours; raise GatewayError when Stripe cannot be read.
    """
    payment = _find_payment(
        checkout_session_id=checkout_session_id, account=account, hint=hint
    )
    if payment is None:
        logger.info(
            "Checkout Session %s on %s is not ours; ignored",
            checkout_session_id,
            account,
        )
        return None
    if payment.status in (Payment.Status.PAID, Payment.Status.REFUNDED):
        return payment
    try:
        checkout = gateway.retrieve_checkout_session(
            account=payment.stripe_account_id, session_id=checkout_session_id
        )
    except gateway.InvalidRequest:
        logger.warning("Checkout Session %s unknown at Stripe", checkout_session_id)
        return payment
    details = None
    if checkout.payment_intent:
        details = gateway.retrieve_payment(
            account=payment.stripe_account_id, payment_intent=checkout.payment_intent
        )
    apply_checkout(payment_id=payment.pk, checkout=checkout, details=details)
    payment.refresh_from_db()
    return payment


def apply_checkout(
    *,
    payment_id: int,
    checkout: gateway.CheckoutSession,
    details: gateway.PaymentDetails | None,
) -> None:
    """Apply a Checkout Session's state to our payment, seat and registrant."""
    with transaction.atomic():
        registrant = Registrant.objects.select_related("webinar", "session").get(
            payment_id=payment_id
        )
        # Same lock order as start_registration: capacity row, then the rest.
        _lock_capacity(registrant.webinar, registrant.session)
        payment = Payment.objects.lock(payment_id)
        registrant = (
            Registrant.objects.select_for_update(of=("self",))
            .select_related("webinar__account", "webinar__owner", "session")
            .get(pk=registrant.pk)
        )
        if payment.status in (Payment.Status.PAID, Payment.Status.REFUNDED):
            return
        intent_status = details.status if details else None
        if checkout.status == "expired":
            _close_unpaid(payment, registrant, Payment.Status.EXPIRED)
        elif checkout.status != "complete":
            return
        elif checkout.payment_status == "paid" or intent_status == "succeeded":
            _settle_paid(payment, registrant, checkout, details)
        elif intent_status in ("requires_payment_method", "canceled"):
            _close_unpaid(payment, registrant, Payment.Status.FAILED)
        elif intent_status == "processing" or checkout.payment_status == "unpaid":
            _mark_processing(payment, registrant, checkout)
        else:
            payment.flagged_reason = (
                f"Checkout {checkout.id} complete with payment_status "
                f"{checkout.payment_status}"
            )
            payment.save(update_fields=["flagged_reason"])


def _close_unpaid(payment: Payment, registrant: Registrant, status: str) -> None:
    closed = (Payment.Status.FAILED, Payment.Status.EXPIRED)
    if payment.status in closed and registrant.status != Status.PENDING:
        return
    payment.status = status
    payment.save(update_fields=["status"])
    if registrant.status == Status.PENDING:
        _release_seat(registrant)


def _mark_processing(
    payment: Payment, registrant: Registrant, checkout: gateway.CheckoutSession
) -> None:
    now = timezone.now()
    # The sweep asks again later, not every minute (see reconcile_checkouts).
    payment.expires_at = now + PROCESSING_RECHECK
    if payment.status == Payment.Status.PROCESSING:
        payment.save(update_fields=["expires_at"])
        return
    payment.status = Payment.Status.PROCESSING
    payment.payment_intent_id = checkout.payment_intent or payment.payment_intent_id
    payment.save(update_fields=["status", "payment_intent_id", "expires_at"])
    if registrant.status == Status.PENDING:
        # The bank takes days: the seat stays held while it decides.
        SeatHold.objects.filter(
            registrant=registrant, released_at__isnull=True, consumed_at__isnull=True
        ).update(expires_at=now + PROCESSING_HOLD)


def _settle_paid(
    payment: Payment,
    registrant: Registrant,
    checkout: gateway.CheckoutSession,
    details: gateway.PaymentDetails | None,
) -> None:
    now = timezone.now()
    payment.status = Payment.Status.PAID
    payment.paid_at = payment.paid_at or now
    payment.payment_intent_id = checkout.payment_intent or ""
    if details is not None:
        payment.charge_id = details.charge or ""
        payment.application_fee = details.application_fee_amount or 0
        payment.stripe_fee = details.stripe_fee
    fields = [
        "status",
        "paid_at",
        "payment_intent_id",
        "charge_id",
        "application_fee",
        "stripe_fee",
    ]
    if (
        checkout.amount_total != payment.amount
        or (checkout.currency or "").lower() != payment.currency.lower()
    ):
        payment.flagged_reason = (
            f"Stripe charged {checkout.amount_total} {checkout.currency}, "
            f"expected {payment.amount} {payment.currency}"
        )
        payment.save(update_fields=[*fields, "flagged_reason"])
        logger.error("Payment %s flagged: %s", payment.pk, payment.flagged_reason)
        _refund_automatically(
            payment,
            registrant,
            amount=checkout.amount_total,
            reason=_("The amount charged did not match the price."),
        )
        return
    payment.save(update_fields=fields)

    reason = _why_not_honoured(payment, registrant)
    if reason:
        _refund_automatically(payment, registrant, amount=payment.amount, reason=reason)
        return
    consumed = SeatHold.objects.filter(
        registrant=registrant, released_at__isnull=True, consumed_at__isnull=True
    ).update(consumed_at=now)
    if not consumed and registrant.discount_code_id:
        # The hold (and its code use) was released before the money came.
        try:
            pricing.reserve_code_use(code=registrant.discount_code)
        except pricing.PricingError:
            logger.info("Code use of paid registrant %s not counted", registrant.pk)
    manual = registrant.webinar.approval == Webinar.Approval.MANUAL
    registrant.status = Status.AWAITING if manual else Status.CONFIRMED
    registrant.confirmed_at = None if manual else now
    registrant.save(update_fields=["status", "confirmed_at"])
    queue_email(
        registrant=registrant,
        kind="awaiting_approval" if manual else "confirmation",
    )
    if not manual:
        _announce_confirmed(registrant)


def _why_not_honoured(payment: Payment, registrant: Registrant) -> str:
    """Return why a paid registration cannot get its seat, or ""."""
    webinar = registrant.webinar
    session = registrant.session
    if webinar.cancelled_at is not None or (
        session is not None and session.cancelled_at is not None
    ):
        return _("The webinar was cancelled.")
    connection = connect.connection_for(webinar)
    if connection is None or connection.stripe_account_id != payment.stripe_account_id:
        return _("The organizer's payment account is no longer connected.")
    if registrant.status not in (Status.PENDING, Status.EXPIRED):
        return _("This registration is no longer active.")
    # Pending or lapsed: a second payment of an already registered email is
    # refunded instead of taking a second seat.
    duplicate = _existing_registration(
        webinar=webinar, email=registrant.email, session=session
    )
    if duplicate is not None and duplicate.pk != registrant.pk:
        return _("You were already registered with another payment.")
    # A hold past its expiry no longer counts in holding_seats(), so its seat
    # may have been sold again: it goes through the recount below.
    live_hold = SeatHold.objects.filter(
        registrant=registrant,
        released_at__isnull=True,
        consumed_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).exists()
    if live_hold:
        return ""
    if session is None:
        mode = hooks.registration_mode(webinar)
        if mode is not None and mode.kind == "replay":
            # A replay buyer takes no live seat.
            return ""
    # The hold lapsed before the money came: a seat is given only if one is free.
    if seats_taken(webinar=webinar, session=session) >= webinar.registration_limit:
        return _("All seats were taken before your payment arrived.")
    return ""


def _refund_automatically(
    payment: Payment, registrant: Registrant, *, amount: int, reason: str
) -> Refund | None:
    """Refund a payment that cannot be honoured, in full; tell the registrant."""
    if registrant.status == Status.PENDING:
        _release_seat(registrant, status=Status.CANCELLED)
    elif registrant.status == Status.EXPIRED:
        registrant.status = Status.CANCELLED
        registrant.cancelled_at = timezone.now()
        registrant.save(update_fields=["status", "cancelled_at"])
    if amount <= 0:
        return None
    refund, created = Refund.objects.get_or_create(
        idempotency_key=f"tessera-auto-refund-{payment.pk}",
        defaults={
            "payment": payment,
            "amount": amount,
            "reason": reason[:200],
            # The auto_refunded email below already tells the registrant.
            "notify_registrant": False,
        },
    )
    if created:
        _submit_refund_on_commit(refund)
    queue_email(registrant=registrant, kind="auto_refunded")
    logger.warning("Payment %s refunded automatically: %s", payment.pk, reason)
    return refund


def _submit_refund_on_commit(refund: Refund) -> None:
    """Queue the Stripe call of a refund after commit, outside the request."""
    from registrations.tasks_refunds import submit_refund_task

    refund_id = refund.pk
    transaction.on_commit(lambda: submit_refund_task.delay(refund_id), robust=True)


# -- approval ----------------------------------------------------------------------


def approve_registrant(*, registrant: Registrant) -> Registrant:
    """Confirm a registrant awaiting approval and send them their confirmation."""
    with transaction.atomic():
        locked = Registrant.objects.select_for_update().get(pk=registrant.pk)
        if locked.status == Status.CONFIRMED:
            return locked
        if locked.status != Status.AWAITING:
            raise RegistrationError(
                _("Only registrants awaiting approval can be approved.")
            )
        locked.status = Status.CONFIRMED
        locked.confirmed_at = timezone.now()
        locked.save(update_fields=["status", "confirmed_at"])
        queue_email(registrant=locked, kind="approved")
        _announce_confirmed(locked)
    return locked


def deny_registrant(*, registrant: Registrant, by: Any = None) -> Registrant:
    """Deny a registrant awaiting approval; refund what they paid, in full."""
    with transaction.atomic():
        payment = None
        if registrant.payment_id:
            payment = Payment.objects.lock(registrant.payment_id)
        locked = Registrant.objects.select_for_update().get(pk=registrant.pk)
        if locked.status == Status.DENIED:
            return locked
        if locked.status != Status.AWAITING:
            raise RegistrationError(
                _("Only registrants awaiting approval can be denied.")
            )
        locked.status = Status.DENIED
        locked.cancelled_at = timezone.now()
        locked.save(update_fields=["status", "cancelled_at"])
        if payment is not None and payment.status == Payment.Status.PAID:
            from registrations.refunds import refundable_amount

            # Refunds still in flight count too, so the total never exceeds paid.
            amount = refundable_amount(payment)
            if amount > 0:
                refund, created = Refund.objects.get_or_create(
                    idempotency_key=f"tessera-deny-{payment.pk}",
                    defaults={
                        "payment": payment,
                        "amount": amount,
                        "reason": _("Registration denied by the organizer"),
                        "requested_by": by,
                        # The denied email already says it is refunded.
                        "notify_registrant": False,
                    },
                )
                if created:
                    _submit_refund_on_commit(refund)
        queue_email(registrant=locked, kind="denied")
    return locked


# -- panelists and co-organizers ----------------------------------------------------


def register_member(member: WebinarMember) -> Registrant:
    """Give a panelist or co-organizer a free registration with its join link."""
    source = (
        Registrant.Source.PANELIST
        if member.role == WebinarMember.Role.PANELIST
        else Registrant.Source.CO_ORGANIZER
    )
    with transaction.atomic():
        Webinar.objects.select_for_update().get(pk=member.webinar_id)
        existing = Registrant.objects.filter(
            webinar_id=member.webinar_id,
            email__iexact=member.email,
            source__in=STAFF_SOURCES,
        ).first()
        if existing is not None:
            return existing
        first, _sep, last = (member.name or "").strip().partition(" ")
        registrant = Registrant.objects.create(
            webinar_id=member.webinar_id,
            email=member.email,
            first_name=first[:100],
            last_name=last[:100],
            status=Status.CONFIRMED,
            source=source,
            amount=0,
            confirmed_at=timezone.now(),
        )
        queue_email(registrant=registrant, kind="confirmation")
    return registrant


# -- sweeps ---------------------------------------------------------------------


def release_expired_holds(*, now: Any = None) -> int:
    """Release holds past their expiry whose payment never started; return count."""
    now = now or timezone.now()
    registrant_ids = list(
        SeatHold.objects.filter(
            released_at__isnull=True,
            consumed_at__isnull=True,
            expires_at__lte=now,
            registrant__status=Status.PENDING,
        )
        .filter(
            Q(registrant__payment__isnull=True)
            | Q(registrant__payment__status__in=OPEN_PAYMENT)
        )
        .values_list("registrant_id", flat=True)[:1000]
    )
    released = 0
    for registrant in Registrant.objects.filter(pk__in=registrant_ids):
        if release_registration(registrant=registrant, expire_at_stripe=False):
            released += 1
    return released


def reconcile_checkouts(*, now: Any = None) -> int:
    """Ask Stripe about checkouts past expiry still open or processing here.

    A lost or late webhook thus loses nothing: paid sessions are fulfilled
    (or refunded), expired ones close. Return how many were looked at.
    """
    now = now or timezone.now()
    cutoff = now - RECONCILE_GRACE
    # Open payments (a lost webhook) first: processing ones wait on a bank.
    stale = (
        Payment.objects.filter(
            status__in=[*OPEN_PAYMENT, Payment.Status.PROCESSING],
            expires_at__lte=cutoff,
        )
        .annotate(
            processing=Case(
                When(status=Payment.Status.PROCESSING, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("processing", "expires_at", "pk")[:RECONCILE_BATCH]
    )
    seen = 0
    for payment in stale:
        seen += 1
        if payment.status == Payment.Status.PROCESSING:
            # Looked at now: asked again later whatever Stripe answers.
            Payment.objects.filter(
                pk=payment.pk, status=Payment.Status.PROCESSING
            ).update(expires_at=now + PROCESSING_RECHECK)
        if not payment.checkout_session_id:
            Payment.objects.filter(pk=payment.pk, status__in=OPEN_PAYMENT).update(
                status=Payment.Status.EXPIRED
            )
            continue
        try:
            fulfil_checkout(
                checkout_session_id=payment.checkout_session_id,
                account=payment.stripe_account_id,
            )
        except gateway.GatewayError as error:
            logger.warning(
                "Reconcile of %s failed: %s", payment.checkout_session_id, error
            )
    return seen
