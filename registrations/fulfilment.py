"""Fulfilling a Checkout: bring our payment and seat in line with Stripe.

A Payment's status follows Stripe (open, processing, paid, failed, expired);
the registrant's status and seat hold follow our decisions (held, confirmed,
released). `fulfil_checkout` reconciles the two from what Stripe says now, so
webhooks, the success page and the sweeps may call it in any order, any number
of times, with the same result. A payment that cannot be honoured (webinar
cancelled, seat gone, amount wrong) is refunded automatically, in full.
"""

import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from payments import gateway, pricing
from payments.connect import connections
from payments.models import Payment, Refund
from registrations import hooks
from registrations.capacity import (
    existing_registration,
    is_full,
    lock_capacity_row,
    release_seat,
)
from registrations.emails.endings import tell_checkout_ended
from registrations.emails.outbox import queue_email
from registrations.models import Registrant, SeatHold
from registrations.refunds.stripe_sync import create_and_send
from webinars.models import Webinar

logger = logging.getLogger(__name__)

Status = Registrant.Status
# An async payment (bank debit) keeps its seat while the bank settles it.
PROCESSING_HOLD = timedelta(days=7)
# A processing payment is asked about again this long after each look, so the
# reconcile sweep does not spend every run on payments the bank is still settling.
PROCESSING_RECHECK = timedelta(hours=1)


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
    registrant = Registrant.objects.filter(payment=payment).order_by("pk").first()
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
    session object, signed by Stripe) helps find the payment, and stands for
    the session when it shows a state the session never leaves (complete and
    paid, or expired): reading the session again could only say the same.
    Return None for a session that is not ours; raise GatewayError when
    Stripe cannot be read.
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
        checkout = _final_session(hint, checkout_session_id)
        if checkout is None:
            checkout = gateway.retrieve_checkout_session(
                account=payment.stripe_account_id, session_id=checkout_session_id
            )
        details = None
        if checkout.payment_intent:
            details = gateway.retrieve_payment(
                account=payment.stripe_account_id,
                payment_intent=checkout.payment_intent,
            )
    except gateway.AccountDisconnected:
        # The account revoked the platform: Stripe answers 403 for ever, so
        # asking again (a webhook's 500, the next sweep) would never end.
        close_for_revoked_account(payment_id=payment.pk, hint=hint)
        payment.refresh_from_db()
        return payment
    except gateway.InvalidRequest:
        logger.warning("Checkout Session %s unknown at Stripe", checkout_session_id)
        return payment
    if checkout.status not in ("complete", "expired"):
        # Still open: apply_checkout would change nothing; no lock taken.
        return payment
    apply_checkout(payment_id=payment.pk, checkout=checkout, details=details)
    payment.refresh_from_db()
    return payment


def _final_session(
    hint: dict[str, Any] | None, checkout_session_id: str
) -> gateway.CheckoutSession | None:
    """The session a signed event shows in a state it never leaves, else None.

    A complete and paid session stays so (a refund is another object), and
    an expired one stays expired: any later read of Stripe says the same, so
    the event's copy is as good as a read, whatever order events come in.
    """
    if not hint or hint.get("id") != checkout_session_id:
        return None
    final = hint.get("status") == "expired" or (
        hint.get("status") == "complete" and hint.get("payment_status") == "paid"
    )
    if not final:
        return None
    try:
        return gateway.checkout_session_from_event(hint)
    except (KeyError, TypeError, ValueError):
        return None


def close_for_revoked_account(
    *, payment_id: int, hint: dict[str, Any] | None = None
) -> None:
    """Close a checkout that Stripe no longer lets the platform read.

    A session the signed webhook (`hint`) shows paid is settled from it (no
    fee is known then); an unpaid one is expired, giving back its seat and
    code use. A processing payment is flagged: its outcome can no longer be
    learnt, so the organizer settles it in their Stripe dashboard.
    """
    if (
        hint
        and hint.get("status") == "complete"
        and hint.get("payment_status") == "paid"
    ):
        checkout = gateway.checkout_session_from_event(hint)
        apply_checkout(payment_id=payment_id, checkout=checkout, details=None)
        return
    with transaction.atomic():
        payment, registrants = _lock_rows(payment_id)
        if payment.status in (Payment.Status.CREATED, Payment.Status.OPEN):
            _close_unpaid(payment, registrants, Payment.Status.EXPIRED)
        elif payment.status == Payment.Status.PROCESSING:
            payment.flagged_reason = (
                "Processing when the Stripe account was disconnected"
            )
            # Out of the reconcile sweep: Stripe will not answer about it.
            payment.expires_at = None
            payment.save(update_fields=["flagged_reason", "expires_at"])
    logger.warning("Payment %s closed: its Stripe account is disconnected", payment_id)


def _lock_rows(payment_id: int) -> tuple[Payment, list[Registrant]]:
    """Lock the capacity rows, the payment and its registrants, in that order.

    A payment pays for one registrant, or for one per session of a series
    (several sessions in one checkout): their sessions are locked by id, as
    start_registration locks them.
    """
    # Only the keys first: the rows are read once, locked, below.
    keys = list(
        Registrant.objects.filter(payment_id=payment_id)
        .order_by("session_id", "pk")
        .values_list("pk", "webinar_id", "session_id")
    )
    if not keys:
        raise Registrant.DoesNotExist(f"No registrant for payment {payment_id}")
    # Same lock order as start_registration: capacity rows, then the rest.
    locked: set[int | None] = set()
    for _pk, webinar_id, session_id in keys:
        if session_id not in locked:
            lock_capacity_row(webinar_id=webinar_id, session_id=session_id)
            locked.add(session_id)
    payment = Payment.objects.lock(payment_id)
    registrants = list(
        Registrant.objects.select_for_update(of=("self",))
        .select_related("webinar__account", "webinar__owner", "session")
        .filter(pk__in=[pk for pk, _webinar, _session in keys])
        .order_by("pk")
    )
    return payment, registrants


