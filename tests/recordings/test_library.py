import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from recordings import videos
from recordings.errors import RecordingError
from recordings.models import PostSessionVideo, Recording
from recordings.samplevideo import build_webm
from tests import factories

pytestmark = pytest.mark.django_db


def webm_upload(name: str = "talk.webm", seconds: int = 2) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, build_webm(seconds=seconds), "video/webm")


def mp4_bytes(duration: int = 90, scale: int = 1000) -> bytes:
    """A minimal ISO-BMFF file: ftyp, then moov with an mvhd (version 0)."""
    ftyp = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
    mvhd_body = bytes(4) + (0).to_bytes(4, "big") * 2
    mvhd_body += scale.to_bytes(4, "big") + (duration * scale).to_bytes(4, "big")
    mvhd_body += bytes(80)
    mvhd = (8 + len(mvhd_body)).to_bytes(4, "big") + b"mvhd" + mvhd_body
    moov = (8 + len(mvhd)).to_bytes(4, "big") + b"moov" + mvhd
    mdat = (8 + 100).to_bytes(4, "big") + b"mdat" + bytes(100)
    return ftyp + mdat + moov


def test_upload_stores_video_with_size_and_duration(login, organizer):
    client = login(organizer)
    response = client.post(
        reverse("recordings:upload"), {"file": webm_upload(), "title": "Kick-off"}
    )
    recording = Recording.objects.get()
    assert response.status_code == 302
    assert recording.title == "Kick-off"
    assert recording.content_type == "video/webm"
    assert recording.size == len(build_webm(seconds=2))
    assert recording.duration_seconds == 2
    assert recording.account == organizer.account
    assert recording.file.storage.exists(recording.file.name)
    assert "talk" not in recording.file.name  # stored under a random name


def test_mp4_upload_reads_duration_from_moov_at_the_end(login, organizer):
    client = login(organizer)
    upload = SimpleUploadedFile("a.mp4", mp4_bytes(duration=90), "video/mp4")
    client.post(reverse("recordings:upload"), {"file": upload})
    recording = Recording.objects.get()
    assert recording.content_type == "video/mp4"
    assert recording.duration_seconds == 90


def assert_upload_refused(client, upload: SimpleUploadedFile, reason: str) -> None:
    """Post the upload: a 400 page that gives the reason, and nothing stored."""
    response = client.post(reverse("recordings:upload"), {"file": upload})
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert not Recording.objects.exists()


def test_upload_that_is_not_a_video_is_refused(login, organizer):
    fake = SimpleUploadedFile("film.mp4", b"<html>not a video</html>", "video/mp4")
    assert_upload_refused(login(organizer), fake, "not a video")


def test_upload_over_the_size_limit_is_refused(login, organizer, settings):
    settings.RECORDING_MAX_UPLOAD_BYTES = 1000
    assert_upload_refused(login(organizer), webm_upload(), "too large")


def test_empty_upload_is_refused(login, organizer):
    empty = SimpleUploadedFile("empty.webm", b"", "video/webm")
    assert_upload_refused(login(organizer), empty, "empty")


def test_upload_without_a_file_says_so(login, organizer):
    response = login(organizer).post(reverse("recordings:upload"), {})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()


def test_external_url_must_be_http_or_https(login, organizer):
    client = login(organizer)
    for url in ["ftp://example.com/video.mp4", "javascript:alert(1)", "nope"]:
        response = client.post(
            reverse("recordings:add_external"), {"url": url, "title": "X"}
        )
        assert response.status_code == 400
        assert "http://" in response.content.decode()
    assert not Recording.objects.exists()


def test_external_https_url_is_added(login, organizer):
    client = login(organizer)
    response = client.post(
        reverse("recordings:add_external"),
        {"url": "https://videos.example.com/talk.mp4", "title": "Talk"},
    )
    assert response.status_code == 302
    recording = Recording.objects.get()
    assert recording.is_external
    assert recording.external_url == "https://videos.example.com/talk.mp4"


