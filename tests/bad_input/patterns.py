"""Every URL pattern of the project, and real URLs built from them.

The walk reads Django's resolver, so a new pattern is covered as soon as it is
routed. Each pattern's kwargs are filled from `KWARG_SOURCES` (by URL name and
kwarg, then by kwarg alone); a kwarg with no source makes the run fail with a
message naming the pattern and the mapping to add.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils.regex_helper import normalize

from tests.bad_input.world import World

# Hostile path values, sent for every kwarg whatever its source.
HOSTILE_INT_KWARGS = ["0", str(2**31), str(2**63), str(10**30)]
HOSTILE_STR_KWARGS = [
    "0",
    "x" * 5000,
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "a%00b",
    "..%2F..%2Fsettings",
    "%C3%A9t%C3%A9",
]


@dataclass
class Pattern:
    """One routed view: its full route, name and kwargs."""

    route: str  # e.g. "console/webinars/<int:pk>/" (for reading)
    name: str  # "namespace:name", or the route when unnamed
    callback: Callable
    parts: list[Any]  # the RoutePattern/RegexPattern of each level
    kwargs: list[str] = field(default_factory=list)
    int_kwargs: set[str] = field(default_factory=set)

    @property
    def area(self) -> str:
        """Who visits it: "admin" (superuser), "console" (account admin), "public"."""
        if self.route.startswith("admin/"):
            return "admin"
        if self.route.startswith("console/"):
            return "console"
        return "public"

    def url(self, values: dict[str, str]) -> str:
        """Return the path of this pattern with `values` (already URL-safe)."""
        path = ""
        for part in self.parts:
            regex = part.regex.pattern
            candidates = normalize(regex)
            fmt, params = candidates[0]
            for candidate, names in candidates:
                if set(names) <= set(values):
                    fmt, params = candidate, names
                    break
            path += fmt % {name: values[name] for name in params}
        return "/" + path


def walk(
    patterns: list, prefix: list | None = None, namespace: str = ""
) -> list[Pattern]:
    found = []
    for entry in patterns:
        parts = [*(prefix or []), entry.pattern]
        if isinstance(entry, URLResolver):
            space = namespace
            if entry.namespace:
                space = f"{namespace}{entry.namespace}:"
            found.extend(walk(entry.url_patterns, parts, space))
        elif isinstance(entry, URLPattern):
            route = "".join(str(p) for p in parts)
            kwargs, int_kwargs = [], set()
            for part in parts:
                if isinstance(part, RoutePattern):
                    for name, converter in part.converters.items():
                        kwargs.append(name)
                        if converter.regex == "[0-9]+":
                            int_kwargs.add(name)
                elif isinstance(part, RegexPattern):
                    kwargs.extend(part.regex.groupindex)
            name = f"{namespace}{entry.name}" if entry.name else route
            found.append(
                Pattern(route, name, entry.callback, parts, kwargs, int_kwargs)
            )
    return found


def all_patterns() -> list[Pattern]:
    return walk(get_resolver().url_patterns)


# -- Kwarg sources -------------------------------------------------------------
# A source takes the world (and the pattern) and returns one valid value.
Source = Callable[[World, Pattern], Any]


def admin_model(pattern: Pattern) -> Any:
    """The model of an admin URL: admin/<app_label>/<model_name>/..."""
    parts = pattern.route.split("/")
    if len(parts) > 3:
        for model in apps.get_models():
            meta = model._meta
            if parts[1:3] == [meta.app_label, meta.model_name]:
                return model
    return None


def admin_object_id(world: World, pattern: Pattern) -> Any:
    if pattern.name == "admin:view_on_site":
        return world.webinar.pk
    model = admin_model(pattern)
    if model is None:
        return None
    row = model._default_manager.order_by("pk").first()
    return None if row is None else row.pk


def admin_app_label(world: World, pattern: Pattern) -> str:
    return "webinars"


def admin_content_type(world: World, pattern: Pattern) -> int:
    return world.content_type_id


def by_pattern_pk(world: World, pattern: Pattern) -> Any:
    """`pk` names a different object depending on where it is routed."""
    if pattern.route.startswith("console/stripe/"):
        return world.connection.pk
    if pattern.route.startswith("console/recordings/"):
        return world.recording.pk
    return world.webinar.pk


def by_token(world: World, pattern: Pattern) -> str:
    """`token` names a join, cancel, unsubscribe, watch, invite or waitlist token."""
    route = pattern.route
    if route.startswith("join/"):
        return world.registrant.join_token
    if route.startswith("cancel/"):
        return world.registrant.cancel_token
    if route.startswith("emails/unsubscribe/"):
        return world.unsubscribe_token
    if route.startswith("watch/"):
        return world.grant.token
    if route.startswith("invite/"):
        return world.invite_token
    if route.startswith("waitlist/offer/"):
        return world.waitlist_entry.offer_token
    if route.startswith("waitlist/"):
        return world.waitlist_entry.leave_token
    return None


# (URL name, kwarg) first, then kwarg alone. Add a line here for a new kwarg.
KWARG_SOURCES: dict[tuple[str, str] | str, Source] = {
    "pk": by_pattern_pk,
    "token": by_token,
    "key": lambda w, p: w.webinar.registration_key,
    "session_pk": lambda w, p: w.session.pk,
    "member_pk": lambda w, p: w.member.pk,
    "question_id": lambda w, p: w.question_id,
    "tier_pk": lambda w, p: w.tier.pk,
    "code_pk": lambda w, p: w.code.pk,
    "registrant_pk": lambda w, p: w.registrant.pk,
    "entry_pk": lambda w, p: w.waitlist_entry.pk,
    ("registrations:waitlist_action", "action"): lambda w, p: "offer",
    "request_pk": lambda w, p: w.refund_request.pk,
    "video_pk": lambda w, p: w.video.pk,
    "kind": lambda w, p: "confirmation",
    "language": lambda w, p: "en",
    "action": lambda w, p: "resend",
    "signed": lambda w, p: w.media_token,
    "uidb64": lambda w, p: w.invite_uid,
    "name": lambda w, p: w.outbox_name,
    # The Stripe sandbox mount: its hosted checkout page (a form) and its API.
    ("stripe-sandbox", "path"): lambda w, p: f"c/pay/{w.checkout_session_id}",
    # Django's admin.
    "object_id": admin_object_id,
    "id": admin_object_id,
    "app_label": admin_app_label,
    "content_type_id": admin_content_type,
    "url": lambda w, p: "nothing-here/",
    # The REST API and its console pages.
    "webinar_id": lambda w, p: w.webinar.pk,
    "registrant_id": lambda w, p: w.registrant.pk,
    "rest": lambda w, p: "nothing-here/",
    ("api:webhook_resend", "pk"): lambda w, p: w.endpoint.pk,
    "delivery_pk": lambda w, p: w.delivery.pk,
}

# Further valid values of some kwargs (every one is requested, with hostile
# values for the other fields).
EXTRA_KWARG_VALUES: dict[tuple[str, str], list[str]] = {
    ("stripe-sandbox", "path"): [
        "v1/accounts",
        "v1/checkout/sessions",
        "oauth/authorize",
        "oauth/token",
        "_sandbox/state",
    ],
}


class UnfilledPattern(Exception):
    """A pattern whose kwargs the bad-input test has no value for."""


def source_for(pattern: Pattern, kwarg: str) -> Source | None:
    return KWARG_SOURCES.get((pattern.name, kwarg)) or KWARG_SOURCES.get(kwarg)


def fill(world: World, pattern: Pattern) -> list[str]:
    """Return the real URLs of a pattern (one per value set of its kwargs)."""
    values = {}
    for kwarg in pattern.kwargs:
        source = source_for(pattern, kwarg)
        value = source(world, pattern) if source else None
        if value is None:
            raise UnfilledPattern(
                f"{pattern.route} ({pattern.name}): no value for <{kwarg}>. Add a "
                f"source to KWARG_SOURCES in tests/bad_input/patterns.py (or create "
                f"the object it needs in tests/bad_input/world.py)."
            )
        values[kwarg] = str(value)
    urls = [pattern.url(values)]
    for kwarg in pattern.kwargs:
        for extra in EXTRA_KWARG_VALUES.get((pattern.name, kwarg), []):
            urls.append(pattern.url({**values, kwarg: extra}))
    for url in urls:
        match = resolve(url.split("?")[0])
        if match.func is not pattern.callback:
            raise UnfilledPattern(
                f"{pattern.route} ({pattern.name}): the built URL {url[:200]} "
                f"resolves to {match.view_name}; fix its source in "
                f"tests/bad_input/patterns.py."
            )
    return urls


def hostile_urls(
    world: World, pattern: Pattern, done: set[tuple[str, str]]
) -> list[tuple[str, str]]:
    """Return (kwarg, URL) pairs with one kwarg hostile and the others valid.

    Django's admin views read their kwargs the same way for every model: the
    hostile values go to the first model's view of each kind (change, delete,
    history...), `done` keeping the (view, kwarg) pairs already sent.
    """
    values = {}
    for kwarg in pattern.kwargs:
        source = source_for(pattern, kwarg)
        values[kwarg] = str(source(world, pattern))
    result = []
    for kwarg in pattern.kwargs:
        if pattern.area == "admin" and admin_model(pattern) is not None:
            key = (pattern.name.rsplit("_", 1)[-1], kwarg)
            if key in done:
                continue
            done.add(key)
        hostile = (
            HOSTILE_INT_KWARGS if kwarg in pattern.int_kwargs else HOSTILE_STR_KWARGS
        )
        for value in hostile:
            result.append((kwarg, pattern.url({**values, kwarg: value})))
    return result
