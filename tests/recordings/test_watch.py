from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from recordings import library, watch
from recordings.samplevideo import build_webm
from registrations.models import JoinDevice, Registrant
from tests import factories
from tests.factories import open_personal_link

pytestmark = pytest.mark.django_db

VIDEO = build_webm(seconds=2)


@pytest.fixture
def grant(webinar):
    recording = factories.RecordingFactory(account=webinar.account)
    registrant = factories.RegistrantFactory(webinar=webinar)
    return watch.grant_watch(registrant=registrant, recording=recording)


def open_player(client: Client, grant) -> str:
    """Open the watch page, then ask for the media URL as the page's script does."""
    page = open_personal_link(client, reverse("recordings:watch", args=[grant.token]))
    assert page.status_code == 200, page.content
    source = client.get(reverse("recordings:watch_source", args=[grant.token]))
    assert source.status_code == 200
    return source.json()["url"]


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_watch_token_is_unguessable(grant):
    assert len(grant.token) == 43


def test_watch_page_plays_without_putting_the_media_url_in_the_page(client, grant):
    page = open_personal_link(client, reverse("recordings:watch", args=[grant.token]))
    assert page.status_code == 200
    assert "<video" in page.content.decode()
    assert "watch-media" not in page.content.decode()
    grant.refresh_from_db()
    assert grant.first_viewed_at is not None


def test_media_serves_whole_file_and_ranges(client, grant):
    url = open_player(client, grant)
    whole = client.get(url)
    assert whole.status_code == 200
    assert whole["Accept-Ranges"] == "bytes"
    assert body(whole) == VIDEO

    part = client.get(url, HTTP_RANGE="bytes=10-19")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 10-19/{len(VIDEO)}"
    assert part["Content-Length"] == "10"
    assert body(part) == VIDEO[10:20]

    tail = client.get(url, HTTP_RANGE="bytes=-5")
    assert tail.status_code == 206
    assert body(tail) == VIDEO[-5:]

    open_ended = client.get(url, HTTP_RANGE=f"bytes={len(VIDEO) - 3}-")
    assert body(open_ended) == VIDEO[-3:]

    past_end = client.get(url, HTTP_RANGE="bytes=5-999999")
    assert past_end.status_code == 206
    assert body(past_end) == VIDEO[5:]


def test_range_outside_the_file_is_416(client, grant):
    url = open_player(client, grant)
    response = client.get(url, HTTP_RANGE=f"bytes={len(VIDEO)}-")
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(VIDEO)}"


def test_garbage_range_header_gets_the_whole_file(client, grant):
    url = open_player(client, grant)
    response = client.get(url, HTTP_RANGE="lines=1-2")
    assert response.status_code == 200
    assert body(response) == VIDEO


@pytest.mark.parametrize(
    "header",
    ["bytes=" + "9" * 5000 + "-", "bytes=-" + "9" * 5000, "bytes=0-" + "9" * 5000],
)
def test_range_with_thousands_of_digits_gets_the_whole_file(client, grant, header):
    url = open_player(client, grant)
    response = client.get(url, HTTP_RANGE=header)
    assert response.status_code == 200
    assert body(response) == VIDEO
    preview = factories.OrganizerFactory(account=grant.recording.account, role="admin")
    client.force_login(preview.user)
    media = reverse("recordings:media", args=[grant.recording.pk])
    assert client.get(media, HTTP_RANGE=header).status_code == 200


def test_media_url_does_not_work_on_another_device(client, grant):
    url = open_player(client, grant)
    other = Client()
    response = other.get(url)
    assert response.status_code == 403


def test_media_url_expires(client, grant, settings):
    url = open_player(client, grant)
    later = timezone.now() + timedelta(seconds=settings.RECORDING_MEDIA_URL_MAX_AGE + 5)
    with time_machine.travel(later):
        response = client.get(url)
    assert response.status_code == 403
    assert "expired" in response.content.decode()


def test_tampered_media_url_is_refused(client, grant):
    url = open_player(client, grant)
    response = client.get(url[:-3] + "abc/")
    assert response.status_code == 403


def test_unknown_watch_token_is_404(client):
    response = client.get(reverse("recordings:watch", args=["x" * 43]))
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (Registrant.Status.CANCELLED, "cancelled"),
        (Registrant.Status.REFUNDED, "refunded"),
    ],
)
def test_watch_is_refused_after_cancellation_or_refund(client, grant, status, words):
    registrant = grant.registrant
    registrant.status = status
    registrant.save(update_fields=["status"])
    response = client.get(reverse("recordings:watch", args=[grant.token]))
    assert response.status_code == 403
    assert words in response.content.decode()


def test_media_stops_as_soon_as_the_registrant_is_refunded(client, grant):
    url = open_player(client, grant)
    registrant = grant.registrant
    registrant.status = Registrant.Status.REFUNDED
    registrant.save(update_fields=["status"])
    assert client.get(url).status_code == 403


