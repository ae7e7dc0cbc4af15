"""The public registration page and its confirmation resend."""

import re

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from organizers.ratelimit import retry_after, too_many, too_many_response
from payments.connect import connections
from payments.errors import PricingError
from registrations import hooks, page_cache, start_sql
from registrations.capacity import full_message, seats_by_session
from registrations.closed import closed_notice
from registrations.emails.already_registered import notify_already_registered
from registrations.emails.outbox import resend_confirmation
from registrations.forms.registration import RegistrationForm, ResendForm
from registrations.models import Registrant
from registrations.registration import (
    AlreadyRegistered,
    RegistrationError,
    WebinarFull,
    find_registration,
    price_registration,
    start_registration,
)
from registrations.series import start_series_registration
from registrations.tokens import done_token
from registrations.views.code_apply import render_with_code, wants_code_applied
from registrations.views.register_again import kept_again, never_cache
from registrations.views.series_total import add_series_total
from webinars.models import Webinar

KEY_RE = re.compile(r"^[A-Za-z0-9_-]{8,40}$")
# A confirmation resent from the public page: at most this many copies.
MAX_PUBLIC_RESENDS = 5
# Registration attempts one client address may post per window (then 429).
REGISTER_RATE_LIMIT = 10
REGISTER_RATE_WINDOW_SECONDS = 60


def webinar_for_key(key: str, *, joined: bool = True) -> Webinar:
    """Return the webinar of a registration key, or raise Http404.

    `joined`: read its account and owner in the same query (a page shows
    them; a start reads them again under its lock anyway).
    """
    if not KEY_RE.match(key):
        raise Http404
    if not joined:
        # A start's first read, in plain SQL (registrations.start_sql).
        webinar = start_sql.webinar_by_key(key)
        if webinar is None:
            raise Http404
        return webinar
    webinars = Webinar.objects.select_related("account", "owner__user")
    return get_object_or_404(webinars, registration_key=key)


def _page_context(webinar: Webinar) -> dict:
    """Everything the registration page shows, in a fixed number of queries."""
    now = timezone.now()
    sessions = list(webinar.sessions.filter(cancelled_at__isnull=True, ends_at__gt=now))
    for session in sessions:
        session.webinar = webinar
    seats = seats_by_session(webinar)
    limit = webinar.registration_limit
    if webinar.is_series:
        full_ids = {s.pk for s in sessions if seats.get(s.pk, 0) >= limit}
        full = bool(sessions) and len(full_ids) == len(sessions)
    else:
        full_ids = set()
        full = sum(seats.values()) >= limit
    # A replay or on-demand video sold without a session (recordings' hook).
    mode = hooks.registration_mode(webinar)
    if mode is not None and mode.kind == "replay":
        # The live seats do not limit a replay; the recording's view limit does.
        full_ids, full = set(), False
    closed = bool(
        webinar.registration_closed_reason(
            has_upcoming_session=bool(sessions), sells_recording=mode is not None
        )
    )
    state = connections.selling_state(webinar)
    quote = price_registration(webinar=webinar, mode=mode)
    notice = closed_notice(
        webinar,
        sessions=sessions,
        sells_recording=mode is not None,
        closed=closed,
        unavailable=state == "unavailable",
        full=full,
    )
    return {
        "notice": notice,
        "webinar": webinar,
        "mode": mode,
        "sessions": sessions,
        "full_session_ids": full_ids,
        "full": full,
        "waitlist_open": full and not closed and webinar.waitlist_enabled,
        "closed": closed,
        "unavailable": state == "unavailable",
        "quote": quote,
        # Nothing to pay, nothing to discount: the page shows no code field.
        "takes_code": quote.paid,
        "language": translation.get_language(),
    }


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest, key: str) -> HttpResponse:
    """The public registration page of a webinar.

    A POST validates the form and calls the service, which decides (under the
    capacity lock) whether the webinar is open, full or for sale; the page's
    context is built only when the page is shown again.
    """
    if request.method == "GET" and KEY_RE.match(key):
        page = page_cache.cached_page(request, key)
        if page is not None:
            return page
    webinar = webinar_for_key(key, joined=request.method == "GET")
    if request.method == "POST" and too_many(
        request,
        scope="register",
        limit=getattr(settings, "REGISTER_RATE_LIMIT", REGISTER_RATE_LIMIT),
        window=REGISTER_RATE_WINDOW_SECONDS,
    ):
        return too_many_response(
            request,
            retry_after=retry_after(REGISTER_RATE_WINDOW_SECONDS),
            back_url=request.path,
        )
    if request.method == "POST" and not wants_code_applied(request):
        return _start(request, webinar)
    return _show_page(request, webinar)


def _registration_form(
    request: HttpRequest, webinar: Webinar, context: dict, initial: dict | None = None
) -> RegistrationForm:
    form = RegistrationForm(
        request.POST or None,
        initial=initial,
        webinar=webinar,
        sessions=context["sessions"],
        full_session_ids=context["full_session_ids"],
    )
    if context["mode"] is not None:
        # The recording is sold as a whole: there is no session to choose.
        form.fields.pop("session", None)
    return form


