"""The console's one rule for dates and times: the locale's format, always zoned.

Every date or time the console shows goes through these filters:

- ``{{ moment|zoned:webinar.timezone }}``: the moment in the webinar's zone,
  formatted for the reader's language (``Dec. 1, 2026, 4:12 a.m.`` or
  ``1 décembre 2026 04:12``, never ``12/01/2026``), followed by the zone label;
- ``{{ moment|zoned_date:webinar.timezone }}``: the date alone, same rule;
- ``{{ webinar.timezone|zone_label:moment }}``: the zone label alone.

The zone label has one format everywhere: ``Europe/Paris, UTC+01:00``
(``America/New_York, UTC−05:00``, with a minus sign that keeps it on one line).
Moments without a zone of their own (account-wide pages) use UTC.
"""

import zoneinfo
from datetime import datetime

from django import template
from django.utils import formats, timezone
from django.utils.html import format_html

register = template.Library()


def _zone(name: str | None) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


# A line may break after a hyphen-minus, so "UTC-05:00" broke after "UTC-" on
# phones; the minus sign (the right character for it anyway) never lets it.
MINUS = "\u2212"


def offset_label(moment: datetime) -> str:
    """Return ``UTC+01:00`` for an aware datetime (``UTC+00:00`` for UTC).

    A negative offset has a minus sign, U+2212: ``UTC−05:00``.
    """
    offset = moment.strftime("%z") or "+0000"
    sign = MINUS if offset[0] == "-" else "+"
    return f"UTC{sign}{offset[1:3]}:{offset[3:]}"


@register.filter
def zone_label(zone: str | None, moment: datetime | None = None) -> str:
    """Return the zone label: ``Europe/Paris, UTC+01:00`` (offset at `moment`)."""
    tz = _zone(zone)
    local = timezone.localtime(moment or timezone.now(), tz)
    return f"{tz.key}, {offset_label(local)}"


@register.filter
def zoned(moment: datetime | None, zone: str | None = None) -> str:
    """Return the moment in `zone`, in the locale's format, with the zone label."""
    if moment is None:
        return ""
    tz = _zone(zone)
    local = timezone.localtime(moment, tz)
    return format_html(
        '<time datetime="{}">{} <span class="zone">({})</span></time>',
        local.isoformat(),
        formats.date_format(local, "DATETIME_FORMAT"),
        f"{tz.key}, {offset_label(local)}",
    )


@register.filter
def zoned_text(moment: datetime | None, zone: str | None = None) -> str:
    """Like ``zoned`` as plain text (emails, CSV-free texts, form choices)."""
    if moment is None:
        return ""
    tz = _zone(zone)
    local = timezone.localtime(moment, tz)
    label = f"{tz.key}, {offset_label(local)}"
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} ({label})"


@register.filter
def zoned_date(moment: datetime | None, zone: str | None = None) -> str:
    """Return the date of the moment in `zone`, in the locale's format."""
    if moment is None:
        return ""
    local = timezone.localtime(moment, _zone(zone))
    return format_html(
        '<time datetime="{}">{}</time>',
        local.date().isoformat(),
        formats.date_format(local, "DATE_FORMAT"),
    )
