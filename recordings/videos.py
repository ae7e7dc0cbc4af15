"""Post-session videos: which recording a webinar or a session shows, and when."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from organizers.models import Organizer
from recordings.errors import RecordingError
from recordings.models import PostSessionVideo, Recording
from registrations.models import Registrant
from webinars.models import Session, Webinar


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
    """Remove the video from its webinar or session; the recording stays."""
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
