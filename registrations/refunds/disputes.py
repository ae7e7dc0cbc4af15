"""Disputes (chargebacks): flag the payment and tell the organizer."""

import logging

from django.db import transaction
from django.utils import timezone

from payments.models import Payment
from registrations.refunds.ledger import find_payment
from registrations.refunds.notices import notify_dispute

logger = logging.getLogger(__name__)


def record_dispute(*, account: str | None, dispute: dict, closed: bool) -> bool:
    """Flag the payment a dispute is about; return False if it is not ours."""
    payment = find_payment(
        account=account,
        payment_intent=dispute.get("payment_intent"),
        charge=dispute.get("charge"),
    )
    if payment is None:
        logger.warning(
            "Dispute %s on unknown charge %s (account %s)",
            dispute.get("id"),
            dispute.get("charge"),
            account,
        )
        return False
    payment = Payment.objects.lock(payment.pk)
    now = timezone.now()
    first = not payment.dispute_id
    payment.dispute_id = dispute.get("id") or payment.dispute_id
    payment.dispute_reason = (dispute.get("reason") or "")[:100]
    if closed:
        payment.dispute_status = (dispute.get("status") or "closed")[:40]
        payment.dispute_closed_at = payment.dispute_closed_at or now
    elif payment.dispute_closed_at is None:
        # A late `created` after `closed` must not reopen the dispute.
        payment.dispute_status = (dispute.get("status") or "needs_response")[:40]
    payment.disputed_at = payment.disputed_at or now
    payment.save(
        update_fields=[
            "dispute_id",
            "dispute_status",
            "dispute_reason",
            "disputed_at",
            "dispute_closed_at",
        ]
    )
    if first or closed:
        payment_pk = payment.pk
        transaction.on_commit(
            lambda: notify_dispute(payment_id=payment_pk, closed=closed), robust=True
        )
    return True
