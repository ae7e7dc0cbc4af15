"""The console's registrant list: filters, approval, resend, devices, CSV."""

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from organizers.permissions import organizer_required
from payments.money import format_money
from registrations import devices
from registrations.approval import approve_registrant, deny_registrant
from registrations.emails import outbox as emails
from registrations.forms.registration import RegistrantFilterForm
from registrations.models import Registrant
from registrations.refunds.reports import csv_safe
from registrations.registration import RegistrationError
from webinars.models import Webinar
from webinars.permissions import managed_webinar

PAGE_SIZE = 50
ACTIONS = ("approve", "deny", "resend", "reset_devices")


def registrants_panel(request: HttpRequest, webinar: Webinar) -> dict[str, Any]:
    """The webinar console page's 'Registrants' section (a webinars hook)."""
    counts = status_counts(webinar)
    return {
        "template": "registrations/console/_panel.html",
        "context": {
            "webinar": webinar,
            "counts": counts,
            "seats": counts.get(Registrant.Status.CONFIRMED, 0)
            + counts.get(Registrant.Status.AWAITING, 0),
            "awaiting": counts.get(Registrant.Status.AWAITING, 0),
            "url": reverse("registrations:registrants", args=[webinar.pk]),
        },
    }


def status_counts(webinar: Webinar) -> dict[str, int]:
    rows = (
        Registrant.objects.filter(webinar=webinar)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
    )
    return {row["status"]: row["n"] for row in rows}


def filtered(webinar: Webinar, form: RegistrantFilterForm) -> QuerySet[Registrant]:
    registrants = Registrant.objects.filter(webinar=webinar).select_related(
        "payment", "session__webinar", "discount_code"
    )
    if form.is_valid():
        if form.cleaned_data["status"]:
            registrants = registrants.filter(status=form.cleaned_data["status"])
        if form.cleaned_data["q"].strip():
            registrants = registrants.filter(
                email__icontains=form.cleaned_data["q"].strip()
            )
    return registrants.order_by("-created_at", "-pk")


@organizer_required
@require_GET
def registrants(request: HttpRequest, pk: int) -> HttpResponse:
    """List the webinar's registrants, filtered and paginated."""
    webinar = managed_webinar(request, pk)
    form = RegistrantFilterForm(request.GET or None)
    page = Paginator(filtered(webinar, form), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "registrations/console/registrants.html",
        {
            "webinar": webinar,
            "form": form,
            "page": page,
            "counts": status_counts(webinar),
            "statuses": Registrant.Status.choices,
            "query": query.urlencode(),
            "rows": [_row(r) for r in page.object_list],
        },
    )


def _row(registrant: Registrant) -> dict[str, Any]:
    payment = registrant.payment
    return {
        "registrant": registrant,
        "amount": format_money(registrant.amount, registrant.currency)
        if registrant.amount and registrant.currency
        else _("Free"),
        "paid_at": payment.paid_at if payment is not None else None,
        "code": registrant.discount_code.code if registrant.discount_code else "",
    }


@organizer_required
@require_POST
def registrant_action(
    request: HttpRequest, pk: int, registrant_pk: int, action: str
) -> HttpResponse:
    """Approve, deny, resend the confirmation, or reset devices."""
    if action not in ACTIONS:
        raise Http404
    webinar = managed_webinar(request, pk)
    registrant = get_object_or_404(
        Registrant.objects.select_related("payment"), pk=registrant_pk, webinar=webinar
    )
    try:
        if action == "approve":
            approve_registrant(registrant=registrant)
            messages.success(request, _("Approved: the registrant gets their link."))
        elif action == "deny":
            deny_registrant(registrant=registrant, by=request.user)
            messages.success(
                request, _("Denied: any payment is refunded in full automatically.")
            )
        elif action == "resend":
            emails.resend_confirmation(registrant=registrant)
            messages.success(request, _("The confirmation is on its way again."))
        else:
            count = devices.reset_devices(registrant=registrant)
            messages.success(
                request,
                _("Devices reset (%(count)d forgotten).") % {"count": count},
            )
    except RegistrationError as error:
        messages.error(request, error.message)
    except emails.EmailError as error:
        messages.error(request, str(error))
    back = reverse("registrations:registrants", args=[webinar.pk])
    query = request.POST.get("next_query", "")
    return redirect(f"{back}?{query}" if query and len(query) < 500 else back)


class _Echo:
    def write(self, value: str) -> str:
        return value


CSV_HEADER = [
    "id",
    "email",
    "first_name",
    "last_name",
    "status",
    "source",
    "session_start_utc",
    "amount",
    "currency",
    "discount_code",
    "paid_at_utc",
    "registered_at_utc",
    "language",
]


def _csv_rows(registrants: QuerySet[Registrant]) -> Iterator[list[str]]:
    yield CSV_HEADER
    for r in registrants.iterator(chunk_size=500):
        payment = r.payment
        yield [
            str(r.pk),
            csv_safe(r.email),
            csv_safe(r.first_name),
            csv_safe(r.last_name),
            r.status,
            r.source,
            r.session.starts_at.isoformat() if r.session else "",
            str(r.amount),
            r.currency,
            csv_safe(r.discount_code.code) if r.discount_code else "",
            payment.paid_at.isoformat() if payment and payment.paid_at else "",
            r.created_at.isoformat(),
            r.language,
        ]


@organizer_required
@require_GET
def registrants_csv(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """Stream the (filtered) registrant list as CSV."""
    webinar = managed_webinar(request, pk)
    form = RegistrantFilterForm(request.GET or None)
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in _csv_rows(filtered(webinar, form))),
        content_type="text/csv; charset=utf-8",
    )
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = (
        f'attachment; filename="registrants-{webinar.pk}-{stamp}.csv"'
    )
    return response
