"""An on-demand video not for sale is refused by the service, not only the page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from payments.models import Payment
from recordings.models import WatchGrant
from registrations.models import Registrant, SeatHold
from registrations.registration import RegistrationClosed, start_registration
from tests import factories
from tests.recordings.support import attach_video
from tests.registrations.checkout_support import make_paid_webinar

pytestmark = pytest.mark.django_db

VIEWERS_REACHED = "reached the number of viewers the organizer allows"


def on_demand(organizer, **fields):
    return factories.WebinarFactory(
        owner=organizer, account=organizer.account, kind="on_demand", **fields
    )


def sold_out(webinar, *, view_limit: int = 1, viewers: int = 1):
    """Attach a video whose `viewers` grants fill (or not) its `view_limit`."""
    recording = attach_video(webinar)
    recording.view_limit = view_limit
    recording.save()
    for _ in range(viewers):
        WatchGrant.objects.create(
            registrant=factories.RegistrantFactory(webinar=webinar),
            recording=recording,
        )
    return recording


def start(webinar, **extra):
    return start_registration(
        webinar=webinar,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        answers={},
        base_url="http://testserver",
        **extra,
    )


def test_a_sold_out_video_is_refused_with_its_reason(organizer):
    webinar = on_demand(organizer, sessions=0)
    sold_out(webinar)

    with pytest.raises(RegistrationClosed) as refused:
        start(webinar)

    assert VIEWERS_REACHED in refused.value.message
    assert refused.value.message.startswith("Registration for this webinar is closed.")
    assert not Registrant.objects.filter(email="ada@example.com").exists()


def test_a_paid_sold_out_video_opens_no_checkout(organizer, stripe_sandbox):
    webinar = make_paid_webinar(
        owner=organizer,
        stripe_account=stripe_sandbox.demo_account,
        kind="on_demand",
        sessions=0,
    )
    sold_out(webinar)

    with pytest.raises(RegistrationClosed):
        start(webinar)

    assert not Payment.objects.exists()
    assert not SeatHold.objects.exists()
    assert not Registrant.objects.filter(email="ada@example.com").exists()


def test_a_video_past_its_availability_is_refused(organizer):
    webinar = on_demand(organizer, sessions=0)
    recording = attach_video(webinar)
    recording.available_until = timezone.now() - timedelta(hours=1)
    recording.save()

    with pytest.raises(RegistrationClosed) as refused:
        start(webinar)

    assert "Its recording is no longer available." in refused.value.message


def test_a_session_given_does_not_open_a_sold_out_video(organizer):
    webinar = on_demand(organizer, sessions=1)
    sold_out(webinar)

    with pytest.raises(RegistrationClosed) as refused:
        start(webinar, session=webinar.sessions.get())

    assert VIEWERS_REACHED in refused.value.message


def test_an_on_demand_webinar_without_a_video_says_it_has_none_yet(organizer):
    webinar = on_demand(organizer, sessions=0)

    with pytest.raises(RegistrationClosed) as refused:
        start(webinar)

    assert "has no video to watch yet" in refused.value.message


def test_a_video_with_viewer_places_left_still_sells(organizer):
    webinar = on_demand(organizer, sessions=0)
    sold_out(webinar, view_limit=2, viewers=1)

    registrant = start(webinar).registrant

    assert registrant.status == Registrant.Status.CONFIRMED
