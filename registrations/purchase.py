"""What a registrant bought, and the cancellation terms that go with it.

A live registration (one session, or every session of a series) has dates,
a join link, a calendar and a cancellation offer under the refund policy. A
replay (registered once the live sessions were over) and an on-demand video
have none of these: the recording is theirs at once, and no refund applies.
"""

from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from registrations import hooks
from registrations.models import Registrant
from registrations.moments import moment_text
from registrations.refunds.policy import policy_text, refund_deadline
from webinars.models import Session, Webinar
from webinars.templatetags.console_time import zone_label

LIVE = "live"
REPLAY = "replay"
ON_DEMAND = "on_demand"


def purchase_kind(
    registrant: Registrant, *, sessions: Iterable[Session] | None = None
) -> str:
    """Return "live", "replay" or "on_demand" for what the registrant bought.

    `sessions`: every session of the webinar, when the caller has them (an
    email batch keeps them), so they are not asked for again.
    """
    webinar = registrant.webinar
    if webinar.kind == Webinar.Kind.ON_DEMAND:
        return ON_DEMAND
    if registrant.session_id:
        return LIVE
    at = registrant.created_at or timezone.now()
    # A session still to come when they registered (and not cancelled by then).
    if sessions is not None:
        live_left = any(
            session.ends_at >= at
            and (session.cancelled_at is None or session.cancelled_at > at)
            for session in sessions
        )
    else:
        live_left = (
            webinar.sessions.filter(ends_at__gte=at)
            .exclude(cancelled_at__lte=at)
            .exists()
        )
    return LIVE if live_left else REPLAY


def sells_recording(kind: str) -> bool:
    return kind in (REPLAY, ON_DEMAND)


def format_moment(moment: datetime, webinar: Webinar, language: str) -> str:
    """Return e.g. 'Tuesday, 2 June 2026, 2:00 pm (Europe/Paris, UTC+02:00)'."""
    text = moment_text(moment, webinar, language)
    return f"{text} ({zone_label(webinar.timezone, moment)})"


def page_policy(webinar: Webinar, *, recording_sold: bool) -> str:
    """The refund policy the registration page states next to the price."""
    if recording_sold:
        return _("No refund: the recording is yours as soon as you register.")
    return policy_text(webinar)


def cancel_terms(
    registrant: Registrant, language: str, *, kind: str | None = None
) -> str:
    """The policy as it applies to this registrant, with its deadline; "" if free.

    `kind`: the registrant's purchase_kind, when the caller knows it.
    """
    webinar = registrant.webinar
    if not registrant.amount:
        return ""
    if sells_recording(kind or purchase_kind(registrant)):
        return page_policy(webinar, recording_sold=True)
    deadline = refund_deadline(registrant)
    if deadline is None or webinar.refund_policy == Webinar.RefundPolicy.NONE:
        return policy_text(webinar)
    when = format_moment(deadline, webinar, language)
    if webinar.refund_policy == Webinar.RefundPolicy.PERCENT_UNTIL:
        return _(
            "%(percent)s%% of the price is refunded if you cancel by %(when)s; "
            "no refund after that."
        ) % {"percent": webinar.refund_percent, "when": when}
    return _("Full refund if you cancel by %(when)s; no refund after that.") % {
        "when": when
    }


def available_until(webinar: Webinar, language: str) -> str:
    """When the video sold stops being watchable, for people; "" when never."""
    until = hooks.recording_available_until(webinar)
    return format_moment(until, webinar, language) if until else ""