def apply_checkout(
    *,
    payment_id: int,
    checkout: gateway.CheckoutSession,
    details: gateway.PaymentDetails | None,
) -> None:
    """Apply a Checkout Session's state to our payment, seat and registrant."""
    with transaction.atomic():
        payment, registrants = _lock_rows(payment_id)
        if payment.status in (Payment.Status.PAID, Payment.Status.REFUNDED):
            return
        intent_status = details.status if details else None
        if checkout.status == "expired":
            _close_unpaid(payment, registrants, Payment.Status.EXPIRED)
        elif checkout.status != "complete":
            return
        elif checkout.payment_status == "paid" or intent_status == "succeeded":
            _settle_paid(payment, registrants, checkout, details)
        elif intent_status in ("requires_payment_method", "canceled"):
            _close_unpaid(payment, registrants, Payment.Status.FAILED)
        elif intent_status == "processing" or checkout.payment_status == "unpaid":
            _mark_processing(payment, registrants, checkout)
        else:
            payment.flagged_reason = (
                f"Checkout {checkout.id} complete with payment_status "
                f"{checkout.payment_status}"
            )
            payment.save(update_fields=["flagged_reason"])


def _close_unpaid(payment: Payment, registrants: list[Registrant], status: str) -> None:
    pending = [row for row in registrants if row.status == Status.PENDING]
    closed = (Payment.Status.FAILED, Payment.Status.EXPIRED)
    if payment.status in closed and not pending:
        return
    newly_failed = (
        status == Payment.Status.FAILED and payment.status != Payment.Status.FAILED
    )
    payment.status = status
    payment.save(update_fields=["status"])
    for registrant in pending:
        release_seat(registrant)
    if pending:
        # The registrant may still believe the seat is theirs: say it is not
        # (once for a checkout of several sessions).
        tell_checkout_ended(
            registrant=pending[0], failed=status == Payment.Status.FAILED
        )
    if newly_failed and registrants:
        hooks.announce(
            hooks.payment_failed_handlers, (pending or registrants)[0], payment
        )


def _mark_processing(
    payment: Payment, registrants: list[Registrant], checkout: gateway.CheckoutSession
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
    pending = [row.pk for row in registrants if row.status == Status.PENDING]
    # The bank takes days: the seats stay held while it decides.
    SeatHold.objects.filter(
        registrant__in=pending, released_at__isnull=True, consumed_at__isnull=True
    ).update(expires_at=now + PROCESSING_HOLD)


def _settle_paid(
    payment: Payment,
    registrants: list[Registrant],
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
        payment.stripe_fee_currency = details.stripe_fee_currency or ""
        payment.exchange_rate = details.exchange_rate
    fields = [
        "status",
        "paid_at",
        "payment_intent_id",
        "charge_id",
        "application_fee",
        "stripe_fee",
        "stripe_fee_currency",
        "exchange_rate",
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
            registrants,
            amount=checkout.amount_total,
            reason_kind=Refund.ReasonKind.AMOUNT_MISMATCH,
        )
        return
    payment.save(update_fields=fields)
    shared = len(registrants) > 1
    for registrant in registrants:
        reason = _why_not_honoured(payment, registrant)
        if reason:
            # Only this session's share goes back; the others keep their seat.
            _refund_automatically(
                payment,
                [registrant],
                amount=registrant.amount if shared else payment.amount,
                reason_kind=reason,
                share=shared,
            )
        else:
            _confirm_paid(registrant, now)


def _confirm_paid(registrant: Registrant, now: Any) -> None:
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
    if manual:
        hooks.announce(hooks.registrant_awaiting_approval_handlers, registrant)
    else:
        hooks.announce_confirmed(registrant)


def _why_not_honoured(payment: Payment, registrant: Registrant) -> str:
    """Return why a paid registration cannot get its seat (a reason kind), or ""."""
    webinar = registrant.webinar
    session = registrant.session
    if webinar.cancelled_at is not None or (
        session is not None and session.cancelled_at is not None
    ):
        return Refund.ReasonKind.CANCELLED_BEFORE_PAYMENT
    connection = connections.connection_for(webinar)
    if connection is None or connection.stripe_account_id != payment.stripe_account_id:
        return Refund.ReasonKind.DISCONNECTED
    if registrant.status not in (Status.PENDING, Status.EXPIRED):
        return Refund.ReasonKind.INACTIVE
    # Pending or lapsed: a second payment of an already registered email is
    # refunded instead of taking a second seat.
    duplicate = existing_registration(
        webinar=webinar, email=registrant.email, session=session
    )
    if duplicate is not None and duplicate.pk != registrant.pk:
        return Refund.ReasonKind.DUPLICATE
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
    if is_full(webinar=webinar, session=session):
        return Refund.ReasonKind.SOLD_OUT
    return ""


def _refund_automatically(
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
