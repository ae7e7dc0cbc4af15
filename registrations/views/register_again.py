"""Back from Checkout without paying: the registration form as it was sent.

Checkout's cancel link releases the seat (views/checkout_return.py) and
brings the visitor back to the registration page. Whoever leaves Checkout to
change a session or a code, or only by mistake, should not type everything
again: the cancel page keeps what the registrant had entered (names, email,
answers, the sessions of a series, the discount code) in the visitor's
session, and the page's next showing fills the form with it, once.

Kept in the session (the database), not in the link nor in a cookie: the
entries are personal and may be long, and the link stays in the browser's
history; the cancel link keeps them only when it releases the seat, so
opening it again (or after paying) fills nothing. A visitor with a session
cookie never gets the shared cached page (registrations.page_cache), and the
filled page is sent with no-cache headers: it is this visitor's alone.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from registrations.forms.registration import QUESTION_PREFIX
from registrations.models import Registrant


def _session_key(registration_key: str) -> str:
    return f"register-again:{registration_key}"


def keep_entries(request: HttpRequest, registrant: Registrant) -> None:
    """Keep what `registrant` entered, for the next showing of their form."""
    entries: dict[str, Any] = {
        "first_name": registrant.first_name,
        "last_name": registrant.last_name,
        "email": registrant.email,
    }
    for question_id, value in (registrant.answers or {}).items():
        entries[QUESTION_PREFIX + str(question_id)] = value
    if registrant.discount_code_id:
        entries["discount_code"] = registrant.discount_code.code
    if registrant.session_id:
        # A checkout of several sessions: every session it held a seat for.
        together = Registrant.objects.filter(pk=registrant.pk)
        if registrant.payment_id:
            together = Registrant.objects.filter(payment_id=registrant.payment_id)
        entries["session"] = [
            str(pk)
            for pk in together.exclude(session_id=None)
            .order_by("session__starts_at", "session_id")
            .values_list("session_id", flat=True)
        ]
    request.session[_session_key(registrant.webinar.registration_key)] = entries


def kept_again(
    request: HttpRequest, registration_key: str, context: dict[str, Any]
) -> dict[str, Any]:
    """Return (and forget) the entries kept for this webinar's form; {} if none.

    `context`: the page's (views/registration.py), whose form takes them. A
    session no longer offered (cancelled, over or full since) is left
    unticked, and a message says so. Reads the session only when the
    visitor has one: the page's other visitors cost no session lookup.
    """
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return {}
    entries = request.session.pop(_session_key(registration_key), None)
    if not isinstance(entries, dict):
        return {}
    if "session" in entries:
        offered = {
            str(session.pk)
            for session in context["sessions"]
            if session.pk not in context["full_session_ids"]
        }
        chosen = [pk for pk in entries["session"] if pk in offered]
        if len(chosen) < len(entries["session"]):
            messages.warning(
                request,
                _(
                    "A session you had chosen can no longer be booked:"
                    " choose again below."
                ),
            )
        entries["session"] = chosen
    return entries


def never_cache(response: HttpResponse) -> HttpResponse:
    """The page with a visitor's own entries: no cache of any kind keeps it."""
    add_never_cache_headers(response)
    return response