def _show_page(
    request: HttpRequest,
    webinar: Webinar,
    *,
    error: str = "",
    error_field: str | None = None,
    **extra: object,
) -> HttpResponse:
    """Render the page (a GET, or a POST that did not register).

    `error`: the service's refusal, beside `error_field` (or above the form).
    """
    context = _page_context(webinar)
    if wants_code_applied(request) and not context["notice"]:
        return render_with_code(request, context)
    # Back from Checkout unpaid: the form as it was sent, once.
    kept = {}
    if request.method == "GET" and not context["notice"]:
        kept = kept_again(request, webinar.registration_key, context)
    if kept.get("discount_code"):
        return never_cache(render_with_code(request, context, entries=kept))
    form = _registration_form(request, webinar, context, initial=kept)
    if request.method == "POST":
        form.is_valid()
        if error:
            form.add_error(error_field if error_field in form.fields else None, error)
        if context["full"] and not context["closed"]:
            return render(
                request,
                "registrations/full.html",
                {"webinar": webinar, "message": full_message(webinar)},
            )
    if not context["takes_code"]:
        form.leave_out_code()
    context["form"] = form
    context.update(extra)
    add_series_total(request, context)
    if kept:
        # This visitor's own entries: neither shared nor kept by a browser cache.
        return never_cache(render(request, "registrations/register.html", context))
    if request.method == "GET":
        # The same page for every visitor: served from the cache next time.
        sessions = context["sessions"]
        return page_cache.render_page(
            request,
            webinar.registration_key,
            "registrations/register.html",
            context,
            changes_at=[
                context["quote"].tier_ends_at,
                *(s.starts_at for s in sessions),
                *(s.ends_at for s in sessions),
            ],
        )
    return render(request, "registrations/register.html", context)


def _start(request: HttpRequest, webinar: Webinar) -> HttpResponse:
    """Validate the form and start the registration; nothing else is read."""
    context: dict = {"sessions": [], "full_session_ids": set(), "mode": None}
    if webinar.is_series:
        context["sessions"] = list(
            webinar.sessions.filter(
                cancelled_at__isnull=True, ends_at__gt=timezone.now()
            )
        )
        context["mode"] = hooks.registration_mode(webinar)
    elif (
        webinar.kind == Webinar.Kind.ON_DEMAND
        and hooks.registration_mode(webinar) is None
    ):
        # A video not (or no longer) for sale: the page states why (the service
        # refuses it too, for the API).
        return _show_page(request, webinar)
    form = _registration_form(request, webinar, context)
    if not form.is_valid():
        return _show_page(request, webinar)
    data = form.cleaned_data
    try:
        person = {
            "webinar": webinar,
            "first_name": data["first_name"],
            "last_name": data["last_name"],
            "email": data["email"],
            "answers": form.answers(),
            "code": data["discount_code"],
            "language": translation.get_language() or "en",
            "base_url": request.build_absolute_uri("/"),
        }
        if data.get("session"):
            # A series: the sessions ticked, one or several, in one checkout.
            registration = start_series_registration(**person, sessions=data["session"])
        else:
            registration = start_registration(**person)
    except AlreadyRegistered as error:
        # The same answer as a new free registration (the done page, which
        # shows no link), so the page never tells whether an email is
        # registered; its owner gets their links by email instead.
        # A code a new registrant would be refused is refused here too.
        try:
            price_registration(
                webinar=webinar,
                code=data["discount_code"],
                mode=hooks.registration_mode(webinar),
            )
        except PricingError as problem:
            return _show_page(
                request, webinar, error=problem.message, error_field=problem.field
            )
        notify_already_registered(registrant=error.registrant)
        manual = webinar.approval == Webinar.Approval.MANUAL
        status = Registrant.Status.AWAITING if manual else Registrant.Status.CONFIRMED
        return redirect_303(done_url(webinar, status))
    except WebinarFull as error:
        # The page may still show seats: the next visitor sees it full.
        page_cache.forget_pages([webinar.registration_key])
        return render(
            request,
            "registrations/full.html",
            {"webinar": webinar, "message": error.message},
        )
    except RegistrationError as error:
        return _show_page(
            request, webinar, error=error.message, error_field=error.field
        )
    if registration.checkout_url:
        return redirect_303(registration.checkout_url)
    registrant = registration.registrant
    return redirect_303(done_url(webinar, registrant.status, registrant.pk))


def redirect_303(url: str) -> HttpResponse:
    """Return a 303 See Other to `url` (a POST answered by a GET elsewhere)."""
    response = HttpResponse(status=303)
    response["Location"] = url
    return response


def done_url(webinar: Webinar, status: str, registrant_id: int = 0) -> str:
    """Return the signed link of the page after a free registration.

    `registrant_id`: the new registrant's (0 for an address already
    registered: see tokens.done_token).
    """
    token = done_token(
        webinar_id=webinar.pk, status=status, registrant_id=registrant_id
    )
    path = reverse("registrations:done", args=[webinar.registration_key])
    return f"{path}?r={token}"


@require_POST
def resend(request: HttpRequest, key: str) -> HttpResponse:
    """Send the confirmation again to someone already registered (no new charge)."""
    webinar = webinar_for_key(key)
    form = ResendForm(request.POST)
    if form.is_valid():
        registrant = find_registration(
            webinar=webinar, email=form.cleaned_data["email"]
        )
        if registrant is not None and registrant.status == Registrant.Status.CONFIRMED:
            sent = registrant.emails.filter(kind="confirmation").count()
            if sent < MAX_PUBLIC_RESENDS:
                resend_confirmation(registrant=registrant)
        # The same answer in every case: the form must not tell who registered.
        messages.success(
            request,
            _("If this email is registered, its confirmation is on its way again."),
        )
    else:
        messages.error(request, _("Enter a valid email address."))
    return redirect("registrations:register", key=key)
