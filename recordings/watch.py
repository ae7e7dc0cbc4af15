"""Watch grants: who may watch which recording, their links, and each view."""

from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from recordings import tokens
from recordings.errors import RecordingError
from recordings.models import PostSessionVideo, Recording, WatchGrant
from recordings.videos import recording_for_registrant, replay_recording, video_for
from registrations.models import Registrant
from registrations.purchase import format_moment
from webinars.models import Session


def grant_watch(*, registrant: Registrant, recording: Recording) -> WatchGrant:
    """Return the registrant's grant for the recording, creating it once."""
    if recording.account_id != registrant.webinar.account_id:
        raise RecordingError(_("This recording belongs to another account."))
    grant, _created = WatchGrant.objects.get_or_create(
        registrant=registrant, recording=recording
    )
    return grant


def session_grant(registrant: Registrant, session: Session) -> WatchGrant | None:
    """Return the registrant's grant for the session's post-session video."""
    if registrant.status != Registrant.Status.CONFIRMED:
        return None
    video = video_for(webinar=registrant.webinar, session=session)
    if video is None or not video.recording.is_available():
        return None
    return grant_watch(registrant=registrant, recording=video.recording)


def replay_grant(registrant: Registrant) -> WatchGrant | None:
    """Return the grant of a confirmed replay or on-demand registrant, if any."""
    if registrant.status != Registrant.Status.CONFIRMED:
        return None
    recording = recording_for_registrant(registrant)
    if recording is None:
        return None
    return grant_watch(registrant=registrant, recording=recording)


def grant_on_confirmation(registrant: Registrant) -> WatchGrant | None:
    """The registrations hook: a confirmed replay buyer gets the grant at once."""
    if not _has_videos(registrant.webinar_id):
        # Most confirmations come before any video is attached.
        return None
    return replay_grant(registrant)


def _has_videos(webinar_id: int, memo: dict | None = None) -> bool:
    """PostSessionVideo.objects.filter(webinar_id=webinar_id).exists(), plain SQL.

    Every video a registrant may watch is attached to their webinar (the
    webinar's own, or a session's), so without one there is nothing to grant
    nor to link. Every confirmation and its email ask, mostly before any
    video exists: building replay_recording's query with the ORM cost more
    than running this one. `memo`: a batch of emails' dict (see
    watch_link), where the answer is kept for the rest of the batch.
    """
    key = ("recordings.has_videos", webinar_id)
    if memo is not None and key in memo:
        return memo[key]
    table = connection.ops.quote_name(PostSessionVideo._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {table} WHERE webinar_id = %s LIMIT 1",  # noqa: S608
            [webinar_id],
        )
        found = cursor.fetchone() is not None
    if memo is not None:
        memo[key] = found
    return found


def watch_link(
    registrant: Registrant, session: Session | None, memo: dict | None = None
) -> str | None:
    """The emails' watch_link_providers hook.

    With a session: the personal link to that session's post-session video.
    Without one (a confirmation): the replay or on-demand video the
    registrant bought. For the console's unsaved sample registrant (email
    previews): a placeholder link when the email would carry one. `memo`:
    the batch's dict, if any: whether the webinar has videos is asked once
    per batch.
    """
    if registrant.pk is None:
        return sample_watch_link(registrant, session)
    if not _has_videos(registrant.webinar_id, memo):
        # Every confirmation email asks, mostly before any video exists.
        return None
    if session is None:
        grant = replay_grant(registrant)
    else:
        grant = session_grant(registrant, session)
    return f"{settings.SITE_URL}{grant.get_absolute_url()}" if grant else None


# The token of the placeholder watch link in the console's email previews.
PREVIEW_WATCH_TOKEN = "PREVIEW-watch-link-token"  # noqa: S105 - not a secret


def sample_watch_link(registrant: Registrant, session: Session | None) -> str | None:
    """A placeholder watch link for a preview, when a video would be linked."""
    webinar = registrant.webinar
    if session is None:
        recording = replay_recording(webinar)
    else:
        video = video_for(webinar=webinar, session=session)
        recording = video.recording if video else None
    if recording is None or not recording.is_available():
        return None
    path = reverse("recordings:watch", args=[PREVIEW_WATCH_TOKEN])
    return f"{settings.SITE_URL}{path}"


def check_grant(grant: WatchGrant, *, at: datetime | None = None) -> None:
    """Raise RecordingError saying why the grant cannot be used now."""
    at = at or timezone.now()
    registrant = grant.registrant
    recording = grant.recording
    if registrant.status == Registrant.Status.REFUNDED:
        raise RecordingError(
            _("Your registration was refunded, so this link no longer works.")
        )
    if registrant.status == Registrant.Status.CANCELLED:
        raise RecordingError(
            _("Your registration was cancelled, so this link no longer works.")
        )
    if registrant.status != Registrant.Status.CONFIRMED:
        raise RecordingError(_("Your registration is not confirmed."))
    if not recording.is_published:
        raise RecordingError(_("The organizer has withdrawn this recording."))
    if recording.available_until is not None and at >= recording.available_until:
        raise RecordingError(
            _("This recording was available until %(date)s.")
            % {
                "date": format_moment(
                    recording.available_until,
                    registrant.webinar,
                    translation.get_language() or settings.LANGUAGE_CODE,
                )
            }
        )
    if (
        grant.first_viewed_at is None
        and recording.views_used() >= recording.effective_view_limit
    ):
        raise RecordingError(
            _("This recording has reached the number of viewers it allows.")
        )


def admit_view(*, grant: WatchGrant) -> WatchGrant:
    """Check the grant and count its first view against the view limit."""
    with transaction.atomic():
        # The recording row is the view-limit counter's lock: two first
        # views at once cannot both take the last place.
        Recording.objects.select_for_update().filter(pk=grant.recording_id).first()
        grant = WatchGrant.objects.select_related(
            "registrant__webinar", "recording__account"
        ).get(pk=grant.pk)
        check_grant(grant)
        now = timezone.now()
        grant.first_viewed_at = grant.first_viewed_at or now
        grant.last_viewed_at = now
        WatchGrant.objects.filter(pk=grant.pk).update(
            first_viewed_at=grant.first_viewed_at, last_viewed_at=now
        )
    return grant


def media_grant(
    value: str, *, device_of: Callable[[Registrant], str | None]
) -> WatchGrant:
    """Return the grant of a media token, still valid, on the device it names.

    ``device_of`` returns the device id the request carries for a registrant
    (the signed device cookie), or None.
    """
    grant, signed_device = tokens.media_grant(value)
    device_id = device_of(grant.registrant)
    if not device_id or signed_device != device_id:
        raise RecordingError(_("This video link is not valid on this device."))
    check_grant(grant)
    return grant
