"""Reports: registrants per status and money per currency, by webinar or account."""

from django.db.models import Count, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api.serializers.registrants import ReportSerializer
from api.views.base import ApiView
from registrations.models import Registrant
from registrations.refunds.reports import CurrencyTotals, webinar_report
from webinars.models import Webinar


def report(webinars: QuerySet[Webinar]) -> dict:
    """Return registrant counts per status and money per settlement currency."""
    rows = (
        Registrant.objects.filter(webinar__in=webinars)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
    )
    counts = {status: 0 for status in Registrant.Status.values}
    counts.update({row["status"]: row["n"] for row in rows})
    totals: dict[str, CurrencyTotals] = {}
    for webinar in webinars:
        for row in webinar_report(webinar):
            total = totals.setdefault(row.currency, CurrencyTotals(row.currency))
            total.payments += row.payments
            total.gross += row.gross
            total.refunded += row.refunded
            total.stripe_fees += row.stripe_fees
            total.application_fees += row.application_fees
    return {
        "registrants": counts,
        "totals": [
            {
                "currency": t.currency,
                "payments": t.payments,
                "gross": t.gross,
                "refunded": t.refunded,
                "stripe_fees": t.stripe_fees,
                "application_fees": t.application_fees,
                "net": t.net,
            }
            for t in (totals[currency] for currency in sorted(totals))
        ],
    }


class WebinarReport(ApiView):
    serializer_class = ReportSerializer

    @extend_schema(operation_id="webinars_report_retrieve", tags=["reports"])
    def get(self, request: Request, webinar_id: int) -> Response:
        """The webinar's registrants per status, and gross, refunds, fees and net."""
        webinar = self.webinar()
        return Response(
            ReportSerializer(report(Webinar.objects.filter(pk=webinar.pk))).data
        )


class AccountReport(ApiView):
    serializer_class = ReportSerializer

    @extend_schema(operation_id="account_report_retrieve", tags=["reports"])
    def get(self, request: Request) -> Response:
        """The same figures over every webinar the token's organizer manages."""
        webinars = Webinar.objects.visible_to(request.organizer)
        return Response(ReportSerializer(report(webinars)).data)
