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

from payments import gateway
from payments.models import Payment
from registrations import hooks
from registrations.capacity import release_seat
from registrations.checkout_rows import find_payment, lock_checkout
from registrations.emails.endings import tell_checkout_ended
from registrations.models import Registrant, SeatHold
from registrations.settlement import settle_paid

logger = logging.getLogger(__name__)

Status = Registrant.Status
# An async payment (bank debit) keeps its seat while the bank settles it.
PROCESSING_HOLD = timedelta(days=7)
# A processing payment is asked about again this long after each look, so the
# reconcile sweep does not spend every run on payments the bank is still settling.
PROCESSING_RECHECK = timedelta(hours=1)


def _find_payment(
    *, checkout_session_id: str, account: str | None, hint: dict[str, Any] | None
) -> tuple[int, str] | None:
    """Return (id, status) of the session's payment, or None if not ours."""
    found = find_payment(account=account or "", checkout_session_id=checkout_session_id)
    if found is not None or not hint:
        return found
    # Stripe created the session but its answer never reached us: the session's
    # metadata names the payment, which has no session id yet.
    metadata = hint.get("metadata") or {}
    pk = str(metadata.get("payment", ""))
    if not pk.isdigit():
        return None
    payments = Payment.objects.filter(stripe_account_id=account or "")
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
    return payment.pk, payment.status


def fulfil_checkout(
    *,
    checkout_session_id: str,
    account: str | None,
    hint: dict[str, Any] | None = None,
) -> str | None:
    """Bring a payment and its registrant in line with what Stripe says now.

    Idempotent, and the one function webhooks, the success page and the sweeps
    use. Stripe is read first (the session, then its PaymentIntent with fees);
    the decision is then taken under the capacity lock. `hint` (a webhook's
    session object, signed by Stripe) helps find the payment, and stands for
    the session when it shows a state the session never leaves (complete and
    paid, or expired): reading the session again could only say the same.
    Return the payment's status afterwards, or None for a session that is not
    ours; raise GatewayError when Stripe cannot be read.
    """
    found = _find_payment(
        checkout_session_id=checkout_session_id, account=account, hint=hint
    )
    if found is None:
        logger.info(
            "Checkout Session %s on %s is not ours; ignored",
            checkout_session_id,
            account,
        )
        return None
    payment_id, status = found
    if status in (Payment.Status.PAID, Payment.Status.REFUNDED):
        return status
    stripe_account = account or ""
    try:
        checkout = _final_session(hint, checkout_session_id)
        if checkout is None:
            checkout = gateway.retrieve_checkout_session(
                account=stripe_account, session_id=checkout_session_id
            )
        details = None
        if checkout.payment_intent:
            details = gateway.retrieve_payment(
                account=stripe_account, payment_intent=checkout.payment_intent
            )
    except gateway.AccountDisconnected:
        # The account revoked the platform: Stripe answers 403 for ever, so
        # asking again (a webhook's 500, the next sweep) would never end.
        close_for_revoked_account(payment_id=payment_id, hint=hint)
        return Payment.objects.values_list("status", flat=True).get(pk=payment_id)
    except gateway.InvalidRequest:
        logger.warning("Checkout Session %s unknown at Stripe", checkout_session_id)
        return status
    if checkout.status not in ("complete", "expired"):
        # Still open: apply_checkout would change nothing; no lock taken.
        return status
    return apply_checkout(payment_id=payment_id, checkout=checkout, details=details)


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
        payment, registrants = lock_checkout(payment_id)
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


def apply_checkout(
    *,
    payment_id: int,
    checkout: gateway.CheckoutSession,
    details: gateway.PaymentDetails | None,
) -> str:
    """Apply a Checkout Session's state to our payment, seat and registrant.

    Return the payment's status afterwards.
    """
    with transaction.atomic():
        payment, registrants = lock_checkout(payment_id)
        if payment.status in (Payment.Status.PAID, Payment.Status.REFUNDED):
            return payment.status
        intent_status = details.status if details else None
        if checkout.status == "expired":
            _close_unpaid(payment, registrants, Payment.Status.EXPIRED)
        elif checkout.status != "complete":
            pass
        elif checkout.payment_status == "paid" or intent_status == "succeeded":
            settle_paid(payment, registrants, checkout, details)
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
        return payment.status


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
