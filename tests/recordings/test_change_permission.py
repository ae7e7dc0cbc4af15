"""Seeing a recording is not changing it: a recording that also serves a webinar
the organizer does not manage is read only for them (issue 14)."""

import pytest
from django.urls import reverse

from recordings.models import Recording
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(account, admin):
    """A recording attached to two webinars of one account, each its own owner's."""
    mine = factories.WebinarFactory(owner=factories.OrganizerFactory(account=account))
    theirs = factories.WebinarFactory(
        owner=factories.OrganizerFactory(account=account), title="Board meeting"
    )
    recording = factories.RecordingFactory(account=account, title="Kick-off")
    factories.PostSessionVideoFactory(recording=recording, webinar=mine)
    factories.PostSessionVideoFactory(recording=recording, webinar=theirs)
    co_organizer = factories.OrganizerFactory(account=account)
    factories.WebinarMemberFactory(
        webinar=mine, organizer=co_organizer, role="co_organizer"
    )
    return recording, co_organizer, mine


def test_a_co_organizer_cannot_rename_publish_or_delete_a_shared_recording(
    shared, login
):
    recording, co_organizer, _mine = shared
    client = login(co_organizer)
    detail = reverse("recordings:detail", args=[recording.pk])
    assert client.post(detail, {"rename-title": "Mine now"}).status_code == 404
    assert client.post(detail, {"availability-view_limit": "1"}).status_code == 404
    publish = reverse("recordings:publish", args=[recording.pk])
    assert client.post(publish, {"published": "0"}).status_code == 404
    delete = reverse("recordings:delete", args=[recording.pk])
    assert client.post(delete).status_code == 404
    recording.refresh_from_db()
    assert (recording.title, recording.is_published) == ("Kick-off", True)
    assert recording.view_limit is None
    assert Recording.objects.filter(pk=recording.pk).exists()


def test_the_shared_recording_is_read_only_in_their_library(shared, login):
    recording, co_organizer, _mine = shared
    page = login(co_organizer).get(reverse("recordings:detail", args=[recording.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("recordings:publish", args=[recording.pk]) not in html
    assert reverse("recordings:delete", args=[recording.pk]) not in html
    assert 'name="rename-title"' not in html
    assert 'name="availability-view_limit"' not in html
    assert "webinars you do not manage" in html
    # The other webinar is not named to someone who cannot see it.
    assert "Board meeting" not in html
    # Watching the preview is still fine.
    media = reverse("recordings:media", args=[recording.pk])
    assert login(co_organizer).get(media).status_code == 200


def test_a_recording_serving_only_their_webinars_stays_theirs_to_change(account, login):
    co_organizer = factories.OrganizerFactory(account=account)
    webinar = factories.WebinarFactory(
        owner=factories.OrganizerFactory(account=account)
    )
    factories.WebinarMemberFactory(
        webinar=webinar, organizer=co_organizer, role="co_organizer"
    )
    recording = factories.RecordingFactory(account=account, title="Ours")
    factories.PostSessionVideoFactory(recording=recording, webinar=webinar)
    client = login(co_organizer)
    detail = reverse("recordings:detail", args=[recording.pk])
    assert reverse("recordings:delete", args=[recording.pk]) in (
        client.get(detail).content.decode()
    )
    assert client.post(detail, {"rename-title": "Renamed"}).status_code == 302
    recording.refresh_from_db()
    assert recording.title == "Renamed"


def test_an_account_admin_changes_any_recording_of_the_account(shared, admin, login):
    recording, _co_organizer, _mine = shared
    client = login(admin)
    publish = reverse("recordings:publish", args=[recording.pk])
    assert client.post(publish, {"published": "0"}).status_code == 302
    recording.refresh_from_db()
    assert not recording.is_published
