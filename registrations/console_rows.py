"""What the console shows of a registrant's money: net paid and refund state.

One rule for the registrant list, its detail page and its CSV. The refunds of
the rows' payments must be prefetched (`with_refunds`) so that a page of rows
costs a fixed number of queries.
"""

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from payments.models import Refund
from registrations.models import Registrant

IN_FLIGHT = (
    Refund.Status.REQUESTED,
    Refund.Status.PENDING,
    Refund.Status.REQUIRES_ACTION,
)

REFUND_STATES = {
    "pending": _("Refund pending"),
    "failed": _("Refund failed"),
    "refunded": _("Refunded"),
    "partial": _("Partly refunded"),
}


@dataclass(frozen=True)
class Money:
    """A registrant's payment: what was paid, refunded and kept (minor units)."""

    currency: str
    gross: int
    refunded: int
    pending: int  # refunds asked of Stripe and not settled yet
    state: str  # "", or a key of REFUND_STATES

    @property
    def net(self) -> int:
        return self.gross - self.refunded

    @property
    def state_label(self) -> str:
        return str(REFUND_STATES.get(self.state, ""))


def with_refunds(registrants: QuerySet[Registrant]) -> QuerySet[Registrant]:
    """Prefetch each payment's refunds, newest first, for money_of()."""
    return registrants.prefetch_related(
        Prefetch(
            "payment__refunds",
            queryset=Refund.objects.select_related("share").order_by(
                "-created_at", "-pk"
            ),
            to_attr="console_refunds",
        )
    )


def money_of(registrant: Registrant) -> Money:
    """Return the registrant's money; refunds come from with_refunds()."""
    payment = registrant.payment
    if payment is None or payment.paid_at is None:
        return Money(
            currency=registrant.currency,
            gross=registrant.amount if payment is None else 0,
            refunded=0,
            pending=0,
            state="",
        )
    refunds = getattr(payment, "console_refunds", None)
    if refunds is None:
        refunds = list(
            payment.refunds.select_related("share").order_by("-created_at", "-pk")
        )
    gross, refunded = payment.amount, payment.amount_refunded
    if registrant.amount < payment.amount:
        # A payment shared by several sessions' registrants: this one's share.
        refunds = [r for r in refunds if _share_of(r) == registrant.pk]
        gross = registrant.amount
        refunded = sum(r.amount for r in refunds if r.status == Refund.Status.SUCCEEDED)
    pending = sum(r.amount for r in refunds if r.status in IN_FLIGHT)
    latest = refunds[0] if refunds else None
    if pending:
        state = "pending"
    elif latest is not None and latest.status == Refund.Status.FAILED:
        state = "failed"
    elif refunded and refunded >= gross:
        state = "refunded"
    elif refunded:
        state = "partial"
    else:
        state = ""
    return Money(
        currency=payment.currency,
        gross=gross,
        refunded=refunded,
        pending=pending,
        state=state,
    )


def _share_of(refund: Refund) -> int | None:
    """Return the registrant id whose share the refund gives back, if any."""
    share = getattr(refund, "share", None)
    return share.registrant_id if share is not None else None
