"""The refund policy an organizer set: its sentence and a registrant's deadline."""

from datetime import datetime, timedelta

from django.utils.translation import gettext as _

from registrations.models import Registrant
from webinars.models import Session, Webinar


def policy_text(webinar: Webinar) -> str:
    """Return the webinar's refund policy in one sentence."""
    policy = webinar.refund_policy
    hours = webinar.refund_hours_before
    if policy == Webinar.RefundPolicy.FULL_UNTIL:
        return _(
            "Full refund if you cancel up to %(hours)s hours before the session."
        ) % {"hours": hours}
    if policy == Webinar.RefundPolicy.PERCENT_UNTIL:
        return _(
            "%(percent)s%% refunded if you cancel up to %(hours)s hours "
            "before the session."
        ) % {"percent": webinar.refund_percent, "hours": hours}
    return _("No refund on cancellation.")


def policy_session(registrant: Registrant) -> Session | None:
    """Return the session the policy counts from: theirs, or the first one."""
    if registrant.session_id:
        return registrant.session
    return registrant.webinar.sessions.active().order_by("starts_at").first()


def refund_deadline(registrant: Registrant) -> datetime | None:
    """Return the last moment a cancellation is refunded under the policy."""
    webinar = registrant.webinar
    if webinar.refund_policy == Webinar.RefundPolicy.NONE:
        return None
    session = policy_session(registrant)
    if session is None:
        return None
    return session.starts_at - timedelta(hours=webinar.refund_hours_before)
