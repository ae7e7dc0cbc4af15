"""Applying a discount code without JavaScript: the page again, priced with it.

The "Apply" button submits the registration form with ``apply_code``; the
page comes back with what the visitor typed, the price the code gives, and
the button and note that go with it; a code that cannot be used is refused
beside its field. Nothing is registered. An "Apply" with
no code typed registers instead (wants_code_applied).
"""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from payments.errors import PricingError
from payments.pricing import code_price_message
from registrations.forms.registration import RegistrationForm, free_code_message
from registrations.registration import price_registration
from registrations.views.series_total import add_series_total


def wants_code_applied(request: HttpRequest) -> bool:
    """Whether a POST asks for the page priced with a code, not a registration.

    "Apply" is the form's first submit button, so Enter in any field (implicit
    submission) presses it too. With no code typed there is nothing to apply:
    the visitor meant to register, and the POST registers (price.js sends Enter
    to the register button itself; this is the page without script).
    """
    return (
        request.method == "POST"
        and bool(request.POST.get("apply_code"))
        and bool(request.POST.get("discount_code", "").strip())
    )


def render_with_code(
    request: HttpRequest, context: dict, entries: dict | None = None
) -> HttpResponse:
    """Render the registration page priced with the code posted.

    `entries`: the form's values (with the code) when they were not posted:
    the entries kept from a checkout left unpaid (views/register_again.py).
    """
    webinar = context["webinar"]
    if entries is None:
        initial = {
            name: value
            for name, value in request.POST.items()
            if name not in ("csrfmiddlewaretoken", "apply_code")
        }
        # Several sessions may be ticked: keep them all.
        initial["session"] = request.POST.getlist("session")
    else:
        initial = entries
    form = RegistrationForm(
        initial=initial,
        webinar=webinar,
        sessions=context["sessions"],
        full_session_ids=context["full_session_ids"],
    )
    if context["mode"] is not None:
        form.fields.pop("session", None)
    context["form"] = form
    if not context["takes_code"]:
        # A code sent from a page shown before the webinar became free.
        form.leave_out_code()
        context["code_message"] = free_code_message()
        add_series_total(request, context)
        return render(request, "registrations/register.html", context)
    try:
        # A code longer than the field's limit is refused as a registration
        # refuses it, not priced with its first characters.
        code = form.fields["discount_code"].clean(initial.get("discount_code", ""))
    except ValidationError as error:
        return _code_refused(request, context, error.messages[0])
    try:
        quote = price_registration(webinar=webinar, code=code, mode=context["mode"])
    except PricingError as error:
        return _code_refused(request, context, error.message)
    context["code_message"] = code_price_message(
        before=context["quote"], with_code=quote, language=context["language"]
    )
    context["quote"] = quote
    add_series_total(request, context)
    return render(request, "registrations/register.html", context)


def _code_refused(request: HttpRequest, context: dict, message: str) -> HttpResponse:
    """The page again, `message` beside the code field (as a registration shows it)."""
    context["form"].refuse_code(message)
    add_series_total(request, context)
    return render(request, "registrations/register.html", context)
