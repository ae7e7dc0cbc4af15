"""The account-wide revenue report page and its CSV."""

import csv

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats
from django.views.decorators.http import require_GET

from organizers.permissions import organizer_required
from payments.money import csv_amount, csv_amount_column
from registrations import revenue
from registrations.revenue import BAR_GAP, BAR_WIDTH, CHART_HEIGHT


@organizer_required
@require_GET
def revenue_report(request: HttpRequest) -> HttpResponse:
    """Revenue by settlement currency and month, with a chart of gross sales."""
    by_currency = revenue.revenue_by_month(request.organizer)
    sections = []
    for currency, rows in by_currency.items():
        labels = [formats.date_format(row.month, "YEAR_MONTH_FORMAT") for row in rows]
        sections.append(
            {
                "currency": currency,
                "rows": list(zip(rows, labels, strict=True)),
                "bars": revenue.chart_bars(
                    rows, [revenue.month_label(row.month) for row in rows]
                ),
                "width": max(len(rows), 1) * (BAR_WIDTH + BAR_GAP),
            }
        )
    return render(
        request,
        "registrations/revenue.html",
        {"sections": sections, "chart_height": CHART_HEIGHT},
    )


@organizer_required
@require_GET
def revenue_csv(request: HttpRequest) -> HttpResponse:
    """The same figures as CSV: amounts as payments.money.csv_amount says."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="revenue.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "month_utc",
            "currency",
            "payments",
            csv_amount_column("gross"),
            csv_amount_column("refunded"),
            csv_amount_column("stripe_fees"),
            csv_amount_column("application_fees"),
            csv_amount_column("net"),
        ]
    )
    for currency, rows in revenue.revenue_by_month(request.organizer).items():
        for row in rows:
            writer.writerow(
                [
                    row.month.strftime("%Y-%m"),
                    currency,
                    row.payments,
                    csv_amount(row.gross, currency),
                    csv_amount(row.refunded, currency),
                    csv_amount(row.stripe_fees, currency),
                    csv_amount(row.application_fees, currency),
                    csv_amount(row.net, currency),
                ]
            )
    return response
