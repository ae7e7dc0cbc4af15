"""Console pages for a webinar's price, early-bird tiers and discount codes.

Owner, co-organizers and admins only (webinars.views.managed_webinar); anyone
else gets a 404. Each view validates a form, calls one service and redirects.
"""

import csv
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from organizers.permissions import organizer_required
from organizers.ratelimit import too_many
from payments import hooks, services
from payments.connect import connection_for
from payments.forms import (
    CodeForm,
    GenerateCodesForm,
    PaymentsSwitchForm,
    PriceForm,
    TierForm,
)
from payments.models import MAXIMUM_AMOUNT, MINIMUM_AMOUNTS, DiscountCode, Price
from payments.money import format_amount, format_money
from payments.pricing import PricingError, Quote, invalid_code_message, quote
from webinars.models import Webinar
from webinars.permissions import managed_webinar

# Codes shown in the table; the CSV export has them all.
CODES_SHOWN = 200
CODE_CHECKS_PER_MINUTE = 20


# -- the payment section -----------------------------------------------------------


def _price_of(webinar: Webinar) -> Price | None:
    return Price.objects.filter(webinar=webinar).first()


def _forms(webinar: Webinar, price: Price | None) -> dict[str, Any]:
    currency = price.currency if price else "USD"
    kwargs = {"tz": webinar.tzinfo, "currency": currency}
    price_initial = {"currency": currency}
    if price and price.amount:
        price_initial["amount"] = format_amount(price.amount, currency)
    return {
        "price_form": PriceForm(initial=price_initial, **kwargs),
        "tier_form": TierForm(**kwargs),
        "code_form": CodeForm(initial={"active": True}, **kwargs),
        "generate_form": GenerateCodesForm(**kwargs),
    }


def _render_section(
    request: HttpRequest, webinar: Webinar, *, status: int = 200, **bound: Any
) -> HttpResponse:
    price = _price_of(webinar)
    tiers = list(price.tiers.all()) if price else []
    connection = connection_for(webinar)
    codes = webinar.discount_codes.all()
    code_count = codes.count()
    currency = price.currency if price else "USD"
    now = timezone.now()
    context = {
        "webinar": webinar,
        "price": price,
        "currency": currency,
        "tiers": tiers,
        "running_tier": next((t for t in tiers if now < t.ends_at), None),
        "connection": connection,
        "can_enable": connection is not None and connection.is_usable,
        "changes": price.changes.select_related("changed_by")[:50] if price else [],
        "codes": codes[:CODES_SHOWN],
        "code_count": code_count,
        "codes_truncated": code_count > CODES_SHOWN,
        "minimum": format_money(MINIMUM_AMOUNTS[currency], currency),
        "maximum": format_money(MAXIMUM_AMOUNT, currency),
        "now": now,
        **_forms(webinar, price),
        **bound,
    }
    return render(request, "payments/pricing/section.html", context, status=status)


def _act(form: Any, action: Callable[[], object]) -> bool:
    """Run the service; put its refusal beside the field it names."""
    try:
        action()
    except services.PaymentsError as error:
        field = error.field if error.field in form.fields else None
        form.add_error(field, error.message)
        return False
    return True


def _back(webinar: Webinar, anchor: str = "") -> HttpResponse:
    url = reverse("payments:pricing", args=[webinar.pk])
    return redirect(f"{url}#{anchor}" if anchor else url)


