"""The console's registrant list: filters, approval, resend, devices, CSV."""

from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from organizers.csv_export import stream_csv
from organizers.permissions import organizer_required
from payments.models import Refund
from payments.money import csv_amount, csv_amount_column, format_money
from registrations import answers, devices
from registrations.approval import approve_registrant, deny_registrant
from registrations.console_rows import IN_FLIGHT, money_of, with_refunds
from registrations.emails import outbox as emails
from registrations.forms.console import BulkForm, ConsoleFilterForm
from registrations.models import RefundRequest, Registrant
from registrations.refunds.reports import csv_safe
from registrations.registration import RegistrationError
from registrations.views.console_confirm import confirm_deny
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


def filtered(webinar: Webinar, form: ConsoleFilterForm) -> QuerySet[Registrant]:
    """Return the webinar's registrants the filters keep, newest first."""
    registrants = (
        _matching(webinar, form)
        .select_related("payment", "session", "discount_code")
        .annotate(open_request_pk=Subquery(_open_requests().values("pk")[:1]))
    )
    if not _status(form):
        registrants = registrants.exclude(_abandoned_then_registered())
    return registrants.order_by("-created_at", "-pk")


def listed_counts(webinar: Webinar, form: ConsoleFilterForm) -> tuple[int, int]:
    """Return how many registrants the list shows, and how many it folds away.

    Folded away: abandoned checkouts of people who registered again, when no
    status is chosen. One query, the one the paginator would count with.
    """
    registrants = _matching(webinar, form).order_by()
    if _status(form):
        return registrants.count(), 0
    folded = _abandoned_then_registered()
    counts = registrants.aggregate(
        shown=Count("pk", filter=~folded), folded=Count("pk", filter=folded)
    )
    return counts["shown"], counts["folded"]


def _status(form: ConsoleFilterForm) -> str:
    return form.cleaned_data["status"] if form.is_valid() else ""


def _matching(webinar: Webinar, form: ConsoleFilterForm) -> QuerySet[Registrant]:
    """The webinar's registrants the filters keep, abandoned checkouts included."""
    registrants = Registrant.objects.filter(webinar=webinar)
    if not form.is_valid():
        return registrants
    data = form.cleaned_data
    if data["status"]:
        registrants = registrants.filter(status=data["status"])
    text = data["q"].strip()
    if text:
        registrants = registrants.filter(
            Q(email__icontains=text)
            | Q(first_name__icontains=text)
            | Q(last_name__icontains=text)
        )
    if data["refund"]:
        registrants = _refund_filter(registrants, data["refund"])
    return registrants


def _abandoned_then_registered() -> Q:
    """An abandoned checkout whose email registered again for the webinar.

    Someone who left Checkout and then paid is one person: the list shows
    their registration, not also the checkout they left (the status filter
    "Checkout abandoned" still shows every one).
    """
    again = Registrant.objects.filter(
        webinar_id=OuterRef("webinar_id"), email__iexact=OuterRef("email")
    ).exclude(status=Registrant.Status.EXPIRED)
    return Q(status=Registrant.Status.EXPIRED) & Q(Exists(again))


def _open_requests() -> QuerySet[RefundRequest]:
    """The registrant's refund request waiting for an answer (one at most)."""
    return RefundRequest.objects.filter(
        registrant=OuterRef("pk"), outcome=RefundRequest.Outcome.OPEN
    )


def _refund_filter(
    registrants: QuerySet[Registrant], state: str
) -> QuerySet[Registrant]:
    if state == "requested":
        return registrants.filter(Exists(_open_requests()))
    refunds = Refund.objects.filter(payment=OuterRef("payment"))
    if state == "pending":
        return registrants.filter(Exists(refunds.filter(status__in=IN_FLIGHT)))
    if state == "failed":
        return registrants.filter(Exists(refunds.filter(status=Refund.Status.FAILED)))
    return registrants.filter(payment__amount_refunded__gt=0)