def test_watch_is_refused_after_the_availability_end(client, grant):
    recording = grant.recording
    library.update_availability(
        recording=recording,
        view_limit=None,
        available_until=timezone.now() - timedelta(minutes=1),
    )
    response = client.get(reverse("recordings:watch", args=[grant.token]))
    assert response.status_code == 403
    assert "available until" in response.content.decode()


def test_watch_is_refused_once_unpublished(client, grant):
    url = open_player(client, grant)
    library.set_published(recording=grant.recording, published=False)
    response = client.get(reverse("recordings:watch", args=[grant.token]))
    assert response.status_code == 403
    assert "withdrawn" in response.content.decode()
    assert client.get(url).status_code == 403


def test_view_limit_refuses_new_viewers_but_keeps_earlier_ones(grant, webinar):
    library.update_availability(
        recording=grant.recording, view_limit=1, available_until=None
    )
    first = Client()
    open_player(first, grant)
    other_registrant = factories.RegistrantFactory(webinar=webinar)
    second_grant = watch.grant_watch(
        registrant=other_registrant, recording=grant.recording
    )
    refused = open_personal_link(
        Client(), reverse("recordings:watch", args=[second_grant.token])
    )
    assert refused.status_code == 403
    assert "number of viewers" in refused.content.decode()
    # The first viewer may come back.
    assert first.get(reverse("recordings:watch", args=[grant.token])).status_code == 200


def test_view_limit_defaults_to_the_participant_limit(grant):
    account = grant.recording.account
    account.participant_limit = 1
    account.save()
    grant.recording.refresh_from_db()
    assert grant.recording.effective_view_limit == 1


def test_fourth_device_is_refused(grant):
    for _ in range(3):
        open_player(Client(), grant)
    response = open_personal_link(
        Client(), reverse("recordings:watch", args=[grant.token])
    )
    assert response.status_code == 403
    assert "3" in response.content.decode()


def test_scanner_gets_on_a_watch_link_take_no_device_and_count_no_view(grant):
    url = reverse("recordings:watch", args=[grant.token])

    scans = [Client().get(url) for _ in range(10)]

    assert {scan.status_code for scan in scans} == {200}
    assert "Open your personal link on this device" in scans[0].content.decode()
    assert "<video" not in scans[0].content.decode()
    assert not JoinDevice.objects.exists()
    grant.refresh_from_db()
    assert grant.first_viewed_at is None
    for _ in range(3):
        open_player(Client(), grant)
    assert JoinDevice.objects.filter(registrant=grant.registrant).count() == 3


def test_an_admitted_device_reopens_the_watch_link_with_a_get(client, grant):
    url = reverse("recordings:watch", args=[grant.token])
    open_player(client, grant)

    page = client.get(url)

    assert page.status_code == 200
    assert "<video" in page.content.decode()
    assert JoinDevice.objects.filter(registrant=grant.registrant).count() == 1


def test_console_recording_of_another_account_is_404(login):
    stranger = factories.OrganizerFactory(role="admin")
    recording = factories.RecordingFactory()
    response = login(stranger).get(reverse("recordings:detail", args=[recording.pk]))
    assert response.status_code == 404


def test_watch_page_heads_with_the_public_title_and_a_zoned_end(client, webinar):
    recording = factories.RecordingFactory(
        account=webinar.account, title="Replay video 032949"
    )
    registrant = factories.RegistrantFactory(webinar=webinar)
    grant = watch.grant_watch(registrant=registrant, recording=recording)
    with time_machine.travel(datetime(2030, 6, 3, 9, tzinfo=UTC)):
        recording.available_until = timezone.now() + timedelta(days=28)
        recording.save()
        page = open_personal_link(
            client, reverse("recordings:watch", args=[grant.token])
        ).text

    assert f"<h1>{webinar.title}</h1>" in page
    assert "Replay video 032949" not in page
    # 1 July 2030, 09:00 UTC is 11:00 in Paris, the webinar's zone.
    assert "Available until Monday, 1 July 2030, 11:00" in page
    assert "(Europe/Paris, UTC+02:00)." in page


@pytest.mark.parametrize(
    ("language", "when"),
    [
        ("en", "Monday, 1 July 2030, 11:00\u202fam (Europe/Paris, UTC+02:00)"),
        ("fr", "lundi 1 juillet 2030, 11:00 (Europe/Paris, UTC+02:00)"),
    ],
)
def test_a_link_past_its_recordings_end_says_when_in_the_webinars_zone(
    webinar, language, when
):
    from django.utils import translation

    from recordings.errors import RecordingError

    recording = factories.RecordingFactory(account=webinar.account)
    registrant = factories.RegistrantFactory(webinar=webinar)
    grant = watch.grant_watch(registrant=registrant, recording=recording)
    recording.available_until = datetime(2030, 7, 1, 9, tzinfo=UTC)
    recording.save()

    with translation.override(language), pytest.raises(RecordingError) as refused:
        watch.check_grant(grant, at=datetime(2030, 7, 2, tzinfo=UTC))

    assert when in str(refused.value)