@organizer_required
@require_GET
def payment_section(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_section(request, managed_webinar(request, pk))


@organizer_required
@require_POST
def switch_payments(request: HttpRequest, pk: int) -> HttpResponse:
    webinar = managed_webinar(request, pk)
    form = PaymentsSwitchForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether to accept payments."))
        return _back(webinar)
    enabled = form.cleaned_data["enabled"]
    try:
        services.set_payments_enabled(
            webinar=webinar, enabled=enabled, user=request.user
        )
    except services.PaymentsError as error:
        messages.error(request, error.message)
        return _back(webinar)
    messages.success(
        request,
        _("Payments are on.")
        if enabled
        else _("Payments are off: registration is free. Prices are kept."),
    )
    return _back(webinar)


@organizer_required
@require_POST
def set_price(request: HttpRequest, pk: int) -> HttpResponse:
    webinar = managed_webinar(request, pk)
    form = PriceForm(request.POST, tz=webinar.tzinfo)
    if form.is_valid() and _act(
        form,
        lambda: services.set_price(
            webinar=webinar,
            amount=form.cleaned_data["amount"],
            currency=form.cleaned_data["currency"],
            user=request.user,
        ),
    ):
        messages.success(request, _("Price saved."))
        return _back(webinar)
    return _render_section(request, webinar, status=400, price_form=form)


@organizer_required
@require_POST
def add_tier(request: HttpRequest, pk: int) -> HttpResponse:
    webinar = managed_webinar(request, pk)
    price = _price_of(webinar)
    form = TierForm(
        request.POST, tz=webinar.tzinfo, currency=price.currency if price else "USD"
    )
    if form.is_valid() and _act(
        form,
        lambda: services.add_tier(
            webinar=webinar,
            amount=form.cleaned_data["amount"],
            ends_at=form.cleaned_data["ends_at"],
            user=request.user,
        ),
    ):
        messages.success(request, _("Early-bird price added."))
        return _back(webinar, "tiers")
    return _render_section(request, webinar, status=400, tier_form=form)


@organizer_required
@require_POST
def remove_tier(request: HttpRequest, pk: int, tier_pk: int) -> HttpResponse:
    webinar = managed_webinar(request, pk)
    try:
        services.remove_tier(webinar=webinar, tier_id=tier_pk, user=request.user)
    except services.PaymentsError as error:
        raise Http404 from error
    messages.success(request, _("Early-bird price removed."))
    return _back(webinar, "tiers")


def _code_kwargs(form: CodeForm | GenerateCodesForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "amount": data["amount"],
        "max_uses": data.get("max_uses"),
        "valid_from": data.get("valid_from"),
        "valid_until": data.get("valid_until"),
    }


@organizer_required
@require_POST
def create_code(request: HttpRequest, pk: int) -> HttpResponse:
    webinar = managed_webinar(request, pk)
    price = _price_of(webinar)
    form = CodeForm(
        request.POST, tz=webinar.tzinfo, currency=price.currency if price else "USD"
    )
    if form.is_valid() and _act(
        form,
        lambda: services.create_code(
            webinar=webinar,
            code=form.cleaned_data["code"],
            active=form.cleaned_data["active"],
            user=request.user,
            **_code_kwargs(form),
        ),
    ):
        messages.success(
            request, _("Code %(code)s created.") % {"code": form.cleaned_data["code"]}
        )
        return _back(webinar, "codes")
    return _render_section(request, webinar, status=400, code_form=form)


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
    price = _price_of(webinar)
    currency = price.currency if price else "USD"
    form = CodeForm(
        request.POST or None,
        tz=webinar.tzinfo,
        currency=currency,
        initial=CodeForm.initial_for(code, currency=currency),
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and _act(
            form,
            lambda: services.update_code(
                code=code,
                new_code=form.cleaned_data["code"],
                active=form.cleaned_data["active"],
                user=request.user,
                **_code_kwargs(form),
            ),
        )
    ):
        messages.success(request, _("Code saved."))
        return _back(webinar, "codes")
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
        services.deactivate_code(code=code, user=request.user)
    except services.PaymentsError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Code %(code)s deactivated.") % {"code": code.code})
    return _back(code.webinar, "codes")


@organizer_required
@require_POST
def generate_codes(request: HttpRequest, pk: int) -> HttpResponse:
    webinar = managed_webinar(request, pk)
    price = _price_of(webinar)
    form = GenerateCodesForm(
        request.POST, tz=webinar.tzinfo, currency=price.currency if price else "USD"
    )
    if form.is_valid() and _act(
        form,
        lambda: services.generate_codes(
            webinar=webinar,
            count=form.cleaned_data["count"],
            prefix=form.cleaned_data["prefix"],
            user=request.user,
            **_code_kwargs(form),
        ),
    ):
        messages.success(
            request,
            _("%(count)d codes generated.") % {"count": form.cleaned_data["count"]},
        )
        return _back(webinar, "codes")
    return _render_section(request, webinar, status=400, generate_form=form)


class _Echo:
    """A file-like object whose write returns the line, for streaming CSV."""

    def write(self, value: str) -> str:
        return value


def _csv_rows(webinar: Webinar, currency: str) -> Iterator[str]:
    writer = csv.writer(_Echo())
    tz = webinar.tzinfo

    def when(moment: Any) -> str:
        return timezone.localtime(moment, tz).isoformat() if moment else ""

    yield writer.writerow(
        [
            "code",
            "price",
            "currency",
            "max_uses",
            "uses",
            "valid_from",
            "valid_until",
            "active",
        ]
    )
    for code in webinar.discount_codes.order_by("code").iterator(chunk_size=500):
        yield writer.writerow(
            [
                code.code,
                format_amount(code.amount, currency, "en"),
                currency,
                "" if code.max_uses is None else code.max_uses,
                code.uses,
                when(code.valid_from),
                when(code.valid_until),
                "yes" if code.active else "no",
            ]
        )


@organizer_required
@require_GET
def export_codes(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    webinar = managed_webinar(request, pk)
    price = _price_of(webinar)
    response = StreamingHttpResponse(
        _csv_rows(webinar, price.currency if price else "USD"),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="discount-codes-{webinar.pk}.csv"'
    )
    return response


# -- the panel on the webinar's console page ---------------------------------------


def webinar_panel(request: HttpRequest, webinar: Webinar) -> dict[str, Any] | None:
    """Summarise the webinar's price on its console page, with links."""
    price = _price_of(webinar)
    current = quote(webinar=webinar, assume_enabled=True) if price else None
    return {
        "template": "payments/pricing/panel.html",
        "context": {
            "webinar": webinar,
            "price": price,
            "quote": current,
            "code_count": webinar.discount_codes.count(),
        },
    }


# -- the preview -------------------------------------------------------------------


def _chosen_language(request: HttpRequest) -> str:
    wanted = request.GET.get("lang", "")
    codes = {code for code, _name in settings.LANGUAGES}
    return wanted if wanted in codes else translation.get_language() or "en"


def preview_context(
    *, webinar: Webinar, code: str, language: str
) -> tuple[dict[str, Any], list[str]]:
    """Return what the registration page gets, plus banners for the organizer."""
    price = _price_of(webinar)
    banners = []
    if price is None or not price.amount:
        banners.append(_("No price is set: registrants register for free."))
    elif not price.enabled:
        banners.append(
            _(
                "Payments are off: registrants currently register for free. This "
                "preview shows the page as it will be once payments are on."
            )
        )
    connection = connection_for(webinar)
    if price and price.enabled and (connection is None or not connection.is_usable):
        banners.append(
            _(
                "Stripe is not connected (or cannot take charges): registrants "
                "are told registration is temporarily unavailable until it is. "
                "This preview shows the page as it will be."
            )
        )
    now = timezone.now()
    sessions = list(webinar.sessions.filter(cancelled_at__isnull=True, ends_at__gt=now))
    for session in sessions:
        session.webinar = webinar
    closed = webinar.cancelled_at is not None or (
        not sessions and webinar.kind != Webinar.Kind.ON_DEMAND
    )
    if closed:
        banners.append(_("Registration is closed: no session is still to come."))
    try:
        current = quote(webinar=webinar, code=code, assume_enabled=True)
    except PricingError as error:
        banners.append(
            _("Code %(code)s: %(message)s") % {"code": code, "message": error.message}
        )
        current = quote(webinar=webinar, assume_enabled=True)
    # The registration page's own form (registrations fills the hook).
    form = hooks.registration_form(
        webinar=webinar,
        sessions=sessions,
        full_session_ids=set(),
        initial={"discount_code": code},
    )
    return (
        {
            "webinar": webinar,
            "sessions": sessions,
            "full_session_ids": set(),
            "full": False,
            "closed": closed,
            # Shown as it will be once Stripe can take payments (see the banner).
            "unavailable": False,
            "quote": current,
            "language": language,
            "form": form,
            "preview": True,
            "code": code,
        },
        banners,
    )


@organizer_required
@require_http_methods(["GET", "POST"])
def preview(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the registration page as a registrant sees it; create nothing.

    The page's own form posts here: the preview answers with the same page and
    a note, and registers no one.
    """
    webinar = managed_webinar(request, pk)
    language = _chosen_language(request)
    code = (request.GET.get("code") or request.POST.get("discount_code") or "")[:40]
    with translation.override(language):
        context, banners = preview_context(
            webinar=webinar, code=code.strip(), language=language
        )
        if request.method == "POST":
            banners.insert(0, _("Preview: registering is disabled; nothing was sent."))
        context["banners"] = banners
        context["preview_languages"] = settings.LANGUAGES
        response = render(request, "payments/pricing/preview.html", context)
    response.headers["Content-Language"] = language
    return response


# -- the code check used by the registration page ----------------------------------


def _code_answer(*, valid: bool, q: Quote, message: str) -> dict[str, Any]:
    return {
        "valid": valid,
        "amount": q.amount,
        "currency": q.currency,
        "display": format_money(q.amount, q.currency),
        "message": message,
    }


@require_GET
def code_check(request: HttpRequest, key: str) -> JsonResponse:
    """Tell the registration page the price a code gives, or that it is invalid.

    Answers in the request's language, or in `?lang=` when the page names one.
    """
    with translation.override(_chosen_language(request)):
        return _check_code(request, key)


def _check_code(request: HttpRequest, key: str) -> JsonResponse:
    if too_many(request, scope="code-check", limit=CODE_CHECKS_PER_MINUTE, window=60):
        return JsonResponse(
            {
                "valid": False,
                "message": _("Too many attempts. Please wait a minute."),
            },
            status=429,
        )
    webinar = Webinar.objects.filter(
        registration_key=key, cancelled_at__isnull=True
    ).first()
    if webinar is None:
        return JsonResponse(
            {"valid": False, "message": _("This registration page does not exist.")},
            status=404,
        )
    base = quote(webinar=webinar)
    if not Price.objects.filter(webinar=webinar, enabled=True).exists():
        message = _("Registration is free; no code is needed.")
        return JsonResponse(_code_answer(valid=False, q=base, message=message))
    code = request.GET.get("code", "")
    if not code.strip():
        return JsonResponse(
            _code_answer(valid=False, q=base, message=invalid_code_message())
        )
    try:
        with_code = quote(webinar=webinar, code=code)
    except PricingError as error:
        return JsonResponse(_code_answer(valid=False, q=base, message=error.message))
    if with_code.amount == 0:
        message = _("This code gives free registration.")
    else:
        message = _("With this code the price is %(price)s.") % {
            "price": format_money(with_code.amount, with_code.currency)
        }
    return JsonResponse(_code_answer(valid=True, q=with_code, message=message))
