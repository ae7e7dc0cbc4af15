"""What the organizer reads about money: totals, the CSV, and what needs attention."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from payments.models import Payment, Refund
from payments.money import (
    MoneyText,
    convert,
    csv_amount,
    csv_amount_column,
    format_money,
)
from registrations.models import RefundRequest, Registrant
from registrations.refunds.ledger import ACTIVE_STATUSES
from webinars.models import Webinar


@dataclass(frozen=True)
class Settled:
    """One payment in the currency it settled in, in minor units of it."""

    currency: str
    exchange_rate: Decimal | None
    gross: int
    refunded: int
    stripe_fee: int
    application_fee: int

    @property
    def net(self) -> int:
        return self.gross - self.refunded - self.stripe_fee - self.application_fee


def settled(payment: Payment) -> Settled:
    """Return a payment in its settlement currency, never mixing two currencies.

    Stripe converts a charge to the account's settlement currency and takes
    its fee there (`stripe_fee_currency`, `exchange_rate`). The amount, the
    refunds and the platform fee are converted here at the charge's rate;
    Stripe converts a refund at the rate of its own day, so that figure may
    differ by the rates' change.
    """
    currency = payment.stripe_fee_currency or payment.currency
    rate = payment.exchange_rate
    if currency == payment.currency or rate is None:
        # Same currency, or no rate to convert with: then no fee is counted.
        fee = (payment.stripe_fee or 0) if currency == payment.currency else 0
        return Settled(
            payment.currency,
            None,
            payment.amount,
            payment.amount_refunded,
            fee,
            payment.application_fee,
        )
    return Settled(
        currency,
        rate,
        convert(payment.amount, rate),
        convert(payment.amount_refunded, rate),
        payment.stripe_fee or 0,
        convert(payment.application_fee, rate),
    )


@dataclass
class CurrencyTotals:
    """A webinar's payments that settled in one currency, in minor units of it."""

    currency: str
    payments: int = 0
    gross: int = 0
    refunded: int = 0
    stripe_fees: int = 0
    application_fees: int = 0
    # Charge currencies converted to this one at Stripe's rates.
    converted_from: set[str] = field(default_factory=set)

    @property
    def net(self) -> int:
        return self.gross - self.refunded - self.stripe_fees - self.application_fees

    gross_display = MoneyText()
    refunded_display = MoneyText()
    stripe_fees_display = MoneyText()
    application_fees_display = MoneyText()
    net_display = MoneyText()

    @property
    def converted_display(self) -> str:
        return ", ".join(sorted(self.converted_from))


def paid_payments(webinar: Webinar) -> models.QuerySet[Payment]:
    """Return the webinar's payments that Stripe captured."""
    return (
        Payment.objects.filter(webinar=webinar, paid_at__isnull=False)
        .prefetch_related("registrants")
        .order_by("paid_at", "pk")
    )


def webinar_report(webinar: Webinar) -> list[CurrencyTotals]:
    """Return gross paid, refunded, Stripe fees and net, per settlement currency."""
    totals: dict[str, CurrencyTotals] = {}
    for payment in paid_payments(webinar):
        money = settled(payment)
        row = totals.setdefault(money.currency, CurrencyTotals(money.currency))
        row.payments += 1
        row.gross += money.gross
        row.refunded += money.refunded
        row.stripe_fees += money.stripe_fee
        row.application_fees += money.application_fee
        if money.currency != payment.currency:
            row.converted_from.add(payment.currency)
    return [totals[currency] for currency in sorted(totals)]


