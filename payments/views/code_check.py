"""The public code check the registration page calls: what price a code gives.

Anyone may call it, so it is rate-limited per client; it answers JSON in the
page's language.
"""

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from organizers.bounds import is_url_token
from organizers.ratelimit import retry_after, too_many
from payments.errors import PricingError
from payments.models import Price
from payments.money import format_money
from payments.pricing import Quote, code_price_message, invalid_code_message, quote
from payments.views.language import chosen_language
from webinars.models import Webinar

CODE_CHECKS_PER_MINUTE = 20


def _code_answer(*, valid: bool, q: Quote, message: str) -> dict[str, Any]:
    return {
        "valid": valid,
        "amount": q.amount,
        "currency": q.currency,
        "display": format_money(q.amount, q.currency),
        "message": message,
        # Whether the early-bird deadline still sets this price (the page
        # hides its line when the code does).
        "tier_ends": q.tier_ends_at is not None,
    }


@require_GET
def code_check(request: HttpRequest, key: str) -> JsonResponse:
    """Tell the registration page the price a code gives, or that it is invalid.

    Answers in the request's language, or in `?lang=` when the page names one.
    """
    with translation.override(chosen_language(request)):
        return _check_code(request, key)


def _check_code(request: HttpRequest, key: str) -> JsonResponse:
    if too_many(request, scope="code-check", limit=CODE_CHECKS_PER_MINUTE, window=60):
        response = JsonResponse(
            {
                "valid": False,
                "message": _("Too many attempts. Please wait a minute."),
            },
            status=429,
        )
        response["Retry-After"] = str(retry_after(60))
        return response
    webinar = (
        Webinar.objects.filter(registration_key=key, cancelled_at__isnull=True).first()
        if is_url_token(key)
        else None
    )
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
    message = code_price_message(before=base, with_code=with_code)
    return JsonResponse(_code_answer(valid=True, q=with_code, message=message))
