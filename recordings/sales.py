"""Replay and on-demand sales: the registration mode and the replay's price."""

from datetime import datetime

from django.utils.translation import gettext as _

from organizers.models import Organizer
from recordings.models import PostSessionVideo, ReplayOffer
from recordings.videos import replay_recording
from registrations.hooks import RegistrationMode
from webinars.models import Webinar


def set_replay_price(*, webinar: Webinar, amount: int | None) -> ReplayOffer:
    """Sell the replay at ``amount`` (minor units), or at the webinar's price."""
    offer, _created = ReplayOffer.objects.update_or_create(
        webinar=webinar, defaults={"amount": amount}
    )
    return offer


def replay_amount(webinar: Webinar) -> int | None:
    """Return the replay's own price in minor units; None: the webinar's price."""
    offer = ReplayOffer.objects.filter(webinar=webinar).first()
    return offer.amount if offer else None


def available_until(webinar: Webinar) -> datetime | None:
    """The registrations hook: until when the video sold can be watched."""
    recording = replay_recording(webinar)
    return recording.available_until if recording is not None else None


def unsold_reason(webinar: Webinar) -> str | None:
    """The registrations hook: why an attached video is not for sale, or None."""
    if webinar.cancelled_at is not None:
        return None
    recording = replay_recording(webinar)
    if recording is None:
        return None
    if not recording.is_available():
        return _("Its recording is no longer available.")
    if recording.grants.count() >= recording.effective_view_limit:
        return _(
            "Its recording has reached the number of viewers the organizer allows."
        )
    return None


def _has_upcoming(webinar: Webinar) -> bool:
    """An upcoming session that is not cancelled; read by the start's lock query."""
    known = getattr(webinar, "has_upcoming", None)
    if known is not None:
        return known
    return webinar.sessions.active().upcoming().exists()


def registration_mode(webinar: Webinar) -> RegistrationMode | None:
    """The registrations hook: sell the replay or the on-demand video, if any.

    A replay is sold once no live session is left to register for and a
    recording is attached, available, and has viewer places left: nobody
    pays for a video they could not watch.
    """
    if webinar.cancelled_at is not None:
        return None
    if webinar.kind != Webinar.Kind.ON_DEMAND and _has_upcoming(webinar):
        return None
    recording = replay_recording(webinar)
    if recording is None or not recording.is_available():
        return None
    if recording.grants.count() >= recording.effective_view_limit:
        return None
    if webinar.kind == Webinar.Kind.ON_DEMAND:
        return RegistrationMode(
            kind="on_demand",
            notice=_(
                "On demand: you can watch the video right after registering; "
                "the link comes by email and on the next page."
            ),
            amount=replay_amount(webinar),
        )
    return RegistrationMode(
        kind="replay",
        notice=_(
            "This webinar is over: registering gives you its recording, to "
            "watch right away."
        ),
        amount=replay_amount(webinar),
    )


def sells_recording(webinar: Webinar) -> bool:
    """The webinars hook: the registration page sells a replay or on-demand video."""
    return registration_mode(webinar) is not None


def on_demand_warnings(organizer: Organizer) -> list[str]:
    """Dashboard warnings: on-demand webinars that cannot be sold (no video)."""
    webinars = Webinar.objects.visible_to(organizer).filter(
        kind=Webinar.Kind.ON_DEMAND, cancelled_at__isnull=True
    )
    return [
        _(
            "“%(title)s” is on demand but has no video to watch: registration is "
            "closed until you attach a published video to all sessions."
        )
        % {"title": webinar.title}
        for webinar in webinars
        if registration_mode(webinar) is None
    ]


def dashboard_facts(webinars: list[Webinar]) -> dict[int, dict]:
    """webinars.dashboard_facts_providers: on-demand webinars with a video (1 query).

    The dashboard's "draft" for an on-demand webinar without an available
    webinar-wide video; the view limit is left to the registration page.
    """
    ids = [w.pk for w in webinars if w.kind == Webinar.Kind.ON_DEMAND]
    if not ids:
        return {}
    videos = PostSessionVideo.objects.filter(
        webinar_id__in=ids, session__isnull=True
    ).select_related("recording")
    selling = {v.webinar_id for v in videos if v.recording.is_available()}
    return {pk: {"sells_recording": pk in selling} for pk in ids}
