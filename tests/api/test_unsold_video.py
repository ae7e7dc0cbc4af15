"""The API refuses an on-demand video that is sold out or no longer available."""

from datetime import timedelta

import pytest
from django.utils import timezone

from recordings.models import WatchGrant
from registrations.models import Registrant
from tests import factories
from tests.recordings.support import attach_video

pytestmark = pytest.mark.django_db

PERSON = {"first_name": "Bob", "last_name": "Byte", "email": "bob@example.com"}


@pytest.fixture
def on_demand(organizer):
    return factories.WebinarFactory(
        owner=organizer, account=organizer.account, kind="on_demand", sessions=0
    )


def post(api, webinar):
    return api.post(f"/api/v1/webinars/{webinar.pk}/registrants/", PERSON)


def test_a_sold_out_video_is_a_409_problem_saying_why(api, on_demand):
    recording = attach_video(on_demand)
    recording.view_limit = 1
    recording.save()
    WatchGrant.objects.create(
        registrant=factories.RegistrantFactory(webinar=on_demand), recording=recording
    )

    response = post(api, on_demand)

    assert response.status_code == 409
    assert response["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"] == "urn:tessera:problem:registration-closed"
    assert problem["status"] == 409
    assert "reached the number of viewers the organizer allows" in problem["detail"]
    assert not Registrant.objects.filter(email="bob@example.com").exists()


def test_a_video_no_longer_available_is_a_409_problem(api, on_demand):
    recording = attach_video(on_demand)
    recording.available_until = timezone.now() - timedelta(minutes=5)
    recording.save()

    response = post(api, on_demand)

    assert response.status_code == 409
    assert "Its recording is no longer available." in response.json()["detail"]
    assert not Registrant.objects.filter(email="bob@example.com").exists()


def test_the_refusal_is_in_the_callers_language(api, on_demand):
    recording = attach_video(on_demand)
    recording.available_until = timezone.now() - timedelta(minutes=5)
    recording.save()

    response = api.post(
        f"/api/v1/webinars/{on_demand.pk}/registrants/",
        PERSON,
        headers={"Accept-Language": "fr"},
    )

    assert response.status_code == 409
    assert response.json()["detail"] == (
        "Les inscriptions à ce webinaire sont closes. "
        "Son enregistrement n’est plus disponible."
    )
