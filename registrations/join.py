"""Personal join links: which session a link points at, and whether it opens.

The device limit that admits a browser lives in registrations.devices; the
page itself in registrations.views.join.
"""

from datetime import datetime

from django.utils import timezone

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


def countdown(seconds: int) -> dict[str, int]:
    """Split the seconds until the room opens into days, hours and minutes."""
    return {
        "days": seconds // 86400,
        "hours": seconds % 86400 // 3600,
        "minutes": seconds % 3600 // 60,
    }
