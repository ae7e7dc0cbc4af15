"""Settling a paid Checkout: the seat it paid for, or the money back.

Called by fulfilment.apply_checkout with the rows of lock_checkout held: the
payment is recorded as paid, then each registrant it paid for is confirmed
(or set to await approval), or refunded in full when its seat cannot be
honoured (webinar cancelled, Stripe disconnected, a second registration of
the same email, the seat sold again after the hold lapsed).
"""

import logging
from datetime import datetime

from django.utils import timezone

from payments import gateway, pricing
from payments.connect import connections
from payments.models import Payment, Refund
from registrations import hooks
from registrations.capacity import is_full, release_seat
from registrations.checkout_rows import (
    PaidFacts,
    consume_hold,
    paid_facts,
    save_fields,
    set_status,
)
from registrations.emails.outbox import queue_email
from registrations.models import Registrant
from registrations.refunds.stripe_sync import create_and_send
from webinars.models import Webinar

logger = logging.getLogger(__name__)

Status = Registrant.Status
PAID_FIELDS = [
    "status",
    "paid_at",
    "payment_intent_id",
    "charge_id",
    "application_fee",
    "stripe_fee",
    "stripe_fee_currency",
    "exchange_rate",
]


def settle_paid(
    payment: Payment,
    registrants: list[Registrant],
    checkout: gateway.CheckoutSession,
    details: gateway.PaymentDetails | None,
) -> None:
    """Record the payment as paid; give each registrant its seat or a refund."""
    now = timezone.now()
    payment.status = Payment.Status.PAID
    payment.paid_at = payment.paid_at or now
    payment.payment_intent_id = checkout.payment_intent or ""
    if details is not None:
        payment.charge_id = details.charge or ""
        payment.application_fee = details.application_fee_amount or 0
        payment.stripe_fee = details.stripe_fee
        payment.stripe_fee_currency = details.stripe_fee_currency or ""
        payment.exchange_rate = details.exchange_rate
    if (
        checkout.amount_total != payment.amount
        or (checkout.currency or "").lower() != payment.currency.lower()
    ):
        payment.flagged_reason = (
            f"Stripe charged {checkout.amount_total} {checkout.currency}, "
            f"expected {payment.amount} {payment.currency}"
        )
        payment.save(update_fields=[*PAID_FIELDS, "flagged_reason"])
        logger.error("Payment %s flagged: %s", payment.pk, payment.flagged_reason)
        refund_automatically(
            payment,
            registrants,
            amount=checkout.amount_total,
            reason_kind=Refund.ReasonKind.AMOUNT_MISMATCH,
        )
        return
    save_fields(payment, PAID_FIELDS)
    shared = len(registrants) > 1
    # Read once for all registrants: they share the webinar's connection.
    connection = connections.connection_for(registrants[0].webinar)
    connected = (
        connection is not None
        and connection.stripe_account_id == payment.stripe_account_id
    )
    for registrant in registrants:
        facts = None
        if registrant.status in (Status.PENDING, Status.EXPIRED):
            facts = paid_facts(registrant)
        reason = why_not_honoured(registrant, connected=connected, facts=facts)
        if reason:
            # Only this session's share goes back; the others keep their seat.
            refund_automatically(
                payment,
                [registrant],
                amount=registrant.amount if shared else payment.amount,
                reason_kind=reason,
                share=shared,
            )
        else:
            confirm_paid(registrant, now, facts=facts)


def confirm_paid(
    registrant: Registrant, now: datetime, *, facts: PaidFacts | None
) -> None:
    """Give a paid, pending (or lapsed) registrant its seat; queue its email."""
    consumed = consume_hold(registrant, now=now)
    if not consumed and registrant.discount_code_id:
        # The hold (and its code use) was released before the money came.
        try:
            pricing.reserve_code_use(code=registrant.discount_code)
        except pricing.PricingError:
            logger.info("Code use of paid registrant %s not counted", registrant.pk)
    manual = registrant.webinar.approval == Webinar.Approval.MANUAL
    was = registrant.status
    registrant.status = Status.AWAITING if manual else Status.CONFIRMED
    registrant.confirmed_at = None if manual else now
    set_status(registrant, was=was, fields=["status", "confirmed_at"])
    queue_email(
        registrant=registrant,
        kind="awaiting_approval" if manual else "confirmation",
        # The counter read with the facts is still right when this
        # registrant's seat was already counted (pending, not lapsed).
        counted=facts.counted if facts is not None and was == Status.PENDING else None,
    )
    if manual:
        hooks.announce(hooks.registrant_awaiting_approval_handlers, registrant)
    else:
        hooks.announce_confirmed(registrant)


def why_not_honoured(
    registrant: Registrant, *, connected: bool, facts: PaidFacts | None
) -> str:
    """Return why a paid registration cannot get its seat (a reason kind), or "".

    `connected`: the webinar is still sold through the payment's Stripe
    account. `facts`: read by paid_facts for a pending or lapsed registrant.
    """
    webinar = registrant.webinar
    session = registrant.session
    if webinar.cancelled_at is not None or (
        session is not None and session.cancelled_at is not None
    ):
        return Refund.ReasonKind.CANCELLED_BEFORE_PAYMENT
    if not connected:
        return Refund.ReasonKind.DISCONNECTED
    if facts is None or registrant.status not in (Status.PENDING, Status.EXPIRED):
        return Refund.ReasonKind.INACTIVE
    # Pending or lapsed: a second payment of an already registered email is
    # refunded instead of taking a second seat.
    if facts.duplicate:
        return Refund.ReasonKind.DUPLICATE
    # A hold past its expiry no longer counts in holding_seats(), so its seat
    # may have been sold again: it goes through the recount below.
    if facts.live_hold:
        return ""
    if session is None:
        mode = hooks.registration_mode(webinar)
        if mode is not None and mode.kind == "replay":
            # A replay buyer takes no live seat.
            return ""
    # The hold lapsed before the money came: a seat is given only if one is free.
    if is_full(webinar=webinar, session=session):
        return Refund.ReasonKind.SOLD_OUT
    return ""


def refund_automatically(
    payment: Payment,
    registrants: list[Registrant],
    *,
    amount: int,
    reason_kind: str,
    share: bool = False,
) -> Refund | None:
    """Refund what cannot be honoured; tell the registrant.

    The whole payment, or (`share`) the one registrant's share of a payment
    that paid for several sessions.
    """
    for registrant in registrants:
        if registrant.status == Status.PENDING:
            release_seat(registrant, status=Status.CANCELLED)
        elif registrant.status == Status.EXPIRED:
            registrant.status = Status.CANCELLED
            registrant.cancelled_at = timezone.now()
            registrant.save(update_fields=["status", "cancelled_at"])
        if registrant.status == Status.CANCELLED and not registrant.cancelled_by:
            # Its return page says so (views/checkout_return.py).
            registrant.cancelled_by = Registrant.CancelledBy.AUTOMATIC
            registrant.save(update_fields=["cancelled_by"])
    if amount <= 0:
        return None
    key = f"tessera-auto-refund-{payment.pk}"
    if share:
        key = f"{key}-{registrants[0].pk}"
    refund = create_and_send(
        payment=payment,
        amount=amount,
        reason_kind=reason_kind,
        idempotency_key=key,
        # The auto_refunded email below already tells the registrant.
        notify_registrant=False,
        registrant=registrants[0] if share else None,
    )
    queue_email(registrant=registrants[0], kind="auto_refunded")
    logger.warning("Payment %s refunded automatically: %s", payment.pk, reason_kind)
    return refund
