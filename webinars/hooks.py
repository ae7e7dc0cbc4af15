"""Extension points of the webinars app (see organizers.hooks for the pattern).

Higher apps register receivers in their AppConfig.ready().
"""

from collections.abc import Callable

from organizers.hooks import Hook
from organizers.models import Organizer
from webinars.models import Webinar, WebinarMember

member_added_handlers: Hook[Callable[[WebinarMember], object]] = Hook(
    "webinars.member_added_handlers",
    """A co-organizer or panelist was added to a webinar.

    Called by webinars.services.add_member after commit with the WebinarMember.
    The registrations app gives the member a free registration and join link.
    """,
)

webinar_panels: Hook[Callable[..., dict | None]] = Hook(
    "webinars.webinar_panels",
    """Panels on a webinar's console page, in registration order.

    Called by webinars.views.webinar_detail with (request, webinar); each
    receiver returns {"template": ..., "context": {...}} or None to show nothing;
    an optional "section" puts the panel in that section of the page
    ("recordings", "settings"; default "overview").
    The receiver must check nothing more than the page already did (the
    organizer may manage the webinar).
    """,
)

dashboard_warning_providers: Hook[Callable[[Organizer], list[str]]] = Hook(
    "webinars.dashboard_warning_providers",
    """Warnings at the top of the organizer's dashboard.

    Called by webinars.views.dashboard with the current Organizer; each
    receiver returns a list of texts (already translated), possibly empty.
    """,
)

seed_demo_extensions: Hook[Callable[..., None]] = Hook(
    "webinars.seed_demo_extensions",
    """Demo data of higher apps, added by `manage.py seed_demo`.

    Called inside webinars.demo.seed_demo's transaction with keyword arguments account,
    admin, organizer and webinars (a dict title -> Webinar). Must be idempotent:
    seed_demo runs at every `make run`. Receivers run in app order, so a later
    app may rely on an earlier one's demo data (pricing relies on the demo
    Stripe connection).
    """,
)

seed_demo_report: Hook[Callable[..., list[str]]] = Hook(
    "webinars.seed_demo_report",
    """Lines seed_demo prints after seeding, called with account=...

    Each receiver returns a list of lines (logins, URLs, test cards).
    """,
)

recording_sale_checks: Hook[Callable[[Webinar], bool]] = Hook(
    "webinars.recording_sale_checks",
    """Whether the registration page sells a recording of the webinar now.

    Each receiver takes a Webinar and returns True when the registration page
    sells a replay or an on-demand video (the recordings app). Used by the
    organizer's preview and the console's warnings, which may not import the
    recordings app.
    """,
)


def sells_recording(webinar: Webinar) -> bool:
    """Tell whether a receiver of recording_sale_checks sells the webinar's video."""
    return any(check(webinar) for check in recording_sale_checks)


dashboard_facts_providers: Hook[Callable[[list[Webinar]], dict[int, dict]]] = Hook(
    "webinars.dashboard_facts_providers",
    """Per-webinar facts of higher apps for the dashboard's table.

    Called by webinars.dashboard.dashboard_rows with the list of webinars shown;
    each receiver returns {webinar_id: {fact: value}} in a fixed number of
    queries whatever the number of webinars. Facts the dashboard reads:
    "sold" (int: seats taken), "sold_by_session" ({session_id or None: int}:
    the same seats per chosen session), "revenue" (list of formatted amounts,
    one per currency, never added across currencies), "price" (formatted
    text: what a registrant pays now, the running early-bird tier's price
    during one), "price_until" (datetime or None: when that tier ends),
    "regular_price" (formatted text while a tier runs, else ""),
    "price_state" ("free", "paid", "unavailable"), "sells_recording" (bool).
    """,
)
