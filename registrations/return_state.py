"""How a cancelled or refunded registration ended, as its return page tells it."""

from dataclasses import dataclass

from payments.models import Refund
from registrations.models import Registrant
from registrations.refunds.ledger import RefundSummary, is_paid, share_summary

CancelledBy = Registrant.CancelledBy
# Refunds made because a payment could not get a seat (settlement.py).
AUTOMATIC_REASONS = {
    Refund.ReasonKind.AMOUNT_MISMATCH,
    Refund.ReasonKind.CANCELLED_BEFORE_PAYMENT,
    Refund.ReasonKind.DISCONNECTED,
    Refund.ReasonKind.INACTIVE,
    Refund.ReasonKind.DUPLICATE,
    Refund.ReasonKind.SOLD_OUT,
}
# A registration ended before its cancelled_by was recorded: what its
# refunds' reasons tell.
BY_REASON = {
    Refund.ReasonKind.REGISTRANT_CANCELLED: CancelledBy.REGISTRANT,
    Refund.ReasonKind.WEBINAR_CANCELLED: CancelledBy.WEBINAR,
    **dict.fromkeys(AUTOMATIC_REASONS, CancelledBy.AUTOMATIC),
}
ENDED = (Registrant.Status.CANCELLED, Registrant.Status.REFUNDED)


@dataclass(frozen=True)
class Ending:
    """Who ended a registration ("" unknown; "refunded": the money went back
    and the seat with it) and, if it was paid, its refunds."""

    by: str
    refunds: RefundSummary | None


def ending_of(registrant: Registrant) -> Ending | None:
    """Return how the registrant's registration ended, or None if it has not."""
    if registrant.status not in ENDED:
        return None
    refunds = share_summary(registrant) if is_paid(registrant) else None
    by = registrant.cancelled_by
    if not by and registrant.payment_id is not None:
        reasons = list(
            registrant.payment.refunds.exclude(
                status__in=[Refund.Status.FAILED, Refund.Status.CANCELED]
            ).values_list("reason_kind", flat=True)
        )
        by = next((BY_REASON[r] for r in reasons if r in BY_REASON), "")
        if not by and registrant.status == Registrant.Status.REFUNDED:
            by = "refunded"
    return Ending(by=by, refunds=refunds)
