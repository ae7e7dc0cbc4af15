"""Where someone stands in a waitlist, and whether a line is waiting."""

from datetime import timedelta

from registrations.models import WaitlistEntry
from webinars.models import Session, Webinar

Status = WaitlistEntry.Status


class WaitlistError(Exception):
    """A waitlist operation that cannot be done; the message is safe to show."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def offer_window(webinar: Webinar) -> timedelta:
    """Return how long an offer of this webinar holds its seat."""
    return timedelta(hours=max(webinar.waitlist_offer_hours, 1))


def position(entry: WaitlistEntry) -> int | None:
    """Return the entry's place in line (1: next), or None when not waiting."""
    if entry.status != Status.WAITING:
        return None
    ahead = (
        WaitlistEntry.objects.filter(
            webinar_id=entry.webinar_id,
            session_id=entry.session_id,
            status=Status.WAITING,
        )
        .filter(joined_at__lte=entry.joined_at)
        .exclude(joined_at=entry.joined_at, pk__gte=entry.pk)
        .count()
    )
    return ahead + 1


def positions(webinar: Webinar) -> dict[int, int]:
    """Return each waiting entry's place in its line, by entry id (one query)."""
    places: dict[int | None, int] = {}
    result = {}
    rows = (
        WaitlistEntry.objects.filter(webinar=webinar)
        .waiting()
        .values_list("pk", "session_id")
    )
    for pk, session_id in rows:
        places[session_id] = places.get(session_id, 0) + 1
        result[pk] = places[session_id]
    return result


def has_waiting(*, webinar: Webinar, session: Session | None) -> bool:
    """Tell whether someone waits in this line (a new registrant goes behind)."""
    return WaitlistEntry.objects.filter(
        webinar=webinar,
        session=session,
        status=Status.WAITING,
    ).exists()