def test_library_lists_renames_and_deletes(login, organizer):
    recording = factories.RecordingFactory(
        account=organizer.account, uploaded_by=organizer, title="Old"
    )
    client = login(organizer)
    assert "Old" in client.get(reverse("recordings:list")).content.decode()
    client.post(
        reverse("recordings:detail", args=[recording.pk]), {"rename-title": "New"}
    )
    recording.refresh_from_db()
    assert recording.title == "New"
    response = client.post(reverse("recordings:delete", args=[recording.pk]))
    assert response.status_code == 302
    assert not Recording.objects.exists()


def test_deleting_removes_the_file_after_commit(
    login, organizer, django_capture_on_commit_callbacks
):
    recording = factories.RecordingFactory(
        account=organizer.account, uploaded_by=organizer
    )
    name, storage = recording.file.name, recording.file.storage
    with django_capture_on_commit_callbacks(execute=True):
        login(organizer).post(reverse("recordings:delete", args=[recording.pk]))
    assert not storage.exists(name)


def test_auto_attach_attaches_upload_to_its_session(login, organizer, webinar):
    organizer.account.auto_attach_recordings = True
    organizer.account.save()
    session = webinar.sessions.get()
    login(organizer).post(
        reverse("recordings:upload"), {"file": webm_upload(), "session": session.pk}
    )
    video = PostSessionVideo.objects.get()
    assert video.session == session
    assert video.automatic


def test_auto_attach_is_off_by_default(login, organizer, webinar):
    session = webinar.sessions.get()
    login(organizer).post(
        reverse("recordings:upload"), {"file": webm_upload(), "session": session.pk}
    )
    assert Recording.objects.get().session == session
    assert not PostSessionVideo.objects.exists()


def test_auto_attach_leaves_a_session_that_has_a_video(login, organizer, webinar):
    organizer.account.auto_attach_recordings = True
    organizer.account.save()
    session = webinar.sessions.get()
    first = factories.RecordingFactory(account=organizer.account)
    PostSessionVideo.objects.create(recording=first, webinar=webinar, session=session)
    login(organizer).post(
        reverse("recordings:upload"), {"file": webm_upload(), "session": session.pk}
    )
    assert PostSessionVideo.objects.get().recording == first


def test_attach_by_hand_to_session_and_whole_webinar(login, organizer, webinar):
    recording = factories.RecordingFactory(
        account=organizer.account, uploaded_by=organizer
    )
    session = webinar.sessions.get()
    client = login(organizer)
    url = reverse("recordings:attach", args=[webinar.pk])
    client.post(url, {"recording": recording.pk, "session": session.pk})
    client.post(url, {"recording": recording.pk, "session": ""})
    videos = PostSessionVideo.objects.order_by("pk")
    assert [(v.session_id, v.automatic) for v in videos] == [
        (session.pk, False),
        (None, False),
    ]
    # The panel lives in the webinar page's Recordings section.
    page = client.get(
        reverse("webinars:recordings", args=[webinar.pk])
    ).content.decode()
    assert "Post-session video" in page and recording.title in page


def test_attaching_a_recording_of_another_account_is_refused(login, organizer, webinar):
    foreign = factories.RecordingFactory()
    response = login(organizer).post(
        reverse("recordings:attach", args=[webinar.pk]),
        {"recording": foreign.pk},
        follow=True,
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not PostSessionVideo.objects.exists()


def test_service_refuses_cross_account_attachment(organizer, webinar):
    foreign = factories.RecordingFactory()
    with pytest.raises(RecordingError):
        videos.attach_recording(organizer=organizer, recording=foreign, webinar=webinar)


def test_organizer_preview_serves_ranges(login, organizer):
    recording = factories.RecordingFactory(
        account=organizer.account, uploaded_by=organizer
    )
    response = login(organizer).get(
        reverse("recordings:media", args=[recording.pk]), HTTP_RANGE="bytes=0-9"
    )
    assert response.status_code == 206
    assert b"".join(response.streaming_content) == build_webm(seconds=2)[:10]
