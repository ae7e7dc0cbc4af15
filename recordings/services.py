"""Recording library, post-session videos and watch grants."""

import logging
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.core import signing
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from organizers.models import Organizer
from recordings import probe
from recordings.models import PostSessionVideo, Recording, ReplayOffer, WatchGrant
from registrations.hooks import RegistrationMode
from registrations.models import Registrant
from webinars.models import Session, Webinar

logger = logging.getLogger(__name__)

MEDIA_SALT = "recordings.media"


class RecordingError(Exception):
    """A recording operation that cannot be done; the message is safe to show."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


# Library ---------------------------------------------------------------------


def validate_upload(uploaded: UploadedFile) -> str:
    """Check size and content of an upload; return its video content type."""
    limit = settings.RECORDING_MAX_UPLOAD_BYTES
    if not uploaded.size:
        raise RecordingError(_("The file is empty."))
    if uploaded.size > limit:
        raise RecordingError(
            _("The file is too large: the limit is %(size)s.")
            % {"size": human_size(limit)}
        )
    content_type = probe.sniff_content_type(uploaded)
    if content_type is None:
        raise RecordingError(
            _("This file is not a video we can play (MP4, WebM or Ogg).")
        )
    return content_type


def check_session(
    *, organizer: Organizer, webinar: Webinar | None, session: Session | None
) -> tuple[Webinar | None, Session | None]:
    """Return the webinar and session a recording is for, refusing foreign ones."""
    if session is not None:
        if webinar is not None and session.webinar_id != webinar.pk:
            raise RecordingError(_("This session does not belong to the webinar."))
        webinar = session.webinar
    if webinar is not None and not webinar.can_be_managed_by(organizer):
        raise RecordingError(_("You cannot add recordings to this webinar."))
    return webinar, session


def upload_recording(
    *,
    organizer: Organizer,
    uploaded: UploadedFile,
    title: str,
    webinar: Webinar | None = None,
    session: Session | None = None,
    duration_seconds: int | None = None,
) -> Recording:
    """Store an uploaded video in the library (and auto-attach it if asked).

    The file is copied to storage in chunks before the transaction: storage
    may be a network service, and no lock is held while it uploads.
    """
    content_type = validate_upload(uploaded)
    webinar, session = check_session(
        organizer=organizer, webinar=webinar, session=session
    )
    if duration_seconds is None:
        duration_seconds = probe.probe_duration(uploaded, content_type)
    recording = Recording(
        account=organizer.account,
        uploaded_by=organizer,
        webinar=webinar,
        session=session,
        title=title.strip() or uploaded.name or _("Recording"),
        content_type=content_type,
        size=uploaded.size,
        duration_seconds=duration_seconds,
    )
    name = f"upload{probe.EXTENSIONS[content_type]}"
    recording.file.save(name, uploaded, save=False)
    try:
        with transaction.atomic():
            recording.save()
            auto_attach(recording=recording)
    except Exception:
        recording.file.storage.delete(recording.file.name)
        raise
    return recording


def add_external_recording(
    *,
    organizer: Organizer,
    url: str,
    title: str,
    webinar: Webinar | None = None,
    session: Session | None = None,
    duration_seconds: int | None = None,
) -> Recording:
    """Register a video hosted elsewhere (http or https only)."""
    if not url.lower().startswith(("http://", "https://")):
        raise RecordingError(_("The video URL must start with http:// or https://."))
    webinar, session = check_session(
        organizer=organizer, webinar=webinar, session=session
    )
    with transaction.atomic():
        recording = Recording.objects.create(
            account=organizer.account,
            uploaded_by=organizer,
            webinar=webinar,
            session=session,
            title=title.strip() or url,
            external_url=url,
            duration_seconds=duration_seconds,
        )
        auto_attach(recording=recording)
    return recording


def rename_recording(*, recording: Recording, title: str) -> Recording:
    title = title.strip()
    if not title:
        raise RecordingError(_("Give the recording a title."))
    Recording.objects.filter(pk=recording.pk).update(
        title=title, updated_at=timezone.now()
    )
    recording.title = title
    return recording


def update_availability(
    *,
    recording: Recording,
    view_limit: int | None,
    available_until: datetime | None,
) -> Recording:
    """Set the view limit (None: the participant limit) and the end date."""
    if view_limit is not None and view_limit < 1:
        raise RecordingError(_("The view limit must be at least 1."))
    Recording.objects.filter(pk=recording.pk).update(
        view_limit=view_limit,
        available_until=available_until,
        updated_at=timezone.now(),
    )
    recording.view_limit = view_limit
    recording.available_until = available_until
    return recording


def set_published(*, recording: Recording, published: bool) -> Recording:
    """Unpublish at once (every watch link stops), or publish again."""
    unpublished_at = None if published else timezone.now()
    Recording.objects.filter(pk=recording.pk).update(
        unpublished_at=unpublished_at, updated_at=timezone.now()
    )
    recording.unpublished_at = unpublished_at
    return recording


def delete_recording(*, recording: Recording) -> None:
    """Delete the recording, its attachments and grants; the file after commit."""
    name = recording.file.name if recording.file else ""
    storage = recording.file.storage
    with transaction.atomic():
        Recording.objects.filter(pk=recording.pk).delete()
        if name:
            transaction.on_commit(lambda: delete_file_quietly(storage, name))


def delete_file_quietly(storage: object, name: str) -> None:
    try:
        storage.delete(name)  # type: ignore[attr-defined]
    except OSError:
        logger.warning("Could not delete recording file %s", name)


# Post-session videos ---------------------------------------------------------


def attach_recording(
    *,
    organizer: Organizer | None,
    recording: Recording,
    webinar: Webinar,
    session: Session | None = None,
    automatic: bool = False,
) -> PostSessionVideo:
    """Attach the recording to one session, or to the whole webinar."""
    if recording.account_id != webinar.account_id:
        raise RecordingError(_("This recording belongs to another account."))
    if session is not None and session.webinar_id != webinar.pk:
        raise RecordingError(_("This session does not belong to the webinar."))
    with transaction.atomic():
        # Lock the webinar: two attachments to the same slot queue up here.
        Webinar.objects.select_for_update().filter(pk=webinar.pk).first()
        video, _created = PostSessionVideo.objects.update_or_create(
            webinar=webinar,
            session=session,
            defaults={
                "recording": recording,
                "automatic": automatic,
                "attached_by": organizer,
            },
        )
    return video


def detach_video(*, video: PostSessionVideo) -> None:
    PostSessionVideo.objects.filter(pk=video.pk).delete()


def auto_attach(*, recording: Recording) -> PostSessionVideo | None:
    """Attach a recording made for a session that has no video, if the account asks."""
    session = recording.session
    if session is None or not recording.account.auto_attach_recordings:
        return None
    if video_for(webinar=session.webinar, session=session) is not None:
        return None
    return attach_recording(
        organizer=recording.uploaded_by,
        recording=recording,
        webinar=session.webinar,
        session=session,
        automatic=True,
    )


def video_for(
    *, webinar: Webinar, session: Session | None = None
) -> PostSessionVideo | None:
    """Return the session's own video, else the webinar's, else None."""
    videos = PostSessionVideo.objects.select_related("recording__account").filter(
        webinar=webinar
    )
    if session is not None:
        own = videos.filter(session=session).first()
        if own is not None:
            return own
    return videos.filter(session__isnull=True).first()


def replay_recording(webinar: Webinar) -> Recording | None:
    """Return the recording sold as the webinar's replay, once a session ended.

    On-demand webinars have no sessions: their webinar-wide video is for sale
    at once. Otherwise the webinar-wide video, or the video of the latest
    ended session.
    """
    if webinar.kind == Webinar.Kind.ON_DEMAND:
        video = video_for(webinar=webinar)
        return video.recording if video else None
    now = timezone.now()
    ended = list(
        webinar.sessions.filter(cancelled_at__isnull=True, ends_at__lte=now).order_by(
            "-ends_at"
        )
    )
    if not ended:
        return None
    wide = video_for(webinar=webinar)
    if wide is not None:
        return wide.recording
    for session in ended:
        video = PostSessionVideo.objects.filter(session=session).first()
        if video is not None:
            return video.recording
    return None


def recording_for_registrant(registrant: Registrant) -> Recording | None:
    """Return the recording this registrant may watch now, if any."""
    webinar = registrant.webinar
    if registrant.session_id:
        session = registrant.session
        if webinar.kind != Webinar.Kind.ON_DEMAND and not session.has_ended:
            return None
        video = video_for(webinar=webinar, session=session)
        return video.recording if video else None
    return replay_recording(webinar)


# Replay and on-demand sales ---------------------------------------------------


def set_replay_price(*, webinar: Webinar, amount: int | None) -> ReplayOffer:
    """Sell the replay at ``amount`` (minor units), or at the webinar's price."""
    offer, _created = ReplayOffer.objects.update_or_create(
        webinar=webinar, defaults={"amount": amount}
    )
    return offer


