"""The dashboard's table: per webinar, what an organizer checks at a glance."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organizers.models import Organizer
from webinars.hooks import dashboard_facts_providers
from webinars.models import Session, Webinar

STATUSES = {
    "draft": _("Draft"),
    "on_sale": _("On sale"),
    "full": _("Full"),
    "over": _("Over"),
    "cancelled": _("Cancelled"),
}


@dataclass
class Row:
    webinar: Webinar
    next_start: datetime | None
    upcoming: int
    capacity: int
    status: str
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def status_label(self) -> str:
        return str(STATUSES[self.status])

    @property
    def sold(self) -> int:
        return self.facts.get("sold", 0)


def is_sold_out(
    webinar: Webinar, *, upcoming: list[Session], facts: dict[str, Any]
) -> bool:
    """Tell whether no seat is left to sell.

    A series sells each session up to the registration limit: it is full only
    when every session still sold (not cancelled, not over, as the
    registration page offers them) is at the limit; seats of past sessions
    free nothing and fill nothing.
    """
    limit = webinar.registration_limit
    if not webinar.is_series:
        return facts.get("sold", 0) >= limit
    taken = facts.get("sold_by_session", {})
    return bool(upcoming) and all(taken.get(s.pk, 0) >= limit for s in upcoming)


def status_of(
    webinar: Webinar,
    *,
    sessions: int,
    upcoming: int,
    full: bool,
    sells_recording: bool,
) -> str:
    """Return the webinar's dashboard status (a key of STATUSES)."""
    if webinar.cancelled_at is not None:
        return "cancelled"
    if webinar.kind == Webinar.Kind.ON_DEMAND:
        return "on_sale" if sells_recording else "draft"
    if sessions == 0:
        return "draft"
    if upcoming == 0:
        return "over"
    if full:
        return "full"
    return "on_sale"


def dashboard_rows(organizer: Organizer) -> list[Row]:
    """Return the dashboard's rows in a fixed number of queries."""
    now = timezone.now()
    upcoming = Session.objects.filter(ends_at__gte=now, cancelled_at__isnull=True)
    webinars = list(
        Webinar.objects.visible_to(organizer)
        .select_related("owner__user")
        .annotate(
            session_count=Count(
                "sessions", filter=Q(sessions__cancelled_at__isnull=True)
            )
        )
        .prefetch_related(Prefetch("sessions", queryset=upcoming, to_attr="upcoming"))
        .order_by("cancelled_at", "-created_at", "pk")
    )
    facts: dict[int, dict[str, Any]] = {w.pk: {} for w in webinars}
    for provider in dashboard_facts_providers:
        for pk, values in provider(webinars).items():
            facts.setdefault(pk, {}).update(values)
    rows = []
    for webinar in webinars:
        sessions = sorted(webinar.upcoming, key=lambda s: s.starts_at)
        mine = facts[webinar.pk]
        rows.append(
            Row(
                webinar=webinar,
                next_start=sessions[0].starts_at if sessions else None,
                upcoming=len(sessions),
                capacity=webinar.registration_limit,
                status=status_of(
                    webinar,
                    sessions=webinar.session_count,
                    upcoming=len(sessions),
                    full=is_sold_out(webinar, upcoming=sessions, facts=mine),
                    sells_recording=mine.get("sells_recording", False),
                ),
                facts=mine,
            )
        )
    # Live ones first by next session, then the rest (over, drafts, cancelled).
    rows.sort(
        key=lambda r: (
            r.status == "cancelled",
            r.next_start is None,
            r.next_start or now,
        )
    )
    return rows
