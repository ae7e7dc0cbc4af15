"""Why a registration page takes no registration, and what the visitor can do.

The page states one notice: cancelled, over (and why its recording is not
sold), no session yet, full, or temporarily unavailable; each with the
registrant's way forward.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from registrations import hooks
from webinars.models import Session, Webinar


@dataclass(frozen=True)
class ClosedNotice:
    code: str
    headline: str
    reason: str
    advice: str


def closed_notice(
    webinar: Webinar,
    *,
    sessions: list[Session],
    sells_recording: bool,
    closed: bool,
    unavailable: bool,
    full: bool,
) -> ClosedNotice | None:
    """Return the notice of a page that takes no registration, or None if open."""
    registered = _(
        "Already registered? Your confirmation email has your personal link."
    )
    if webinar.cancelled_at is not None:
        return ClosedNotice(
            "cancelled",
            _("This webinar is cancelled: registration is closed."),
            "",
            _(
                "If you registered, you get an email about the cancellation "
                "and any refund due."
            ),
        )
    if closed or (
        webinar.kind == Webinar.Kind.ON_DEMAND
        and not sells_recording
        and hooks.recording_unsold_reason(webinar)
    ):
        return _closed_without_sessions(webinar, registered)
    if unavailable:
        return ClosedNotice(
            "unavailable",
            _("Registration is temporarily unavailable. Please come back later."),
            "",
            "",
        )
    if full:
        return ClosedNotice(
            "full",
            _("This webinar is full."),
            _("Every session is full.") if webinar.is_series and sessions else "",
            _(
                "Seats free up when registrants cancel or do not finish paying: "
                "come back later."
            ),
        )
    return None


def _closed_without_sessions(webinar: Webinar, registered: str) -> ClosedNotice:
    unsold = hooks.recording_unsold_reason(webinar)
    if webinar.kind == Webinar.Kind.ON_DEMAND:
        return ClosedNotice(
            "unsold",
            _("Registration for this webinar is closed."),
            unsold or _("Its video is not available yet."),
            registered,
        )
    ended = webinar.sessions.filter(cancelled_at__isnull=True).exists()
    if ended:
        return ClosedNotice(
            "over",
            _("Registration for this webinar is closed."),
            " ".join(filter(None, [_("This webinar is over."), unsold])),
            registered,
        )
    return ClosedNotice(
        "no_session",
        _("Registration is not open yet."),
        _("No session is scheduled yet."),
        _(
            "Come back later: registration opens once the organizer schedules "
            "a session."
        ),
    )
