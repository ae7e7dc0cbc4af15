"""Manual approval: the organizer approves or denies a registrant awaiting it."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from payments.models import Payment, Refund
from registrations import hooks
from registrations.emails.outbox import queue_email
from registrations.models import Registrant
from registrations.refunds.ledger import share_key, share_refundable
from registrations.refunds.stripe_sync import create_and_send
from registrations.registration import RegistrationError

Status = Registrant.Status

# Each decision: the error for a registrant not awaiting approval, the
# timestamp it sets and the email it sends.
_DECISIONS = {
    Status.CONFIRMED: (
        gettext_lazy("Only registrants awaiting approval can be approved."),
        "confirmed_at",
        "approved",
    ),
    Status.DENIED: (
        gettext_lazy("Only registrants awaiting approval can be denied."),
        "cancelled_at",
        "denied",
    ),
}


def _decide(
    registrant: Registrant, *, status: str
) -> tuple[Registrant, Payment | None, bool]:
    """Move an awaiting registrant to `status` and email them; say if it moved now.

    The payment (if any) is locked before the registrant, as refunds lock it.
    A registrant already in `status` is left alone (a double click); any
    other status than awaiting raises RegistrationError.
    """
    refused, stamp, email = _DECISIONS[status]
    payment = None
    if registrant.payment_id:
        payment = Payment.objects.lock(registrant.payment_id)
    locked = Registrant.objects.select_for_update().get(pk=registrant.pk)
    if locked.status == status:
        return locked, payment, False
    if locked.status != Status.AWAITING:
        raise RegistrationError(str(refused))
    locked.status = status
    setattr(locked, stamp, timezone.now())
    locked.save(update_fields=["status", stamp])
    queue_email(registrant=locked, kind=email)
    return locked, payment, True


def approve_registrant(*, registrant: Registrant) -> Registrant:
    """Confirm a registrant awaiting approval and send them their confirmation."""
    with transaction.atomic():
        locked, _payment, approved = _decide(registrant, status=Status.CONFIRMED)
        if approved:
            hooks.announce_confirmed(locked)
    return locked


def deny_registrant(*, registrant: Registrant, by: object | None = None) -> Registrant:
    """Deny a registrant awaiting approval; refund what they paid, in full."""
    with transaction.atomic():
        locked, payment, denied = _decide(registrant, status=Status.DENIED)
        if denied and payment is not None and payment.status == Payment.Status.PAID:
            # Refunds still in flight count too, so the total never exceeds paid.
            amount = share_refundable(locked)
            if amount > 0:
                create_and_send(
                    payment=payment,
                    amount=amount,
                    reason_kind=Refund.ReasonKind.DENIED,
                    requested_by=by,
                    idempotency_key=f"tessera-deny-{share_key(locked)}",
                    registrant=locked,
                    # The denied email already says it is refunded.
                    notify_registrant=False,
                )
    return locked
