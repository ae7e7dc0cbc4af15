"""Extension points for higher apps (registered in their AppConfig.ready())."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

    from registrations.models import Registrant
    from webinars.models import Session, Webinar

# Each provider takes (registrant, session) and returns the registrant's
# personal watch link (an absolute URL) for that session's post-session video,
# or, with session None, for the replay or on-demand video bought; else None.
# Follow-ups (with their session), confirmations and approvals (session None)
# carry the first link a provider returns.
watch_link_providers: list[Callable[["Registrant", "Session | None"], str | None]] = []

# Each override takes (request, registrant, session) and returns the response
# of the join page (e.g. the recordings app's player for a recorded webinar),
# or None to leave the join page as it is. `session` is the session the join
# link points at now (None when the webinar has no session left). The first
# response returned wins; the device limit has already admitted the request.
join_page_overrides: list[
    Callable[["HttpRequest", "Registrant", "Session | None"], "HttpResponse | None"]
] = []

# Each provider takes a webinar and returns a RegistrationMode when the
# registration page sells something other than the live sessions (the
# recordings app: the replay of an ended webinar, or an on-demand video), or
# None. With a mode, registration stays open after the last session ended and
# takes no session (start_registration with session=None); `amount`, when not
# None, replaces the webinar's regular price (discount codes still apply);
# `notice` is shown on the registration page. The first mode returned wins.
registration_modes: list[Callable[["Webinar"], "RegistrationMode | None"]] = []

# Called after commit with each registrant who has just become confirmed
# (paid, free, discount code, approved), e.g. to grant a replay at once.
registrant_confirmed_handlers: list[Callable[["Registrant"], None]] = []


@dataclass(frozen=True)
class RegistrationMode:
    """How the registration page sells a webinar whose sessions are not the point."""

    kind: str  # "replay" or "on_demand"
    notice: str
    amount: int | None = None


def registration_mode(webinar: "Webinar") -> RegistrationMode | None:
    """Return the first registration mode a provider gives the webinar, or None."""
    for provider in registration_modes:
        mode = provider(webinar)
        if mode is not None:
            return mode
    return None
