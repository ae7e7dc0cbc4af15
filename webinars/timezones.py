"""The IANA time zones a webinar may use, and how the console lists them.

One rule for every door: `webinars.models.validate_timezone` accepts any zone
the IANA database on this machine knows; the console's select offers the zones
named after a place (Europe/Paris), grouped by region: where the database
has its `zone.tab` (every zone of every country, one name each), those only,
so an old name of the same place (Asia/Calcutta beside Asia/Kolkata) is not
offered twice. The older aliases (US/Eastern, EST5EDT, Etc/GMT+5,
Asia/Calcutta) stay valid, so a webinar that has one keeps it.
"""

import zoneinfo
from functools import cache
from pathlib import Path

from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

# The regions of the IANA database whose zones are named after a place, with
# the select's label for each (the zone names themselves are never translated).
REGIONS = {
    "Africa": pgettext_lazy("time zone region", "Africa"),
    "America": pgettext_lazy("time zone region", "America"),
    "Antarctica": pgettext_lazy("time zone region", "Antarctica"),
    "Arctic": pgettext_lazy("time zone region", "Arctic"),
    "Asia": pgettext_lazy("time zone region", "Asia"),
    "Atlantic": pgettext_lazy("time zone region", "Atlantic"),
    "Australia": pgettext_lazy("time zone region", "Australia"),
    "Europe": pgettext_lazy("time zone region", "Europe"),
    # Indian/Maldives, Indian/Reunion: the Indian Ocean, not India.
    "Indian": pgettext_lazy("time zone region", "Indian"),
    "Pacific": pgettext_lazy("time zone region", "Pacific"),
}

Choices = list[tuple[str | Promise, str | list[tuple[str, str]]]]


@cache
def known_timezones() -> frozenset[str]:
    """Return every zone name the IANA database knows (read from disk once)."""
    return frozenset(zoneinfo.available_timezones())


def _countries_zones() -> frozenset[str]:
    """The zones `zone.tab` lists (its third column); empty without the file."""
    for directory in zoneinfo.TZPATH:
        table = Path(directory) / "zone.tab"
        if table.is_file():
            return frozenset(
                line.split("\t")[2].strip()
                for line in table.read_text(encoding="utf-8").splitlines()
                if line and not line.startswith("#") and line.count("\t") >= 2
            )
    return frozenset()


@cache
def _offered() -> tuple[tuple[str, tuple[str, ...]], ...]:
    by_region: dict[str, list[str]] = {region: [] for region in REGIONS}
    listed = _countries_zones()
    for name in known_timezones():
        region = name.split("/", 1)[0]
        if listed and name not in listed:
            continue
        if region in by_region and "/" in name:
            by_region[region].append(name)
    return tuple(
        (region, tuple(sorted(names))) for region, names in by_region.items() if names
    )


def timezone_choices(*kept: str) -> Choices:
    """Return the select's choices: UTC, then each region's zones, sorted.

    A region's label is translated into the active language when the select
    is drawn; its zones keep their IANA names as values and labels.

    `kept` are zones to list too when the groups lack them (a webinar's alias
    such as US/Eastern), so that a form shows the value it was given.
    """
    offered = {name for _region, names in _offered() for name in names}
    extra = sorted(
        {name for name in kept if name in known_timezones()} - offered - {"UTC"}
    )
    choices: Choices = [("UTC", "UTC")]
    choices += [(name, name) for name in extra]
    choices += [
        (REGIONS[region], [(name, name) for name in names])
        for region, names in _offered()
    ]
    return choices
