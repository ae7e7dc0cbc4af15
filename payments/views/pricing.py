"""Console pages for a webinar's price and early-bird tiers; the shared form flow.

Owner, co-organizers and admins only (webinars.permissions.managed_webinar);
anyone else gets a 404. Each view validates a form, calls one service and
redirects; on a refusal the section is shown again with the form's errors.
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from organizers.permissions import organizer_required
from payments import price_changes
from payments.connect.connections import connection_for
from payments.errors import PaymentsError
from payments.forms import (
    CodeForm,
    GenerateCodesForm,
    PaymentsSwitchForm,
    PriceForm,
    TierForm,
    WebinarForm,
)
from payments.models import Price, StripeConnection
from payments.money import format_amount
from payments.pricing import DEFAULT_CURRENCY, quote
from webinars.models import Webinar
from webinars.permissions import managed_webinar

# Codes shown in the table; the CSV export has them all.
CODES_SHOWN = 200

# -- the payment section -----------------------------------------------------------


def price_of(webinar: Webinar) -> Price | None:
    """Return the webinar's price row, or None when none was ever set."""
    return Price.objects.filter(webinar=webinar).first()


def currency_of(webinar: Webinar) -> str:
    """Return the currency the webinar's amounts are typed in."""
    price = price_of(webinar)
    return price.currency if price else DEFAULT_CURRENCY


def offers_payments_on(
    webinar: Webinar, price: Price | None, connection: StripeConnection | None
) -> bool:
    """Tell whether saving the price may turn payments on: off, and able to sell."""
    return (
        webinar.cancelled_at is None
        and not (price and price.enabled)
        and connection is not None
        and connection.is_usable
    )


def _forms(webinar: Webinar, price: Price | None, *, offer: bool) -> dict[str, Any]:
    currency = price.currency if price else DEFAULT_CURRENCY
    kwargs = {"tz": webinar.tzinfo, "currency": currency}
    price_initial = {"currency": currency}
    if price and price.amount:
        price_initial["amount"] = format_amount(price.amount, currency)
    return {
        "price_form": PriceForm(
            initial=price_initial, offer_payments_on=offer, **kwargs
        ),
        "tier_form": TierForm(**kwargs),
        "code_form": CodeForm(initial={"active": True}, **kwargs),
        "generate_form": GenerateCodesForm(**kwargs),
    }


def render_section(
    request: HttpRequest, webinar: Webinar, *, status: int = 200, **bound: Any
) -> HttpResponse:
    """Render the payment section; `bound` replaces blank forms with posted ones."""
    price = price_of(webinar)
    tiers = list(price.tiers.all()) if price else []
    connection = connection_for(webinar)
    codes = webinar.discount_codes.all()
    code_count = codes.count()
    currency = price.currency if price else DEFAULT_CURRENCY
    now = timezone.now()
    shown = list(codes.with_held()[:CODES_SHOWN])
    for code in shown:
        code.current_state = code.state(at=now, held=code.held)
    offer = offers_payments_on(webinar, price, connection)
    context = {
        "webinar": webinar,
        "price": price,
        "currency": currency,
        "tiers": tiers,
        "running_tier": next((t for t in tiers if now < t.ends_at), None),
        "connection": connection,
        "can_enable": connection is not None and connection.is_usable,
        "offers_payments_on": offer,
        "changes": (
            price.changes.select_related("changed_by", "price__webinar")[:50]
            if price
            else []
        ),
        "codes": shown,
        "code_count": code_count,
        "codes_truncated": code_count > CODES_SHOWN,
        "now": now,
        **_forms(webinar, price, offer=offer),
        **bound,
    }
    return render(request, "payments/pricing/section.html", context, status=status)


def act(form: forms.Form, action: Callable[[], object]) -> bool:
    """Run the service; put its refusal beside the field it names."""
    try:
        action()
    except PaymentsError as error:
        field = error.field if error.field in form.fields else None
        form.add_error(field, error.message)
        return False
    return True


def back(webinar: Webinar, anchor: str = "") -> HttpResponse:
    """Redirect to the payment section, at `anchor` when given."""
    url = reverse("payments:pricing", args=[webinar.pk])
    return redirect(f"{url}#{anchor}" if anchor else url)


