"""A registrant's personal join link and calendar file."""

import json
import re

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from registrations import devices, hooks
from registrations.emails.calendar import ics_for
from registrations.emails.reminders import record_join
from registrations.join import (
    countdown,
    countdown_text,
    countdown_units,
    current_session,
    is_over,
    may_join,
    room_opens_at,
)
from registrations.models import Registrant

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def _joining(token: str) -> Registrant:
    if not TOKEN_RE.match(token):
        raise Http404
    return get_object_or_404(
        Registrant.objects.select_related(
            "webinar__owner__user", "webinar__account", "session"
        ),
        join_token=token,
    )


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
    if not may_join(registrant):
        return _refusal(request, registrant)
    session = current_session(registrant)

    def respond() -> HttpResponse:
        for override in hooks.join_page_overrides:
            response = override(request, registrant, session)
            if response is not None:
                return response
        if is_over(session):
            return render(
                request,
                "registrations/join_ended.html",
                {"registrant": registrant, "webinar": webinar, "session": session},
            )
        now = timezone.now()
        opens_at = room_opens_at(session)
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
                "left": countdown(seconds),
                "left_text": countdown_text(seconds),
                "countdown_units": json.dumps(countdown_units()),
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