def replay_amount(webinar: Webinar) -> int | None:
    offer = ReplayOffer.objects.filter(webinar=webinar).first()
    return offer.amount if offer else None


def registration_mode(webinar: Webinar) -> RegistrationMode | None:
    """The registrations hook: sell the replay or the on-demand video, if any.

    A replay is sold once no live session is left to register for and a
    recording is attached, available, and has viewer places left: nobody
    pays for a video they could not watch.
    """
    if webinar.cancelled_at is not None:
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
    if webinar.sessions.active().upcoming().exists():
        return None
    return RegistrationMode(
        kind="replay",
        notice=_(
            "This webinar is over: registering gives you its recording, to "
            "watch right away."
        ),
        amount=replay_amount(webinar),
    )


def grant_on_confirmation(registrant: Registrant) -> WatchGrant | None:
    """The registrations hook: a confirmed replay buyer gets the grant at once."""
    return replay_grant(registrant)


def watch_link(registrant: Registrant, session: Session | None) -> str | None:
    """The emails' watch_link_providers hook.

    With a session: that session's post-session video. Without one (a
    confirmation): the replay or on-demand video the registrant bought.
    """
    if session is None:
        return replay_link_for(registrant)
    return watch_link_for(registrant, session)


# Watch grants ----------------------------------------------------------------


