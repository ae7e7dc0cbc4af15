"""Public pages: registration, Checkout's return pages, join links."""

import contextlib
import re

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from organizers.ratelimit import too_many
from payments import connect, gateway
from payments.models import Payment
from registrations import devices, hooks, services
from registrations.emails.calendar import ics_for
from registrations.emails.outbox import resend_confirmation
from registrations.emails.reminders import JOIN_EARLY, record_join
from registrations.forms import RegistrationForm, ResendForm
from registrations.models import Registrant
from webinars.models import Session, Webinar

KEY_RE = re.compile(r"^[A-Za-z0-9_-]{8,40}$")
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
SESSION_ID_RE = re.compile(r"^cs_[A-Za-z0-9_]{1,250}$")
DONE_SALT = "registrations.done"
# The "payment processing" page reloads itself this often until the webhook lands.
PROCESSING_REFRESH_SECONDS = 3
# A confirmation resent from the public page: at most this many copies.
MAX_PUBLIC_RESENDS = 5
# Registration attempts one client address may post per window (then 429).
REGISTER_RATE_LIMIT = 10
REGISTER_RATE_WINDOW_SECONDS = 60


def _webinar(key: str) -> Webinar:
    if not KEY_RE.match(key):
        raise Http404
    return get_object_or_404(
        Webinar.objects.select_related("account", "owner__user"), registration_key=key
    )


def _page_context(webinar: Webinar) -> dict:
    """Everything the registration page shows, in a fixed number of queries."""
    now = timezone.now()
    sessions = list(webinar.sessions.filter(cancelled_at__isnull=True, ends_at__gt=now))
    for session in sessions:
        session.webinar = webinar
    seats = services.seats_by_session(webinar)
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
    closed = webinar.cancelled_at is not None or (
        not sessions and webinar.kind != Webinar.Kind.ON_DEMAND and mode is None
    )
    state = connect.selling_state(webinar)
    quote = services.price_registration(webinar=webinar, mode=mode)
    return {
        "webinar": webinar,
        "mode": mode,
        "sessions": sessions,
        "full_session_ids": full_ids,
        "full": full,
        "closed": closed,
        "unavailable": state == "unavailable",
        "quote": quote,
        "language": translation.get_language(),
    }


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest, key: str) -> HttpResponse:
    """The public registration page of a webinar."""
    webinar = _webinar(key)
    if request.method == "POST" and too_many(
        request,
        scope="register",
        limit=getattr(settings, "REGISTER_RATE_LIMIT", REGISTER_RATE_LIMIT),
        window=REGISTER_RATE_WINDOW_SECONDS,
    ):
        return render(
            request, "registrations/too_many.html", {"webinar": webinar}, status=429
        )
    context = _page_context(webinar)
    form = RegistrationForm(
        request.POST or None,
        webinar=webinar,
        sessions=context["sessions"],
        full_session_ids=context["full_session_ids"],
    )
    if context["mode"] is not None:
        # The recording is sold as a whole: there is no session to choose.
        form.fields.pop("session", None)
    context["form"] = form
    blocked = context["closed"] or context["unavailable"] or context["full"]
    if request.method == "POST" and not blocked and form.is_valid():
        data = form.cleaned_data
        try:
            registration = services.start_registration(
                webinar=webinar,
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                answers=form.answers(),
                code=data["discount_code"],
                session=data.get("session"),
                language=translation.get_language() or "en",
                base_url=request.build_absolute_uri("/"),
            )
        except services.AlreadyRegistered as error:
            context["already"] = error.registrant
            context["resend_form"] = ResendForm(initial={"email": data["email"]})
        except services.WebinarFull as error:
            return render(
                request,
                "registrations/full.html",
                {"webinar": webinar, "message": error.message},
            )
        except services.RegistrationError as error:
            form.add_error(None, error.message)
        else:
            if registration.checkout_url:
                return redirect_303(registration.checkout_url)
            return redirect_303(done_url(registration.registrant))
    if request.method == "POST" and context["full"] and not context["closed"]:
        return render(
            request,
            "registrations/full.html",
            {"webinar": webinar, "message": services.full_message(webinar)},
        )
    return render(request, "registrations/register.html", context)


def redirect_303(url: str) -> HttpResponse:
    response = HttpResponse(status=303)
    response["Location"] = url
    return response


def done_url(registrant: Registrant) -> str:
    token = signing.dumps(registrant.pk, salt=DONE_SALT)
    path = reverse("registrations:done", args=[registrant.webinar.registration_key])
    return f"{path}?r={token}"


@require_POST
def resend(request: HttpRequest, key: str) -> HttpResponse:
    """Send the confirmation again to someone already registered (no new charge)."""
    webinar = _webinar(key)
    form = ResendForm(request.POST)
    if form.is_valid():
        registrant = services.find_registration(
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


def _registrant_from_done_token(token: str) -> Registrant | None:
    try:
        pk = signing.loads(token, salt=DONE_SALT, max_age=7 * 24 * 3600)
    except signing.BadSignature:
        return None
    if not isinstance(pk, int):
        return None
    return Registrant.objects.filter(pk=pk).first()


def _status_page(
    request: HttpRequest, *, webinar: Webinar, registrant: Registrant
) -> HttpResponse:
    payment = registrant.payment
    state = registrant.status
    processing = state == Registrant.Status.PENDING and (
        payment is None
        or payment.status
        in (Payment.Status.OPEN, Payment.Status.CREATED, Payment.Status.PROCESSING)
    )
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
        "language": translation.get_language(),
        # On demand (no session): "Watch now" (the join link opens the video),
        # no calendar file.
        "has_sessions": bool(registrant.session_id)
        or webinar.sessions.filter(cancelled_at__isnull=True).exists(),
    }
    return render(request, "registrations/complete.html", context)


