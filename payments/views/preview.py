"""The organizer's preview of the registration page, with its price and a code."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from organizers.permissions import organizer_required
from payments import hooks
from payments.connect.connections import can_sell
from payments.errors import PricingError
from payments.pricing import quote
from payments.views.language import chosen_language
from payments.views.pricing import price_of
from webinars import hooks as webinar_hooks
from webinars.models import Webinar
from webinars.permissions import managed_webinar


def _price_banners(webinar: Webinar) -> list[str]:
    """Return what the organizer must know about how the page will sell."""
    price = price_of(webinar)
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
    if price and price.enabled and not can_sell(webinar):
        banners.append(
            _(
                "Stripe is not connected (or cannot take charges): registrants "
                "are told registration is temporarily unavailable until it is. "
                "This preview shows the page as it will be."
            )
        )
    return banners


def preview_context(
    *, webinar: Webinar, code: str, language: str
) -> tuple[dict[str, Any], list[str]]:
    """Return what the registration page gets, plus banners for the organizer."""
    banners = _price_banners(webinar)
    now = timezone.now()
    sessions = list(webinar.sessions.filter(cancelled_at__isnull=True, ends_at__gt=now))
    for session in sessions:
        session.webinar = webinar
    # The registration page's own rule, so the preview shows what registrants see.
    reason = webinar.registration_closed_reason(
        has_upcoming_session=bool(sessions),
        sells_recording=webinar_hooks.sells_recording(webinar),
    )
    closed = bool(reason)
    if closed and webinar.kind == Webinar.Kind.ON_DEMAND and not webinar.cancelled_at:
        banners.append(reason)
    elif closed:
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
    language = chosen_language(request)
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
