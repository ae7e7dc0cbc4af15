"""The recording library: uploads, videos hosted elsewhere, edits and deletion."""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from organizers.models import Organizer
from recordings import probe
from recordings.errors import RecordingError
from recordings.models import Recording
from recordings.videos import auto_attach
from webinars.models import Session, Webinar

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordingDetails:
    """What the organizer says about a new recording, whatever its source."""

    title: str = ""
    webinar: Webinar | None = None
    session: Session | None = None
    # None: read from the file (uploads) or unknown (videos hosted elsewhere).
    duration_seconds: int | None = None


def human_size(size: int) -> str:
    """Format a byte count in the active language (2,0 Go in French)."""
    return filesizeformat(size)


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


def new_recording(
    *, organizer: Organizer, details: RecordingDetails, default_title: str
) -> Recording:
    """Return an unsaved recording in the organizer's account, its session checked."""
    webinar, session = check_session(
        organizer=organizer, webinar=details.webinar, session=details.session
    )
    return Recording(
        account=organizer.account,
        uploaded_by=organizer,
        webinar=webinar,
        session=session,
        title=details.title.strip() or default_title,
        duration_seconds=details.duration_seconds,
    )


def save_new(recording: Recording) -> Recording:
    """Save a new recording and attach it to its session if the account asks."""
    with transaction.atomic():
        recording.save()
        auto_attach(recording=recording)
    return recording


def upload_recording(
    *, organizer: Organizer, uploaded: UploadedFile, details: RecordingDetails
) -> Recording:
    """Store an uploaded video in the library (and auto-attach it if asked).

    The file is copied to storage in chunks before the transaction: storage
    may be a network service, and no lock is held while it uploads.
    """
    content_type = validate_upload(uploaded)
    recording = new_recording(
        organizer=organizer,
        details=details,
        default_title=uploaded.name or _("Recording"),
    )
    if recording.duration_seconds is None:
        recording.duration_seconds = probe.probe_duration(uploaded, content_type)
    recording.content_type = content_type
    recording.size = uploaded.size
    name = f"upload{probe.EXTENSIONS[content_type]}"
    recording.file.save(name, uploaded, save=False)
    try:
        save_new(recording)
    except Exception:
        recording.file.storage.delete(recording.file.name)
        raise
    return recording


def add_external_recording(
    *, organizer: Organizer, url: str, details: RecordingDetails
) -> Recording:
    """Register a video hosted elsewhere (http or https only)."""
    if not url.lower().startswith(("http://", "https://")):
        raise RecordingError(_("The video URL must start with http:// or https://."))
    recording = new_recording(organizer=organizer, details=details, default_title=url)
    recording.external_url = url
    return save_new(recording)


def rename_recording(*, recording: Recording, title: str) -> Recording:
    """Give the recording a new, non-empty title."""
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


def delete_file_quietly(storage: Storage, name: str) -> None:
    """Delete a stored file; a failure is logged, the recording is gone anyway."""
    try:
        storage.delete(name)
    except OSError:
        logger.warning("Could not delete recording file %s", name)