@require_GET
def done(request: HttpRequest, key: str) -> HttpResponse:
    """The page after a free registration (no Checkout)."""
    webinar = _webinar(key)
    registrant = _registrant_from_done_token(request.GET.get("r", ""))
    if registrant is None or registrant.webinar_id != webinar.pk:
        raise Http404
    return _status_page(request, webinar=webinar, registrant=registrant)


@require_GET
def checkout_success(request: HttpRequest, key: str) -> HttpResponse:
    """Checkout's return page: fulfil if paid, else say it is processing."""
    webinar = _webinar(key)
    session_id = request.GET.get("session_id", "")
    if not SESSION_ID_RE.match(session_id):
        raise Http404
    payment = get_object_or_404(
        Payment, checkout_session_id=session_id, webinar=webinar
    )
    if payment.status not in (Payment.Status.PAID, Payment.Status.REFUNDED):
        # Stripe slow or down: the page says "processing" and tries again.
        with contextlib.suppress(gateway.GatewayError):
            services.fulfil_checkout(
                checkout_session_id=session_id, account=payment.stripe_account_id
            )
    registrant = get_object_or_404(
        Registrant.objects.select_related("payment", "session"), payment=payment
    )
    return _status_page(request, webinar=webinar, registrant=registrant)


@require_GET
def checkout_cancelled(request: HttpRequest, key: str) -> HttpResponse:
    """Checkout's cancel page: the seat is released now; start again."""
    webinar = _webinar(key)
    registrant = services.registrant_from_cancel_token(request.GET.get("r", ""))
    if registrant is None or registrant.webinar_id != webinar.pk:
        raise Http404
    services.release_registration(registrant=registrant, expire_at_stripe=True)
    messages.info(
        request,
        _("Payment cancelled: nothing was charged. You can register again below."),
    )
    return redirect("registrations:register", key=key)


# -- join links ---------------------------------------------------------------------


def _joining(token: str) -> Registrant:
    if not TOKEN_RE.match(token):
        raise Http404
    return get_object_or_404(
        Registrant.objects.select_related(
            "webinar__owner__user", "webinar__account", "session"
        ),
        join_token=token,
    )


def current_session(registrant: Registrant) -> Session | None:
    """Return the session a join link points at now: the next one not over."""
    if registrant.session_id:
        return registrant.session
    sessions = list(registrant.webinar.sessions.filter(cancelled_at__isnull=True))
    now = timezone.now()
    upcoming = [s for s in sessions if s.ends_at > now]
    if upcoming:
        return upcoming[0]
    return sessions[-1] if sessions else None


def _refusal(request: HttpRequest, registrant: Registrant) -> HttpResponse:
    return render(
        request,
        "registrations/join_refused.html",
        {"registrant": registrant, "webinar": registrant.webinar},
        status=403,
    )


# POST: the device continue page (registrations.devices) admits this device.
@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, token: str) -> HttpResponse:
    """A registrant's personal link: details, then the room, then "ended"."""
    registrant = _joining(token)
    webinar = registrant.webinar
    if registrant.status != Registrant.Status.CONFIRMED or webinar.cancelled_at:
        return _refusal(request, registrant)
    session = current_session(registrant)

    def respond() -> HttpResponse:
        for override in hooks.join_page_overrides:
            response = override(request, registrant, session)
            if response is not None:
                return response
        now = timezone.now()
        if session is None or session.cancelled_at is not None or session.has_ended:
            return render(
                request,
                "registrations/join_ended.html",
                {"registrant": registrant, "webinar": webinar, "session": session},
            )
        opens_at = session.starts_at - JOIN_EARLY
        if now >= opens_at and session.broadcast_url:
            record_join(registrant=registrant, session=session)
            return redirect(session.broadcast_url)
        seconds = max(int((opens_at - now).total_seconds()), 0)
        return render(
            request,
            "registrations/join.html",
            {
                "registrant": registrant,
                "webinar": webinar,
                "session": session,
                "opens_at": opens_at,
                "left": {
                    "days": seconds // 86400,
                    "hours": seconds % 86400 // 3600,
                    "minutes": seconds % 3600 // 60,
                },
                "seconds": seconds,
                # Reload by itself when the room opens within the hour.
                "refresh": seconds + 1 if seconds < 3600 else None,
                "calendar_url": reverse(
                    "registrations:join_calendar", args=[registrant.join_token]
                ),
            },
        )

    return devices.admit_device(
        request, registrant=registrant, response_factory=respond
    )


@require_GET
def join_calendar(request: HttpRequest, token: str) -> HttpResponse:
    """The registrant's sessions as an .ics file."""
    registrant = _joining(token)
    if registrant.status != Registrant.Status.CONFIRMED:
        return _refusal(request, registrant)
    response = HttpResponse(
        ics_for(registrant, method="PUBLISH"),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="webinar.ics"'
    return response
