"""Issue 15: the console's email preview (language links, watch-link placeholder)."""

import pytest
from django.utils import timezone

from tests.recordings.support import attach_video

pytestmark = pytest.mark.django_db
PREVIEW_WATCH_TOKEN = "PREVIEW-watch-link-token"


def preview(client, webinar, kind, language="en") -> str:
    url = f"/console/webinars/{webinar.pk}/emails/preview/{kind}/{language}/"
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_preview_links_to_the_other_languages(login, organizer, webinar):
    body = preview(login(organizer), webinar, "confirmation")
    assert "BIDI" not in body
    assert f"/console/webinars/{webinar.pk}/emails/preview/confirmation/fr/" in body
    assert (
        '<p id="preview-other-languages">Other languages: <a href="'
        f'/console/webinars/{webinar.pk}/emails/preview/confirmation/fr/"'
        ' hreflang="fr">French</a></p>'
    ) in body
    assert '<span class="muted">(English)</span>' in body


def test_preview_names_its_languages_in_the_viewers_language(login, organizer, webinar):
    client = login(organizer)

    body = client.get(
        f"/console/webinars/{webinar.pk}/emails/preview/confirmation/fr/",
        HTTP_ACCEPT_LANGUAGE="fr",
    ).text
    settings_page = client.get(
        f"/console/webinars/{webinar.pk}/emails/", HTTP_ACCEPT_LANGUAGE="fr"
    ).text

    assert '<span class="muted">(Français)</span>' in body
    assert 'hreflang="en">Anglais</a></p>' in body
    assert 'hreflang="fr">Français</a>' in settings_page
    assert ">FR</a>" not in settings_page


def test_followup_preview_shows_a_watch_link_placeholder_with_a_video(
    login, organizer, webinar
):
    client = login(organizer)
    assert PREVIEW_WATCH_TOKEN not in preview(client, webinar, "followup_attended")
    attach_video(webinar)
    for kind in ("followup_attended", "followup_absent"):
        body = preview(client, webinar, kind)
        assert f"/watch/{PREVIEW_WATCH_TOKEN}/" in body
        assert "Watch the recording" in body


def test_no_placeholder_for_an_unpublished_video(login, organizer, webinar):
    recording = attach_video(webinar)
    recording.unpublished_at = timezone.now()
    recording.save(update_fields=["unpublished_at"])
    body = preview(login(organizer), webinar, "followup_absent")
    assert PREVIEW_WATCH_TOKEN not in body
