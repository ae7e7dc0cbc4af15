"""How a registrant reads a moment: one format on pages, in emails and at Checkout.

A registrant meets the same session on the registration page, at Checkout
(its line item), on the success page, in the confirmation and reminders and
on the waitlist pages; each writes it the same way, in the reader's language
and the webinar's zone, with CLDR's full date and short time (Babel):
"Tuesday, 2 June 2026, 2:00 pm" or "mardi 2 juin 2026, 14:00". The zone
label ("Europe/Paris, UTC+02:00") goes after it, in parentheses, wherever
the text is shown (purchase.format_moment, emails.context.describe_session,
or the page's own markup).

A series whose registrants choose their sessions lists them once, as the
form's boxes; the page's header only sums them up, with the days they span
in CLDR's short interval: "4 sessions, 9–30 Dec 2026" ("4 sessions,
9–30 déc. 2026").

An email about one session of a webinar with several (a series' confirmation,
a reminder) names it in its subject, shorter: CLDR's abbreviated date, the
short time and the zone's abbreviation, "Tue, 8 Dec 2026, 3:00 pm CET"
("mar. 8 déc. 2026, 15:00 CET"); a zone without one gives its offset,
"UTC-03:00" (subject_moment_text).

The console keeps its own rule (webinars/templatetags/console_time.py):
organizers read Django's shorter locale format in tables.
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_date, format_interval, format_skeleton, format_time
from django.utils import timezone

from payments.money import babel_locale
from webinars.models import Webinar
from webinars.templatetags.console_time import offset_label


def moment_text(moment: datetime, webinar: Webinar, language: str | None) -> str:
    """Return e.g. 'Tuesday, 2 June 2026, 2:00 pm', in the webinar's zone."""
    locale = babel_locale(language)
    local = timezone.localtime(moment, webinar.tzinfo)
    return "{date}, {time}".format(
        date=format_date(local, "full", locale=locale),
        time=format_time(local, "short", locale=locale),
    )


def subject_moment_text(
    moment: datetime, webinar: Webinar, language: str | None
) -> str:
    """Return e.g. 'Tue, 8 Dec 2026, 3:00 pm CET', in the webinar's zone."""
    locale = babel_locale(language)
    local = timezone.localtime(moment, webinar.tzinfo)
    # The tz database's abbreviation ("CET", "EDT") where the zone has one;
    # zones without one have a number there ("-03"): say the offset instead.
    zone = local.tzname() or ""
    if not zone.isalpha():
        zone = offset_label(local)
    return "{date}, {time} {zone}".format(
        date=format_skeleton("yMMMEd", local, locale=locale),
        time=format_time(local, "short", locale=locale),
        zone=zone,
    )


def span_text(
    starts_at: datetime, ends_at: datetime, webinar: Webinar, language: str | None
) -> str:
    """Return e.g. 'Tuesday, 2 June 2026, 2:00 pm – 3:00 pm', in the webinar's zone."""
    locale = babel_locale(language)
    end = timezone.localtime(ends_at, webinar.tzinfo)
    return "{start} – {end}".format(
        start=moment_text(starts_at, webinar, language),
        end=format_time(end, "short", locale=locale),
    )


def days_text(
    first: datetime, last: datetime, webinar: Webinar, language: str | None
) -> str:
    """Return e.g. '9–30 Dec 2026' (or '9 Dec 2026'), in the webinar's zone."""
    return format_interval(
        timezone.localtime(first, webinar.tzinfo).date(),
        timezone.localtime(last, webinar.tzinfo).date(),
        "yMMMd",
        locale=babel_locale(language),
    )
