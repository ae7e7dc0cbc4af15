"""The registrant's pages write moments as their emails do (registrations.moments).

- ``{{ moment|registrant_moment:webinar }}``: "Tuesday, 2 June 2026, 2:00 pm",
  in the webinar's zone and the page's language;
- ``{% registrant_span session webinar %}``: "Tuesday, 2 June 2026, 2:00 pm – 3:00 pm";
- ``{% registrant_sessions_summary sessions webinar %}``: "4 sessions, 9–30 Dec 2026".

The zone label follows in the page's markup (``console_time.zone_label``).
"""

from collections.abc import Sequence
from datetime import datetime

from django import template
from django.utils import translation
from django.utils.translation import ngettext

from registrations.moments import days_text, moment_text, span_text
from webinars.models import Session, Webinar

register = template.Library()


@register.filter
def registrant_moment(moment: datetime | None, webinar: Webinar) -> str:
    if moment is None:
        return ""
    return moment_text(moment, webinar, translation.get_language())


@register.simple_tag
def registrant_span(session: Session, webinar: Webinar) -> str:
    return span_text(
        session.starts_at, session.ends_at, webinar, translation.get_language()
    )


@register.simple_tag
def registrant_sessions_summary(sessions: Sequence[Session], webinar: Webinar) -> str:
    """How many sessions, and the days from the first to the last."""
    starts = [session.starts_at for session in sessions]
    if not starts:
        return ""
    count = len(starts)
    days = days_text(min(starts), max(starts), webinar, translation.get_language())
    return ngettext(
        "%(count)s session, %(days)s", "%(count)s sessions, %(days)s", count
    ) % {"count": count, "days": days}
