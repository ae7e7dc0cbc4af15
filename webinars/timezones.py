"""The IANA time zones a webinar may use, and how the console lists them.

One rule for every door: `webinars.models.validate_timezone` accepts any zone
the IANA database on this machine knows; the console's select offers the zones
named after a place (Europe/Paris), grouped by region. The older aliases
(US/Eastern, EST5EDT, Etc/GMT+5) stay valid, so a webinar that has one keeps it.
"""

import zoneinfo
from functools import cache

# The regions of the IANA database whose zones are named after a place.
REGIONS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)

Choices = list[tuple[str, str | list[tuple[str, str]]]]


@cache
def known_timezones() -> frozenset[str]:
    """Return every zone name the IANA database knows (read from disk once)."""
    return frozenset(zoneinfo.available_timezones())


@cache
def _offered() -> tuple[tuple[str, tuple[str, ...]], ...]:
    by_region: dict[str, list[str]] = {region: [] for region in REGIONS}
    for name in known_timezones():
        region = name.split("/", 1)[0]
        if region in by_region and "/" in name:
            by_region[region].append(name)
    return tuple(
        (region, tuple(sorted(names))) for region, names in by_region.items() if names
    )


def timezone_choices(*kept: str) -> Choices:
    """Return the select's choices: UTC, then each region's zones, sorted.

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
        (region, [(name, name) for name in names]) for region, names in _offered()
    ]
    return choices
