"""The account-wide revenue report: per settlement currency and month (UTC).

Each payment counts in the month Stripe captured it, in the currency it settled
in (see refunds.reports.settled): its gross amount, what was refunded of it,
Stripe's fees and the platform fee. Two currencies are never added together.
"""

from dataclasses import dataclass
from datetime import UTC, date

from babel.dates import format_skeleton
from django.db.models import QuerySet

from organizers.models import Organizer
from payments.models import Payment
from payments.money import MoneyText, babel_locale
from registrations.refunds.reports import settled
from webinars.models import Webinar


@dataclass
class MonthTotals:
    """One currency's payments captured in one month, in minor units."""

    currency: str
    month: date  # the first day of the month (UTC)
    payments: int = 0
    gross: int = 0
    refunded: int = 0
    stripe_fees: int = 0
    application_fees: int = 0

    @property
    def net(self) -> int:
        return self.gross - self.refunded - self.stripe_fees - self.application_fees

    gross_display = MoneyText()
    refunded_display = MoneyText()
    stripe_fees_display = MoneyText()
    application_fees_display = MoneyText()
    net_display = MoneyText()


def payments_of(organizer: Organizer) -> QuerySet[Payment]:
    """Return the captured payments of the webinars the organizer may see."""
    return Payment.objects.filter(
        webinar__in=Webinar.objects.visible_to(organizer), paid_at__isnull=False
    ).order_by("paid_at", "pk")


def revenue_by_month(organizer: Organizer) -> dict[str, list[MonthTotals]]:
    """Return {settlement currency: [MonthTotals, oldest month first]}."""
    totals: dict[tuple[str, date], MonthTotals] = {}
    for payment in payments_of(organizer).iterator(chunk_size=1000):
        money = settled(payment)
        paid = payment.paid_at.astimezone(UTC)
        month = date(paid.year, paid.month, 1)
        row = totals.setdefault(
            (money.currency, month), MonthTotals(currency=money.currency, month=month)
        )
        row.payments += 1
        row.gross += money.gross
        row.refunded += money.refunded
        row.stripe_fees += money.stripe_fee
        row.application_fees += money.application_fee
    by_currency: dict[str, list[MonthTotals]] = {}
    for (currency, _month), row in sorted(totals.items()):
        by_currency.setdefault(currency, []).append(row)
    return by_currency


@dataclass(frozen=True)
class Bar:
    """One bar of the sales chart (an SVG drawn on the server, no script)."""

    x: int
    y: int
    width: int
    height: int
    label: str  # the month, for the axis
    value: str  # the formatted gross amount


CHART_HEIGHT = 160
BAR_WIDTH = 36
# Room for the longest abbreviated month under its bar ("sept. 2026").
BAR_GAP = 24


def month_label(month: date, language: str | None = None) -> str:
    """Return the chart's short month, as CLDR abbreviates it: "Dec 2026" in
    English, "déc. 2026" in French (the active language by default)."""
    return format_skeleton("yMMM", month, locale=babel_locale(language))


def chart_bars(rows: list[MonthTotals], labels: list[str]) -> list[Bar]:
    """Return the bars of one currency's gross sales per month."""
    top = max((row.gross for row in rows), default=0) or 1
    bars = []
    for index, (row, label) in enumerate(zip(rows, labels, strict=True)):
        height = round(CHART_HEIGHT * row.gross / top)
        bars.append(
            Bar(
                x=index * (BAR_WIDTH + BAR_GAP),
                y=CHART_HEIGHT - height,
                width=BAR_WIDTH,
                height=height,
                label=label,
                value=row.gross_display,
            )
        )
    return bars
