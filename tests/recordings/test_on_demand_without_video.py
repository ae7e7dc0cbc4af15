"""Issue 15: an on-demand webinar without a video is not sold; the console warns."""

import pytest
from django.urls import reverse

from registrations.models import Registrant
from registrations.registration import RegistrationClosed, start_registration
from tests import factories
from tests.recordings.support import attach_video

pytestmark = pytest.mark.django_db


def on_demand_webinar(organizer):
    return factories.WebinarFactory(
        owner=organizer, account=organizer.account, sessions=0, kind="on_demand"
    )


def test_registration_is_closed_without_a_video(client, organizer):
    webinar = on_demand_webinar(organizer)
    url = reverse("registrations:register", args=[webinar.registration_key])
    page = client.get(url)
    assert "Registration for this webinar is closed." in page.content.decode()
    client.post(
        url,
        {"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com"},
    )
    assert not Registrant.objects.filter(webinar=webinar).exists()
    with pytest.raises(RegistrationClosed, match="no video to watch"):
        start_registration(
            webinar=webinar,
            first_name="Ann",
            last_name="Lee",
            email="ann@example.com",
            answers={},
            base_url="http://testserver",
        )


def test_registration_opens_once_a_video_is_attached(client, organizer):
    webinar = on_demand_webinar(organizer)
    attach_video(webinar)
    page = client.get(
        reverse("registrations:register", args=[webinar.registration_key])
    )
    assert "Registration for this webinar is closed." not in page.content.decode()


def test_console_warns_about_an_on_demand_webinar_without_video(login, organizer):
    webinar = on_demand_webinar(organizer)
    client = login(organizer)
    dashboard = client.get(reverse("webinars:dashboard")).content.decode()
    assert "has no video to watch" in dashboard
    detail = client.get(reverse("webinars:recordings", args=[webinar.pk]))
    detail = detail.content.decode()
    assert "this on-demand webinar has no video to watch" in detail
    preview = client.get(reverse("payments:pricing_preview", args=[webinar.pk]))
    assert "no video to watch yet" in preview.content.decode()
    attach_video(webinar)
    dashboard = client.get(reverse("webinars:dashboard")).content.decode()
    assert "has no video to watch" not in dashboard
