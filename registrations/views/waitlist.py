"""The waitlist's public pages: join, where you stand (and leave), the offer."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.http import require_http_methods

from organizers.ratelimit import retry_after, too_many, too_many_response
from registrations.capacity import seats_by_session
from registrations.forms.waitlist import WaitlistJoinForm
from registrations.models import WaitlistEntry
from registrations.registration import RegistrationError, price_registration
from registrations.views.registration import (
    REGISTER_RATE_LIMIT,
    REGISTER_RATE_WINDOW_SECONDS,
    done_url,
    redirect_303,
    webinar_for_key,
)
from registrations.waitlist.accept import accept_offer
from registrations.waitlist.claim import offer_problem
from registrations.waitlist.join import join_waitlist, leave_waitlist
from registrations.waitlist.line import WaitlistError, position
from webinars.models import Session, Webinar

Status = WaitlistEntry.Status


def waiting_lines(webinar: Webinar) -> tuple[list[Session], bool]:
    """Return the sessions one may wait for (a series' full ones) and if full.

    Full: no seat left, or people already wait (they go first).
    """
    now = timezone.now()
    sessions = list(webinar.sessions.filter(cancelled_at__isnull=True, ends_at__gt=now))
    for session in sessions:
        session.webinar = webinar
    seats = seats_by_session(webinar)
    limit = webinar.registration_limit
    waiting = set(
        WaitlistEntry.objects.filter(webinar=webinar, status=Status.WAITING)
        .values_list("session_id", flat=True)
        .distinct()
    )
    if webinar.is_series:
        full = [s for s in sessions if seats.get(s.pk, 0) >= limit or s.pk in waiting]
        return full, bool(full)
    return [], bool(sessions) and (sum(seats.values()) >= limit or None in waiting)


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, key: str) -> HttpResponse:
    """Join the waitlist of a full webinar: the registration form, no payment."""
    webinar = webinar_for_key(key)
    if not webinar.waitlist_enabled or webinar.cancelled_at is not None:
        return redirect("registrations:register", key=key)
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
    sessions, full = waiting_lines(webinar)
    if not full:
        return redirect("registrations:register", key=key)
    form = WaitlistJoinForm(
        request.POST or None,
        webinar=webinar,
        sessions=sessions,
        full_session_ids=set(),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            joined = join_waitlist(
                webinar=webinar,
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                answers=form.answers(),
                session=data.get("session"),
                language=translation.get_language() or "en",
            )
        except WaitlistError as error:
            form.add_error(None, error.message)
        else:
            if joined.created:
                return redirect_303(
                    reverse(
                        "registrations:waitlist_status", args=[joined.entry.leave_token]
                    )
                )
            # The same answer whoever typed the address: no place is told.
            return render(
                request, "registrations/waitlist/check_email.html", {"webinar": webinar}
            )
    return render(
        request, "registrations/waitlist/join.html", {"webinar": webinar, "form": form}
    )


def _entry(**lookup: str) -> WaitlistEntry:
    token = next(iter(lookup.values()))
    if not 20 <= len(token) <= 64:
        raise Http404
    return get_object_or_404(
        WaitlistEntry.objects.select_related("webinar__account", "session"), **lookup
    )


@require_http_methods(["GET", "POST"])
def status(request: HttpRequest, token: str) -> HttpResponse:
    """Where the entry stands in line, with the button to leave it."""
    entry = _entry(leave_token=token)
    if request.method == "POST":
        leave_waitlist(entry=entry)
        return redirect_303(request.path)
    context = {
        "webinar": entry.webinar,
        "entry": entry,
        "position": position(entry),
        "offer_open": entry.status == Status.OFFERED and not offer_problem(entry),
        "offer_url": reverse("registrations:waitlist_offer", args=[entry.offer_token]),
    }
    return render(request, "registrations/waitlist/status.html", context)


@require_http_methods(["GET", "POST"])
def offer(request: HttpRequest, token: str) -> HttpResponse:
    """The personal link of an offer: take the seat (Checkout when paid)."""
    entry = _entry(offer_token=token)
    webinar = entry.webinar
    error = offer_problem(entry)
    if request.method == "POST" and not error:
        try:
            registration = accept_offer(
                entry=entry, base_url=request.build_absolute_uri("/")
            )
        except RegistrationError as problem:
            error = problem.message
        else:
            if registration.checkout_url:
                return redirect_303(registration.checkout_url)
            return redirect_303(done_url(webinar, registration.registrant.status))
    # The price valid now: what accepting charges.
    quote = None if error else price_registration(webinar=webinar)
    context = {
        "webinar": webinar,
        "entry": entry,
        "error": error,
        "quote": quote,
        "language": translation.get_language(),
        "status_url": reverse(
            "registrations:waitlist_status", args=[entry.leave_token]
        ),
    }
    return render(request, "registrations/waitlist/offer.html", context)