def report_rows(webinar: Webinar) -> Iterator[list[str]]:
    """Yield the CSV rows of a webinar's payments (payments.money.csv_amount).

    `amount` and `refunded` are in the charge's `currency`; the Stripe fee,
    the platform fee and `net` in `settlement_currency`. The payments are
    read 500 at a time (with their registrants) as the rows are written: a
    webinar of any size is streamed in the memory of 500 payments.
    """
    header = [
        "paid_at",
        "first_name",
        "last_name",
        "email",
        "status",
        "currency",
        csv_amount_column("amount"),
        csv_amount_column("refunded"),
        "settlement_currency",
        "exchange_rate",
        csv_amount_column("stripe_fee"),
        csv_amount_column("application_fee"),
        csv_amount_column("net"),
        "disputed",
        "payment_intent",
    ]
    yield header
    for payment in paid_payments(webinar).iterator(chunk_size=500):
        # One row per payment: a shared payment's registrants are one buyer.
        registrant = buyer(payment)
        money = settled(payment)
        yield (
            [
                payment.paid_at.isoformat(),
                csv_safe(registrant.first_name if registrant else ""),
                csv_safe(registrant.last_name if registrant else ""),
                csv_safe(registrant.email if registrant else ""),
                registrant.status if registrant else payment.status,
                payment.currency,
                csv_amount(payment.amount, payment.currency),
                csv_amount(payment.amount_refunded, payment.currency),
                money.currency,
                format(money.exchange_rate.normalize(), "f")
                if money.exchange_rate
                else "",
                csv_amount(money.stripe_fee, money.currency),
                csv_amount(money.application_fee, money.currency),
                csv_amount(money.net, money.currency),
                payment.dispute_status,
                payment.payment_intent_id,
            ]
        )


def buyer(payment: Payment) -> Registrant | None:
    """Return the first registrant a payment paid for (prefetched `registrants`)."""
    registrants = sorted(payment.registrants.all(), key=lambda row: row.pk)
    return registrants[0] if registrants else None


def csv_safe(value: str) -> str:
    """Return a CSV cell that spreadsheets show as text, never run as a formula."""
    # A cell starting with = + - @ (or a tab, a return) is a formula to them.
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def unresolved_failed_refunds(webinars: models.QuerySet[Webinar]) -> list[Refund]:
    """Return failed refunds not followed by another refund of the same payment."""
    failed = Refund.objects.filter(
        payment__webinar__in=webinars, status=Refund.Status.FAILED
    ).select_related("payment__webinar", "share__registrant")
    unresolved = [
        refund
        for refund in failed
        if not Refund.objects.filter(
            payment_id=refund.payment_id,
            created_at__gt=refund.created_at,
            status__in=ACTIVE_STATUSES,
        ).exists()
    ]
    for refund in unresolved:
        # Whom "Refund again" is for: the share's registrant, or the buyer.
        share = getattr(refund, "share", None)
        refund.registrant = (
            share.registrant
            if share is not None
            else Registrant.objects.filter(payment_id=refund.payment_id)
            .order_by("pk")
            .first()
        )
    return unresolved


def refund_warnings(organizer: object) -> list[str]:
    """Return dashboard warnings: failed refunds, refund requests, disputes."""
    webinars = Webinar.objects.visible_to(organizer)
    warnings = []
    for refund in unresolved_failed_refunds(webinars):
        warnings.append(
            _("A refund of %(amount)s for “%(title)s” failed: %(reason)s")
            % {
                "amount": format_money(refund.amount, refund.payment.currency),
                "title": refund.payment.webinar.title,
                "reason": refund.failure_reason,
            }
        )
    requests = RefundRequest.objects.filter(
        registrant__webinar__in=webinars, outcome=RefundRequest.Outcome.OPEN
    ).count()
    if requests:
        warnings.append(
            ngettext(
                "%(count)s refund request is waiting for your answer.",
                "%(count)s refund requests are waiting for your answer.",
                requests,
            )
            % {"count": requests}
        )
    disputes = Payment.objects.filter(
        webinar__in=webinars, disputed_at__isnull=False, dispute_closed_at__isnull=True
    ).count()
    if disputes:
        warnings.append(
            ngettext(
                "%(count)s payment is disputed: respond in your Stripe dashboard.",
                "%(count)s payments are disputed: respond in your Stripe dashboard.",
                disputes,
            )
            % {"count": disputes}
        )
    return warnings
