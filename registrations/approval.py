"""Manual approval: the organizer approves or denies a registrant awaiting it."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from payments.models import Payment
from registrations import hooks
from registrations.emails.outbox import queue_email
from registrations.models import Registrant
from registrations.refunds.ledger import refundable_amount
from registrations.refunds.stripe_sync import create_and_send
from registrations.registration import RegistrationError

Status = Registrant.Status


def _decide(
    registrant: Registrant, *, status: str, refused: str, stamp: str, email: str
) -> tuple[Registrant, Payment | None, bool]:
    """Move an awaiting registrant to `status` and email them; say if it moved now.

    The payment (if any) is locked before the registrant, as refunds lock it.
    A registrant already in `status` is left alone (a double click); any
    other status than awaiting raises RegistrationError(refused).
    """
    payment = None
    if registrant.payment_id:
        payment = Payment.objects.lock(registrant.payment_id)
    locked = Registrant.objects.select_for_update().get(pk=registrant.pk)
    if locked.status == status:
        return locked, payment, False
    if locked.status != Status.AWAITING:
        raise RegistrationError(refused)
    locked.status = status
    setattr(locked, stamp, timezone.now())
    locked.save(update_fields=["status", stamp])
    queue_email(registrant=locked, kind=email)
    return locked, payment, True


def approve_registrant(*, registrant: Registrant) -> Registrant:
    """Confirm a registrant awaiting approval and send them their confirmation."""
    with transaction.atomic():
        locked, _payment, approved = _decide(
            registrant,
            status=Status.CONFIRMED,
            refused=_("Only registrants awaiting approval can be approved."),
            stamp="confirmed_at",
            email="approved",
        )
        if approved:
            hooks.announce_confirmed(locked)
    return locked


def deny_registrant(*, registrant: Registrant, by: object | None = None) -> Registrant:
    """Deny a registrant awaiting approval; refund what they paid, in full."""
    with transaction.atomic():
        locked, payment, denied = _decide(
            registrant,
            status=Status.DENIED,
            refused=_("Only registrants awaiting approval can be denied."),
            stamp="cancelled_at",
            email="denied",
        )
        if denied and payment is not None and payment.status == Payment.Status.PAID:
            # Refunds still in flight count too, so the total never exceeds paid.
            amount = refundable_amount(payment)
            if amount > 0:
                create_and_send(
                    payment=payment,
                    amount=amount,
                    reason=_("Registration denied by the organizer"),
                    requested_by=by,
                    idempotency_key=f"tessera-deny-{payment.pk}",
                    # The denied email already says it is refunded.
                    notify_registrant=False,
                )
    return locked
