"""The refund ledger: the one place a Refund row is created, and what remains.

Every refund is a `payments.Refund` row created first, in a transaction that
locks the Payment row and checks that it fits in what remains; the Stripe call
happens after commit, outside the lock, with the row's idempotency key (see
refunds.stripe_sync). A retry or a double click reuses the row and its key, so
Stripe refunds once.
"""

import secrets
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from payments.models import MAXIMUM_AMOUNT, Payment, Refund
from payments.money import MoneyError, MoneyText, parse_money
from registrations.models import RefundShare, Registrant

# Refunds that count against what remains refundable: in flight or done.
ACTIVE_STATUSES = (
    Refund.Status.REQUESTED,
    Refund.Status.PENDING,
    Refund.Status.REQUIRES_ACTION,
    Refund.Status.SUCCEEDED,
)


IN_FLIGHT_STATUSES = ACTIVE_STATUSES[:3]


FINAL_STATUSES = (Refund.Status.FAILED, Refund.Status.CANCELED)


STRIPE_STATUSES = {choice.value for choice in Refund.Status} - {"requested"}


ACTIVE_REGISTRANT = (Registrant.Status.CONFIRMED, Registrant.Status.AWAITING)


class RefundError(Exception):
    """A refund or cancellation that cannot be done; the message is user-safe."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def parse_amount(text: str, currency: str) -> int:
    """Return minor units for an amount typed in major units ("12.50", "12,5")."""
    try:
        amount = parse_money(text, currency)
    except MoneyError as error:
        raise RefundError(str(error)) from error
    if amount <= 0:
        raise RefundError(_("The amount must be more than zero."))
    if amount > MAXIMUM_AMOUNT:
        raise RefundError(_("This amount is too large."))
    return amount


def new_refund_token() -> str:
    """Return a one-time token that a refund form carries to be replay-safe."""
    return secrets.token_urlsafe(24)


def create_refund(
    *,
    payment: Payment,
    amount: int,
    reason: str = "",
    reason_kind: str = Refund.ReasonKind.TEXT,
    idempotency_key: str,
    requested_by: object | None = None,
    notify_registrant: bool = True,
    external: bool = False,
    stripe_refund_id: str | None = None,
    registrant: Registrant | None = None,
) -> tuple[Refund, bool]:
    """Return the refund of this idempotency key, created now if new, and whether.

    Call it with the Payment row locked (`Payment.objects.lock`), after checking
    that `amount` fits in `refundable_amount(payment)`. The row starts
    `requested`; send it with `stripe_sync.send_after_commit` unless Stripe
    made it already (`stripe_refund_id`). Why is a `Refund.ReasonKind`, worded
    when read; `reason` is the organizer's own text (kind TEXT). `registrant`:
    whose share of a shared payment this refunds (check it fits with
    `share_summary`).
    """
    refund, created = Refund.objects.get_or_create(
        idempotency_key=idempotency_key[:100],
        defaults={
            "payment": payment,
            "amount": amount,
            "reason_kind": reason_kind,
            "reason": reason[:200],
            "requested_by": requested_by,
            "notify_registrant": notify_registrant,
            "external": external,
            "stripe_refund_id": stripe_refund_id,
        },
    )
    if created and registrant is not None:
        RefundShare.objects.create(refund=refund, registrant=registrant)
    return refund, created


def committed_amount(payment: Payment) -> int:
    """Return what is refunded or being refunded (pending and succeeded)."""
    total = payment.refunds.filter(status__in=ACTIVE_STATUSES).aggregate(
        total=Sum("amount")
    )["total"]
    return total or 0


def refundable_amount(payment: Payment) -> int:
    """Return what can still be refunded: paid minus refunds pending or done."""
    return max(payment.amount - committed_amount(payment), 0)


@dataclass(frozen=True)
class RefundSummary:
    """What a confirmation page shows about a payment."""

    amount: int
    currency: str
    refunded: int
    in_flight: int
    refundable: int
    stripe_fee: int | None
    application_fee: int
    # Stripe takes its fee in the currency the charge settled in.
    stripe_fee_currency: str = ""

    amount_display = MoneyText()
    refunded_display = MoneyText()
    in_flight_display = MoneyText()
    refundable_display = MoneyText()
    stripe_fee_display = MoneyText(currency="stripe_fee_currency")
    application_fee_display = MoneyText()


def summarize_payment(
    payment: Payment, refunds: list[Refund] | None = None
) -> RefundSummary:
    """Return the amounts paid, refunded, in flight and still refundable.

    `refunds`: the payment's Refund rows already read, so that the summary
    says what a page's list of them says; without, the database adds them up.
    """
    refunded, in_flight = _refund_totals(payment.refunds.all(), refunds)
    return RefundSummary(
        amount=payment.amount,
        currency=payment.currency,
        refunded=refunded,
        in_flight=in_flight,
        refundable=max(payment.amount - refunded - in_flight, 0),
        stripe_fee=payment.stripe_fee,
        application_fee=payment.application_fee,
        stripe_fee_currency=payment.stripe_fee_currency,
    )


def _refund_totals(
    queryset: QuerySet[Refund], refunds: list[Refund] | None
) -> tuple[int, int]:
    """Return what succeeded and what is in flight: of `refunds`, else the query."""
    if refunds is not None:
        return (
            sum(r.amount for r in refunds if r.status == Refund.Status.SUCCEEDED),
            sum(r.amount for r in refunds if r.status in IN_FLIGHT_STATUSES),
        )
    by_status = dict(
        queryset.filter(status__in=ACTIVE_STATUSES)
        .values_list("status")
        .annotate(total=Sum("amount"))
    )
    refunded = by_status.pop(Refund.Status.SUCCEEDED, 0)
    return refunded, sum(by_status.values())


def is_shared(registrant: Registrant) -> bool:
    """Tell whether the registrant's payment also pays for other registrants."""
    if registrant.payment_id is None:
        return False
    return (
        Registrant.objects.filter(payment_id=registrant.payment_id)
        .exclude(pk=registrant.pk)
        .exists()
    )


