"""Console pages for a webinar's discount codes: create, edit, generate, export."""

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from organizers.csv_export import stream_csv
from organizers.permissions import organizer_required
from payments import codes
from payments.errors import PaymentsError
from payments.forms import CodeForm, GenerateCodesForm
from payments.models import DiscountCode
from payments.money import csv_amount, csv_amount_column
from payments.views.pricing import act, back, currency_of, submit
from webinars.models import Webinar
from webinars.permissions import managed_webinar

CSV_COLUMNS = [
    "code",
    csv_amount_column("price"),
    "currency",
    "max_uses",
    "uses",
    "valid_from",
    "valid_until",
    "active",
    "status",
    "held_by_open_checkouts",
]


@organizer_required
@require_POST
def create_code(request: HttpRequest, pk: int) -> HttpResponse:
    created = _("Code %(code)s created.")
    return submit(request, pk, CodeForm, codes.create_code, created, anchor="codes")


def _renamed(data: dict[str, Any]) -> dict[str, Any]:
    """Return a code form's values as update_code's arguments (`code` is new_code)."""
    values = dict(data)
    values["new_code"] = values.pop("code")
    return values


def _managed_code(request: HttpRequest, pk: int, code_pk: int) -> DiscountCode:
    webinar = managed_webinar(request, pk)
    code = get_object_or_404(DiscountCode, pk=code_pk, webinar=webinar)
    code.webinar = webinar
    return code


@organizer_required
@require_http_methods(["GET", "POST"])
def edit_code(request: HttpRequest, pk: int, code_pk: int) -> HttpResponse:
    code = _managed_code(request, pk, code_pk)
    webinar = code.webinar
    currency = currency_of(webinar)
    form = CodeForm(
        request.POST or None,
        tz=webinar.tzinfo,
        currency=currency,
        initial=CodeForm.initial_for(code, currency=currency),
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and act(
            form,
            lambda: codes.update_code(
                code=code, user=request.user, **_renamed(form.cleaned_data)
            ),
        )
    ):
        messages.success(request, _("Code saved."))
        return back(webinar, "codes")
    return render(
        request,
        "payments/pricing/code_form.html",
        {"webinar": webinar, "code": code, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@organizer_required
@require_POST
def deactivate_code(request: HttpRequest, pk: int, code_pk: int) -> HttpResponse:
    code = _managed_code(request, pk, code_pk)
    try:
        codes.deactivate_code(code=code, user=request.user)
    except PaymentsError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Code %(code)s deactivated.") % {"code": code.code})
    return back(code.webinar, "codes")


@organizer_required
@require_POST
def generate_codes(request: HttpRequest, pk: int) -> HttpResponse:
    generated = _("%(count)d codes generated.")
    return submit(
        request, pk, GenerateCodesForm, codes.generate_codes, generated, anchor="codes"
    )


# -- the CSV export ----------------------------------------------------------------


def _csv_rows(webinar: Webinar, currency: str) -> Iterator[list[Any]]:
    tz = webinar.tzinfo

    def when(moment: datetime | None) -> str:
        return timezone.localtime(moment, tz).isoformat() if moment else ""

    yield CSV_COLUMNS
    now = timezone.now()
    codes = webinar.discount_codes.with_held().order_by("code")
    for code in codes.iterator(chunk_size=500):
        yield [
            code.code,
            csv_amount(code.amount, currency),
            currency,
            "" if code.max_uses is None else code.max_uses,
            code.uses,
            when(code.valid_from),
            when(code.valid_until),
            "yes" if code.active else "no",
            code.state(at=now, held=code.held).value,
            code.held,
        ]


@organizer_required
@require_GET
def export_codes(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    webinar = managed_webinar(request, pk)
    return stream_csv(
        _csv_rows(webinar, currency_of(webinar)),
        filename=f"discount-codes-{webinar.pk}.csv",
    )
