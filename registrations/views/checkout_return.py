"""The pages a registrant lands on after registering: done, paid, cancelled."""

import re
from collections.abc import Callable

from django.contrib import messages
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from config.busy import is_busy
from payments import gateway
from payments.models import Payment
from registrations import hooks
from registrations.checkout import release_registration
from registrations.emails.context import describe_session, sessions_for
from registrations.fulfilment import fulfil_checkout
from registrations.models import Registrant
from registrations.purchase import (
    available_until,
    cancel_terms,
    purchase_kind,
    sells_recording,
)
from registrations.refunds.self_service import quote_self_cancel
from registrations.return_state import ending_of
from registrations.tokens import (
    read_done_token,
    registrant_from_checkout_cancel_token,
)
from registrations.views.register_again import keep_entries
from registrations.views.registration import webinar_for_key
from webinars.models import Webinar

SESSION_ID_RE = re.compile(r"^cs_[A-Za-z0-9_]{1,250}$")
# The "payment processing" page reloads itself this often until the webhook lands.
PROCESSING_REFRESH_SECONDS = 3


def _status_page(
    request: HttpRequest,
    *,
    webinar: Webinar,
    registrant: Registrant,
    others: list[Registrant] | None = None,
) -> HttpResponse:
    """The page of a paid registration; `others`: the rest of the same checkout."""
    payment = registrant.payment
    state = registrant.status
    processing = state == Registrant.Status.PENDING and (
        payment is None
        or payment.status
        in (Payment.Status.OPEN, Payment.Status.CREATED, Payment.Status.PROCESSING)
    )
    language = translation.get_language() or "en"
    bought = purchase_kind(registrant)
    recording = sells_recording(bought)
    quote = quote_self_cancel(registrant=registrant)
    context = {
        "webinar": webinar,
        "registrant": registrant,
        "payment": payment,
        "processing": processing,
        "refresh": PROCESSING_REFRESH_SECONDS if processing else None,
        "join_url": request.build_absolute_uri(
            reverse("registrations:join", args=[registrant.join_token])
        ),
        "calendar_url": reverse(
            "registrations:join_calendar", args=[registrant.join_token]
        ),
        "language": language,
        "status": state,
        "ending": ending_of(registrant),
        "purchase": bought,
        # Live: the sessions bought, each with its date, time and zone; a
        # replay or on-demand video: "Watch now", no calendar, no cancel offer.
        "has_sessions": not recording,
        "sessions": []
        if recording
        else [
            describe_session(session, webinar, language)
            for row in [registrant, *(others or [])]
            for session in sessions_for(row)
        ],
        # Several sessions bought together: each has its own links, by email.
        "several": bool(others),
        "available_until": available_until(webinar, language) if recording else "",
        "cancel_terms": cancel_terms(registrant, language),
        "cancel_url": reverse(
            "registrations:self_cancel", args=[registrant.cancel_token]
        )
        # Several sessions: each one's cancel link is in its own email.
        if not recording and quote.can_cancel and not others
        else "",
    }
    return render(request, "registrations/complete.html", context)


def _signed_registrant(
    request: HttpRequest, key: str, read_token: Callable[[str], Registrant | None]
) -> tuple[Webinar, Registrant]:
    """Return the webinar of `key` and the registrant its ?r= token names, or 404."""
    webinar = webinar_for_key(key)
    registrant = read_token(request.GET.get("r", ""))
    if registrant is None or registrant.webinar_id != webinar.pk:
        raise Http404
    return webinar, registrant


@require_GET
def done(request: HttpRequest, key: str) -> HttpResponse:
    """The page after a free registration (no Checkout).

    A registration of an email already registered lands here too (see
    views/registration.py): the page shows the webinar, its public schedule and
    the state only, no personal link nor payment, so it is the same for a new
    registrant and for whoever typed the address; the links go by email.
    """
    webinar = webinar_for_key(key)
    state = read_done_token(request.GET.get("r", ""))
    if state is None or state.webinar_id != webinar.pk:
        raise Http404
    # A new registration's own token names its registrant: their state as it
    # is now (cancelled, say). A token of an address already registered names
    # none and keeps the state it was given.
    registrant = (
        Registrant.objects.select_related("payment")
        .filter(pk=state.registrant_id, webinar=webinar)
        .first()
        if state.registrant_id
        else None
    )
    language = translation.get_language() or "en"
    recording = hooks.registration_mode(webinar) is not None
    # A webinar's own sessions are public (its page lists them); a series'
    # chosen session is not, so a series shows none here; a recording sold
    # has its availability instead.
    sessions = (
        []
        if webinar.is_series or recording
        else [
            describe_session(session, webinar, language)
            for session in webinar.sessions.filter(
                cancelled_at__isnull=True, ends_at__gt=timezone.now()
            ).order_by("starts_at")
        ]
    )
    context = {
        "webinar": webinar,
        "status": state.status if registrant is None else registrant.status,
        "ending": None if registrant is None else ending_of(registrant),
        "links_by_email": True,
        "language": language,
        "has_sessions": bool(sessions),
        "sessions": sessions,
        "available_until": available_until(webinar, language) if recording else "",
    }
    return render(request, "registrations/complete.html", context)


@require_GET
def checkout_success(request: HttpRequest, key: str) -> HttpResponse:
    """Checkout's return page: fulfil if paid, else say it is processing."""
    webinar = webinar_for_key(key)
    session_id = request.GET.get("session_id", "")
    if not SESSION_ID_RE.match(session_id):
        raise Http404
    payment = get_object_or_404(
        Payment, checkout_session_id=session_id, webinar=webinar
    )
    if payment.status not in (Payment.Status.PAID, Payment.Status.REFUNDED):
        # Stripe slow or down, or the seat's lock not granted in time
        # (config/busy.py): the page says "processing" and tries again, and
        # the webhook confirms meanwhile.
        try:
            fulfil_checkout(
                checkout_session_id=session_id, account=payment.stripe_account_id
            )
        except gateway.GatewayError:
            pass
        except DatabaseError as error:
            if not is_busy(error):
                raise
    # One registrant per session bought (a series), in order of start.
    registrants = list(
        Registrant.objects.select_related("payment", "session")
        .filter(payment=payment)
        .order_by("session__starts_at", "pk")
    )
    if not registrants:
        raise Http404
    return _status_page(
        request, webinar=webinar, registrant=registrants[0], others=registrants[1:]
    )


@require_GET
def checkout_cancelled(request: HttpRequest, key: str) -> HttpResponse:
    """Checkout's cancel page: the seat is released now; start again."""
    _webinar, registrant = _signed_registrant(
        request, key, registrant_from_checkout_cancel_token
    )
    if release_registration(registrant=registrant, expire_at_stripe=True):
        # Once: the link stays in the browser's history, and whoever opens it
        # again (or after paying) must not find the registrant's details.
        keep_entries(request, registrant)
    messages.info(
        request,
        _(
            "Payment cancelled: nothing was charged. Your details are filled in"
            " below: check them and register again."
        ),
    )
    return redirect("registrations:register", key=key)