def share_amount(registrant: Registrant) -> int:
    """Return what the registrant paid: their share of a shared payment."""
    if is_shared(registrant):
        return registrant.amount
    return registrant.payment.amount


def share_summary(
    registrant: Registrant,
    refunds: list[Refund] | None = None,
    *,
    shared: bool | None = None,
) -> RefundSummary:
    """Return the amounts of the registrant's share of their payment.

    A payment of one registrant is theirs whole (summarize_payment). A shared
    one (several sessions in one checkout): the share is the registrant's own
    amount, less the refunds made for that share, and never more than what
    remains of the payment. `refunds`: the payment's rows already read, each
    with its `share` (select_related), as summarize_payment takes them;
    `shared`: whether the payment is shared (is_shared), if already known.
    """
    payment = registrant.payment
    whole = summarize_payment(payment, refunds)
    if not (is_shared(registrant) if shared is None else shared):
        return whole
    refunded, in_flight = _refund_totals(
        payment.refunds.filter(share__registrant=registrant),
        None
        if refunds is None
        else [r for r in refunds if _share_of(r) == registrant.pk],
    )
    return RefundSummary(
        amount=registrant.amount,
        currency=payment.currency,
        refunded=refunded,
        in_flight=in_flight,
        refundable=max(
            min(registrant.amount - refunded - in_flight, whole.refundable), 0
        ),
        stripe_fee=payment.stripe_fee,
        application_fee=payment.application_fee,
        stripe_fee_currency=payment.stripe_fee_currency,
    )


def _share_of(refund: Refund) -> int | None:
    """Return the id of the registrant whose share the refund gives back, if any."""
    try:
        return refund.share.registrant_id
    except RefundShare.DoesNotExist:
        return None


@dataclass(frozen=True)
class SharesRead:
    """The refunds and sharing of a selection's payments, read at once.

    A page that sums up many registrants' shares (the bulk confirmation)
    reads them in two queries, not several per registrant (read_shares).
    """

    shared: frozenset[int]
    refunds: dict[int, list[Refund]]

    def summary(self, registrant: Registrant) -> RefundSummary:
        """share_summary of one registrant of the selection, without a query."""
        return share_summary(
            registrant,
            self.refunds.get(registrant.payment_id, []),
            shared=registrant.payment_id in self.shared,
        )


def read_shares(registrants: Iterable[Registrant]) -> SharesRead:
    """Read which of the registrants' payments are shared, and their refunds."""
    payment_ids = {one.payment_id for one in registrants if one.payment_id}
    if not payment_ids:
        return SharesRead(frozenset(), {})
    shared = (
        Registrant.objects.filter(payment_id__in=payment_ids)
        .values("payment_id")
        .annotate(registrants=Count("pk"))
        .filter(registrants__gt=1)
        .values_list("payment_id", flat=True)
    )
    refunds: dict[int, list[Refund]] = defaultdict(list)
    for refund in Refund.objects.filter(payment_id__in=payment_ids).select_related(
        "share"
    ):
        refunds[refund.payment_id].append(refund)
    return SharesRead(frozenset(shared), dict(refunds))


def share_refundable(registrant: Registrant) -> int:
    """Return what can still be refunded of the registrant's share."""
    return share_summary(registrant).refundable


def refunded_to(registrant: Registrant) -> int:
    """Return what Stripe refunded of what the registrant paid (their share's).

    No query while nothing of the payment is refunded: the email batches read
    the payment with the registrant.
    """
    payment = registrant.payment if registrant.payment_id else None
    if payment is None or not payment.amount_refunded:
        return 0
    if registrant.amount >= payment.amount:
        return payment.amount_refunded
    # A payment shared by several sessions' registrants: this one's share.
    shares = payment.refunds.filter(
        status=Refund.Status.SUCCEEDED, share__registrant=registrant
    )
    return shares.aggregate(total=Sum("amount"))["total"] or 0


def share_key(registrant: Registrant) -> str:
    """Return the idempotency suffix of a refund of this registrant's payment.

    The payment's id, as for a payment of one registrant; a shared payment's
    refunds are per registrant, so the registrant's id follows.
    """
    if is_shared(registrant):
        return f"{registrant.payment_id}-{registrant.pk}"
    return str(registrant.payment_id)


def is_paid(registrant: Registrant) -> bool:
    """Tell whether the registrant has a payment that Stripe captured."""
    payment = registrant.payment
    return bool(
        payment is not None
        and payment.paid_at is not None
        and payment.status in (Payment.Status.PAID, Payment.Status.REFUNDED)
        and payment.payment_intent_id
    )


def lock_payment(registrant: Registrant) -> Payment | None:
    """Lock the registrant's Payment row, if any, and return it fresh."""
    if registrant.payment_id is None:
        return None
    # The Payment row is the lock that serialises refunds of one payment.
    return Payment.objects.lock(registrant.payment_id)


def find_payment(
    *, account: str | None, payment_intent: str | None, charge: str | None
) -> Payment | None:
    """Return our Payment for a Stripe payment, on the event's account only."""
    query = Q()
    if payment_intent:
        query |= Q(payment_intent_id=payment_intent)
    if charge:
        query |= Q(charge_id=charge)
    if not query:
        return None
    payments = Payment.objects.filter(query)
    if account:
        payments = payments.filter(stripe_account_id=account)
    return payments.first()
