"""The registrant's pages write moments as their emails do (registrations.moments).

- ``{{ moment|registrant_moment:webinar }}``: "Tuesday, 2 June 2026, 2:00 pm",
  in the webinar's zone and the page's language;
- ``{% registrant_span session webinar %}``: "Tuesday, 2 June 2026, 2:00 pm – 3:00 pm".

The zone label follows in the page's markup (``console_time.zone_label``).
"""

from datetime import datetime

from django import template
from django.utils import translation

from registrations.moments import moment_text, span_text
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
