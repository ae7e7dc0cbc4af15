"""Personal join links: which session a link points at, and whether it opens.

The device limit that admits a browser lives in registrations.devices; the
page itself in registrations.views.join.
"""

from datetime import datetime

from django.utils import timezone
from django.utils.translation import ngettext

from registrations.emails.reminders import JOIN_EARLY
from registrations.models import Registrant
from webinars.models import Session


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


def may_join(registrant: Registrant) -> bool:
    """Tell whether the link works at all: a confirmed seat, a live webinar."""
    return (
        registrant.status == Registrant.Status.CONFIRMED
        and not registrant.webinar.cancelled_at
    )


def is_over(session: Session | None) -> bool:
    """Tell whether the link's session is gone: none left, cancelled or ended."""
    return session is None or session.cancelled_at is not None or session.has_ended


def room_opens_at(session: Session) -> datetime:
    """Return when the link starts sending the registrant into the room."""
    return session.starts_at - JOIN_EARLY


# The countdown's units, singular and plural, from the catalogue: the server
# renders the first text, the join page's script (static/js/countdown.js) the
# next ones, choosing the form with Intl.PluralRules in the page's language.
def countdown_units() -> dict[str, list[str]]:
    """Each unit's [singular, plural] label in the active language."""
    return {
        "day": [ngettext("%(count)s day", "%(count)s days", n) for n in (1, 2)],
        "hour": [ngettext("%(count)s hour", "%(count)s hours", n) for n in (1, 2)],
        "minute": [
            ngettext("%(count)s minute", "%(count)s minutes", n) for n in (1, 2)
        ],
        "second": [
            ngettext("%(count)s second", "%(count)s seconds", n) for n in (1, 2)
        ],
    }


def countdown_text(seconds: int) -> str:
    """Return e.g. '14 days 5 hours 3 minutes' in the active language."""
    left = countdown(seconds)
    parts = [
        ngettext("%(count)s day", "%(count)s days", left["days"])
        % {"count": left["days"]}
        if left["days"]
        else "",
        ngettext("%(count)s hour", "%(count)s hours", left["hours"])
        % {"count": left["hours"]}
        if left["days"] or left["hours"]
        else "",
        ngettext("%(count)s minute", "%(count)s minutes", left["minutes"])
        % {"count": left["minutes"]},
    ]
    return " ".join(part for part in parts if part)


def countdown(seconds: int) -> dict[str, int]:
    """Split the seconds until the room opens into days, hours and minutes."""
    return {
        "days": seconds // 86400,
        "hours": seconds % 86400 // 3600,
        "minutes": seconds % 3600 // 60,
    }