def grant_watch(*, registrant: Registrant, recording: Recording) -> WatchGrant:
    """Return the registrant's grant for the recording, creating it once."""
    if recording.account_id != registrant.webinar.account_id:
        raise RecordingError(_("This recording belongs to another account."))
    grant, _created = WatchGrant.objects.get_or_create(
        registrant=registrant, recording=recording
    )
    return grant


def watch_url(grant: WatchGrant) -> str:
    return f"{settings.SITE_URL}{grant.get_absolute_url()}"


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


def watch_link_for(registrant: Registrant, session: Session) -> str | None:
    """The personal link to the session's post-session video, or None."""
    grant = session_grant(registrant, session)
    return watch_url(grant) if grant else None


def replay_link_for(registrant: Registrant) -> str | None:
    """The watch link a confirmed replay or on-demand registrant gets, or None."""
    grant = replay_grant(registrant)
    return watch_url(grant) if grant else None


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
                "date": timezone.localtime(
                    recording.available_until, registrant.webinar.tzinfo
                ).strftime("%Y-%m-%d %H:%M")
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


# Signed media URLs -----------------------------------------------------------


def sign_media(*, grant: WatchGrant, device_id: str) -> str:
    """Return a short-lived token naming the grant and the viewer's device."""
    return signing.dumps({"g": grant.pk, "d": device_id}, salt=MEDIA_SALT)


def unsign_media(
    value: str, *, device_of: Callable[[Registrant], str | None]
) -> WatchGrant:
    """Return the grant of a media token, still valid, on the device it names.

    ``device_of`` returns the device id the request carries for a registrant
    (the signed device cookie), or None.
    """
    try:
        data = signing.loads(
            value, salt=MEDIA_SALT, max_age=settings.RECORDING_MEDIA_URL_MAX_AGE
        )
    except signing.SignatureExpired as error:
        raise RecordingError(_("This video link has expired; reload the page.")) from (
            error
        )
    except signing.BadSignature as error:
        raise RecordingError(_("This video link is not valid.")) from error
    grant = (
        WatchGrant.objects.select_related("registrant__webinar", "recording__account")
        .filter(pk=data.get("g"))
        .first()
    )
    if grant is None:
        raise RecordingError(_("This video link is not valid."))
    device_id = device_of(grant.registrant)
    if not device_id or data.get("d") != device_id:
        raise RecordingError(_("This video link is not valid on this device."))
    check_grant(grant)
    return grant


def human_size(size: int) -> str:
    """Format a byte count in the active language (2,0 Go in French)."""
    return filesizeformat(size)