def submit(
    request: HttpRequest,
    pk: int,
    form_class: type[WebinarForm],
    service: Callable[..., object],
    success: str,
    *,
    anchor: str = "",
) -> HttpResponse:
    """Validate the posted form and pass its values to the service.

    The form's fields are the service's arguments; `success` may name them,
    e.g. "%(code)s". A refusal shows the section again with the form's errors.
    """
    webinar = managed_webinar(request, pk)
    form = form_class(request.POST, tz=webinar.tzinfo, currency=currency_of(webinar))
    if form.is_valid() and act(
        form,
        lambda: service(webinar=webinar, user=request.user, **form.cleaned_data),
    ):
        messages.success(request, success % form.cleaned_data)
        return back(webinar, anchor)
    bound = {f"{form_class.id_prefix}_form": form}
    return render_section(request, webinar, status=400, **bound)


@organizer_required
@require_GET
def payment_section(request: HttpRequest, pk: int) -> HttpResponse:
    return render_section(request, managed_webinar(request, pk))


@organizer_required
@require_POST
def switch_payments(request: HttpRequest, pk: int) -> HttpResponse:
    webinar = managed_webinar(request, pk)
    form = PaymentsSwitchForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether to accept payments."))
        return back(webinar)
    enabled = form.cleaned_data["enabled"]
    price = price_of(webinar)
    if (
        not enabled
        and price is not None
        and price.enabled
        and request.POST.get("confirmed") != "1"
    ):
        # Money-moving: say what happens and ask again (works without JS).
        return render(
            request,
            "payments/pricing/confirm_off.html",
            {"webinar": webinar, "price": price},
        )
    try:
        price_changes.set_payments_enabled(
            webinar=webinar, enabled=enabled, user=request.user
        )
    except PaymentsError as error:
        messages.error(request, error.message)
        return back(webinar)
    messages.success(
        request,
        _("Payments are on.")
        if enabled
        else _("Payments are off: registration is free. Prices are kept."),
    )
    return back(webinar)


@organizer_required
@require_POST
def set_price(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the regular price; turn payments on too when the form offered it."""
    webinar = managed_webinar(request, pk)
    price = price_of(webinar)
    connection = connection_for(webinar)
    form = PriceForm(
        request.POST,
        tz=webinar.tzinfo,
        currency=price.currency if price else DEFAULT_CURRENCY,
        offer_payments_on=offers_payments_on(webinar, price, connection),
    )
    if form.is_valid() and act(
        form,
        lambda: price_changes.set_price(
            webinar=webinar, user=request.user, **form.cleaned_data
        ),
    ):
        say_price_saved(
            request,
            webinar=webinar,
            was_on=price is not None and price.enabled,
            turned_on=form.cleaned_data.get("turn_payments_on", False),
            connection=connection,
        )
        return back(webinar)
    return render_section(request, webinar, status=400, price_form=form)


def say_price_saved(
    request: HttpRequest,
    *,
    webinar: Webinar,
    was_on: bool,
    turned_on: bool,
    connection: StripeConnection | None,
) -> None:
    """Say the price is saved, and whether registrants pay it from now on."""
    if was_on or webinar.cancelled_at is not None:
        messages.success(request, _("Price saved."))
    elif turned_on:
        messages.success(
            request, _("Price saved. Payments are on: registrants pay this price.")
        )
    elif connection is not None and connection.is_usable:
        messages.warning(
            request,
            _(
                "Price saved. Payments are still off: registration stays free "
                "until you turn them on."
            ),
        )
    else:
        text = (
            _("Price saved, but registration stays free until Stripe is connected.")
            if connection is None
            else _(
                "Price saved, but registration stays free until the connected "
                "Stripe account can take payments."
            )
        )
        messages.warning(
            request,
            format_html(
                '{} <a href="{}">{}</a>',
                text,
                reverse("payments:stripe_settings"),
                _("Connect Stripe in the Payments settings")
                if connection is None
                else _("Open the Payments settings"),
            ),
        )


@organizer_required
@require_POST
def add_tier(request: HttpRequest, pk: int) -> HttpResponse:
    added = _("Early-bird price added.")
    return submit(request, pk, TierForm, price_changes.add_tier, added, anchor="tiers")


@organizer_required
@require_POST
def remove_tier(request: HttpRequest, pk: int, tier_pk: int) -> HttpResponse:
    webinar = managed_webinar(request, pk)
    try:
        price_changes.remove_tier(webinar=webinar, tier_id=tier_pk, user=request.user)
    except PaymentsError as error:
        raise Http404 from error
    messages.success(request, _("Early-bird price removed."))
    return back(webinar, "tiers")


# -- the panel on the webinar's console page ---------------------------------------


def webinar_panel(request: HttpRequest, webinar: Webinar) -> dict[str, Any] | None:
    """Summarise the webinar's price on its console page, with links."""
    price = price_of(webinar)
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
