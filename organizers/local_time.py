"""A date and time typed on a wall clock, turned into one moment of a time zone.

Every console form that reads a local date and time (a webinar's sessions, a
price tier's deadline, a discount code's window; the current time zone where
no zone is given) turns it into an aware datetime here, and only here:

- a time that does not exist that day (the clocks go forward over it) is
  refused, never moved to the hour after;
- a time that happens twice (the clocks go back over it) is refused too: the
  form cannot tell which of the two the organizer means;

each with a form error in the user's language that names the time, the date,
the zone and the change of the clocks, in Django's localized formats.
"""

from datetime import UTC, datetime, timedelta, tzinfo

from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext_lazy as _

SKIPPED = _(
    "%(time)s does not exist on %(date)s in the %(zone)s time zone (the clocks "
    "go forward from %(before)s to %(after)s). Choose another time."
)
REPEATED = _(
    "%(time)s happens twice on %(date)s in the %(zone)s time zone (the clocks "
    "go back from %(before)s to %(after)s). Choose another time."
)


def local_datetime(value: datetime, zone: tzinfo) -> datetime:
    """Return the naive wall-clock `value` as a moment of `zone`.

    Raise ValidationError (code "skipped_time" or "repeated_time") for a time
    the zone skips or repeats that day. An aware `value` is returned as it is.
    """
    if value.tzinfo is not None:
        return value
    first = value.replace(tzinfo=zone, fold=0)
    before = first.utcoffset()
    after = value.replace(tzinfo=zone, fold=1).utcoffset()
    if before == after or before is None or after is None:
        return first
    change = _transition(value, zone, before, after)
    skipped = after > before
    raise ValidationError(
        SKIPPED if skipped else REPEATED,
        code="skipped_time" if skipped else "repeated_time",
        params={
            "time": formats.time_format(value.time(), "TIME_FORMAT"),
            "date": formats.date_format(value.date(), "DATE_FORMAT"),
            "zone": getattr(zone, "key", None) or str(zone),
            "before": formats.time_format((change + before).time(), "TIME_FORMAT"),
            "after": formats.time_format((change + after).time(), "TIME_FORMAT"),
        },
    )


def _transition(
    value: datetime, zone: tzinfo, before: timedelta, after: timedelta
) -> datetime:
    """Return the naive UTC moment at which `zone` goes from `before` to `after`.

    It lies between `value` read with either offset; the offset in force is
    `before` up to it and `after` from it on, so halving finds it to the second.
    """
    early, late = value - max(before, after), value - min(before, after)
    while late - early > timedelta(seconds=1):
        middle = early + (late - early) / 2
        offset = middle.replace(tzinfo=UTC).astimezone(zone).utcoffset()
        if offset == before:
            early = middle
        else:
            late = middle
    return late.replace(microsecond=0)
