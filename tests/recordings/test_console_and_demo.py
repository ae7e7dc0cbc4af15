import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from payments.models import DiscountCode, Price
from recordings.models import PostSessionVideo, Recording
from tests import factories
from webinars.models import Webinar

pytestmark = pytest.mark.django_db


@pytest.fixture
def recording(organizer):
    return factories.RecordingFactory(account=organizer.account, uploaded_by=organizer)


def console_urls(recording, webinar):
    return [
        ("get", reverse("recordings:list")),
        ("get", reverse("recordings:detail", args=[recording.pk])),
        ("get", reverse("recordings:media", args=[recording.pk])),
        ("post", reverse("recordings:publish", args=[recording.pk])),
        ("post", reverse("recordings:delete", args=[recording.pk])),
        ("post", reverse("recordings:attach", args=[webinar.pk])),
        ("post", reverse("recordings:replay_price", args=[webinar.pk])),
    ]


def test_anonymous_visitors_are_sent_to_login(client, recording, webinar):
    for method, url, *_ in console_urls(recording, webinar):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert "/login/" in response["Location"]


def test_other_account_gets_404_everywhere(login, recording, webinar):
    stranger = factories.OrganizerFactory(role="admin")
    client = login(stranger)
    for method, url, *_ in console_urls(recording, webinar)[1:]:
        assert getattr(client, method)(url).status_code == 404, url
    assert (
        recording.title not in client.get(reverse("recordings:list")).content.decode()
    )


def test_organizer_of_same_account_does_not_see_a_colleagues_recording(
    recording, webinar, account
):
    colleague = factories.OrganizerFactory(account=account)
    client = Client()
    client.force_login(colleague.user)
    for method, url, *_ in console_urls(recording, webinar)[1:]:
        assert getattr(client, method)(url).status_code == 404, url


def test_account_admin_and_uploader_manage_the_recording(login, admin, recording):
    for member in (admin, recording.uploaded_by):
        response = login(member).get(reverse("recordings:detail", args=[recording.pk]))
        assert response.status_code == 200


def test_co_organizer_sees_recordings_attached_to_the_webinar(
    recording, webinar, account
):
    co = factories.OrganizerFactory(account=account)
    factories.WebinarMemberFactory(
        webinar=webinar, organizer=co, email=co.email, role="co_organizer"
    )
    PostSessionVideo.objects.create(recording=recording, webinar=webinar)
    client = Client()
    client.force_login(co.user)
    assert (
        client.get(reverse("recordings:detail", args=[recording.pk])).status_code == 200
    )


def test_unpublish_and_publish_from_the_console(login, recording):
    client = login(recording.uploaded_by)
    client.post(reverse("recordings:publish", args=[recording.pk]), {"published": "0"})
    recording.refresh_from_db()
    assert not recording.is_published
    client.post(reverse("recordings:publish", args=[recording.pk]), {"published": "1"})
    recording.refresh_from_db()
    assert recording.is_published


def test_bad_availability_input_is_a_form_error(login, recording):
    response = login(recording.uploaded_by).post(
        reverse("recordings:detail", args=[recording.pk]),
        {"availability-view_limit": "0", "availability-available_until": "soon"},
    )
    assert response.status_code == 400


def test_seed_demo_creates_the_on_demand_webinar_with_its_video_once():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=out)
    assert "Stripe payments 101" in out.getvalue()
    webinar = Webinar.objects.get(title="Stripe payments 101")
    assert webinar.kind == Webinar.Kind.ON_DEMAND
    assert not webinar.sessions.exists()
    price = Price.objects.get(webinar=webinar)
    assert (price.enabled, price.amount, price.currency) == (True, 2000, "USD")
    assert DiscountCode.objects.get(webinar=webinar).amount == 0
    video = PostSessionVideo.objects.get(webinar=webinar, session__isnull=True)
    assert Recording.objects.filter(account=webinar.account).count() == 1
    head = video.recording.file.open("rb").read(4)
    assert head == b"\x1a\x45\xdf\xa3"  # WebM