class CountedPaginator(Paginator):
    """A paginator given its count, read with other figures in one query."""

    def __init__(self, object_list: Any, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self.known_count = count

    @cached_property
    def count(self) -> int:
        return self.known_count


@organizer_required
@require_GET
def registrants(request: HttpRequest, pk: int) -> HttpResponse:
    """List the webinar's registrants, filtered and paginated."""
    webinar = managed_webinar(request, pk)
    form = ConsoleFilterForm(request.GET or None)
    shown, folded = listed_counts(webinar, form)
    page = CountedPaginator(
        with_refunds(filtered(webinar, form)), PAGE_SIZE, count=shown
    ).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    counts = status_counts(webinar)
    approvals = asks_approval(webinar, set(counts))
    return render(
        request,
        "registrations/console/registrants.html",
        {
            "webinar": webinar,
            "form": form,
            "page": page,
            "counts": counts,
            "statuses": Registrant.Status.choices,
            "query": query.urlencode(),
            "rows": [_row(r, webinar) for r in page.object_list],
            "bulk_actions": BulkForm.action_choices(approvals=approvals),
            "asks_approval": approvals,
            "filtered": any(
                request.GET.get(name) for name in ("status", "q", "refund")
            ),
            # Abandoned checkouts of people who registered again, left out of
            # the list as filtered: the note says so only when there are some.
            "folds_abandoned": folded > 0,
        },
    )


def asks_approval(webinar: Webinar, statuses: set[str]) -> bool:
    """Tell whether Approve and Deny apply: manual approval, or someone waiting.

    `statuses`: those of the webinar's registrants (someone may still wait
    after approval was switched to automatic).
    """
    return (
        webinar.approval == Webinar.Approval.MANUAL
        or Registrant.Status.AWAITING in statuses
    )


def _row(registrant: Registrant, webinar: Webinar) -> dict[str, Any]:
    registrant.webinar = webinar
    payment = registrant.payment
    money = money_of(registrant)
    return {
        "registrant": registrant,
        "money": money,
        "net": format_money(money.net, money.currency)
        if money.gross and money.currency
        # Nothing paid: free if the price was 0, else not paid (yet, or ever:
        # a checkout abandoned or still open).
        else (_("Free") if not registrant.amount else "—"),
        "gross": format_money(money.gross, money.currency)
        if money.gross and money.currency
        else "",
        "paid_at": payment.paid_at if payment is not None else None,
        "code": registrant.discount_code.code if registrant.discount_code else "",
        "open_request_pk": getattr(registrant, "open_request_pk", None),
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
            if not request.POST.get("confirmed"):
                return confirm_deny(
                    request,
                    webinar,
                    [registrant.pk],
                    action_url=request.path,
                    fields={"next_query": request.POST.get("next_query", "")},
                )
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
                ngettext(
                    "Devices reset: %(count)d device forgotten.",
                    "Devices reset: %(count)d devices forgotten.",
                    count,
                )
                % {"count": count},
            )
    except RegistrationError as error:
        messages.error(request, error.message)
    except emails.EmailError as error:
        messages.error(request, str(error))
    back = reverse("registrations:registrants", args=[webinar.pk])
    query = request.POST.get("next_query", "")
    return redirect(f"{back}?{query}" if query and len(query) < 500 else back)


CSV_HEADER = [
    "id",
    "email",
    "first_name",
    "last_name",
    "status",
    "source",
    "session_start_utc",
    "currency",
    csv_amount_column("paid"),
    csv_amount_column("refunded"),
    csv_amount_column("net"),
    "refund_state",
    "discount_code",
    "paid_at_utc",
    "registered_at_utc",
    "language",
]


def csv_rows(
    webinar: Webinar, registrants: QuerySet[Registrant]
) -> Iterator[list[str]]:
    """Yield the CSV of registrants: amounts as payments.money.csv_amount says."""
    yield CSV_HEADER + [csv_safe(label) for label in answers.csv_header(webinar)]
    for r in with_refunds(registrants).iterator(chunk_size=500):
        payment = r.payment
        money = money_of(r)
        yield [
            str(r.pk),
            csv_safe(r.email),
            csv_safe(r.first_name),
            csv_safe(r.last_name),
            r.status,
            r.source,
            r.session.starts_at.isoformat() if r.session else "",
            money.currency,
            csv_amount(money.gross, money.currency) if money.currency else "0",
            csv_amount(money.refunded, money.currency) if money.currency else "0",
            csv_amount(money.net, money.currency) if money.currency else "0",
            money.state,
            csv_safe(r.discount_code.code) if r.discount_code else "",
            payment.paid_at.isoformat() if payment and payment.paid_at else "",
            r.created_at.isoformat(),
            r.language,
            *(csv_safe(cell) for cell in answers.csv_cells(r, webinar)),
        ]


def csv_response(
    webinar: Webinar, registrants: QuerySet[Registrant], *, name: str
) -> StreamingHttpResponse:
    """Stream the registrants as a CSV attachment."""
    stamp = timezone.now().strftime("%Y%m%d")
    return stream_csv(
        csv_rows(webinar, registrants), filename=f"{name}-{webinar.pk}-{stamp}.csv"
    )


@organizer_required
@require_GET
def registrants_csv(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """Stream the (filtered) registrant list as CSV."""
    webinar = managed_webinar(request, pk)
    form = ConsoleFilterForm(request.GET or None)
    return csv_response(webinar, filtered(webinar, form), name="registrants")
