"""The page after registering, and the confirmation it matches: live or on demand."""

import pytest
from django.urls import reverse

from recordings.models import PostSessionVideo
from registrations.emails.content import render_email
from registrations.models import Registrant
from tests import factories
from tests.factories import open_personal_link
from tests.registrations.checkout_support import (
    register,
    session_id_of,
    success_path,
)

pytestmark = pytest.mark.django_db


def on_demand_webinar(organizer):
    """An on-demand webinar (no session) with its video attached."""
    webinar = factories.WebinarFactory(
        owner=organizer, account=organizer.account, sessions=0, kind="on_demand"
    )
    recording = factories.RecordingFactory(account=webinar.account)
    PostSessionVideo.objects.create(recording=recording, webinar=webinar)
    return webinar


def test_on_demand_done_page_sends_the_watch_link_by_email(client, organizer):
    webinar = on_demand_webinar(organizer)

    response = register(client, webinar)
    page = client.get(response["Location"]).text
    registrant = Registrant.objects.get()

    # The page is the same for a new email and one already registered
    # (test_no_enumeration.py): the personal link goes by email only.
    assert "You're registered" in page
    assert registrant.join_token not in page
    assert "calendar-link" not in page and ".ics" not in page
    email = render_email(registrant=registrant, kind="confirmation")
    assert "Watch the recording: http" in email.text
    join = open_personal_link(
        client, reverse("registrations:join", args=[registrant.join_token])
    )
    assert join.status_code == 302 and "/watch/" in join["Location"]


def test_live_done_page_points_to_the_email_for_the_join_link(client, webinar):
    page = client.get(register(client, webinar)["Location"]).text
    registrant = Registrant.objects.get()

    assert "personal link is on its way" in page
    assert registrant.join_token not in page
    assert 'id="calendar-link"' not in page


def test_paid_return_page_keeps_the_join_link_and_calendar(
    client, paid_webinar, stripe_sandbox
):
    session_id = session_id_of(register(client, paid_webinar)["Location"])
    stripe_sandbox.pay(session_id)
    page = client.get(success_path(paid_webinar, session_id)).text

    assert "Your personal join link" in page
    assert 'id="calendar-link"' in page


def test_on_demand_confirmation_has_no_live_wording_nor_empty_invitation(organizer):
    webinar = on_demand_webinar(organizer)
    registrant = factories.RegistrantFactory(webinar=webinar)

    email = render_email(registrant=registrant, kind="confirmation")

    for body in (email.text, email.html):
        assert "Join the webinar" not in body
        assert "attached invitation" not in body
        assert "Can&#x27;t attend" not in body and "Can't attend" not in body
        assert "/watch/" in body
    assert email.ics is None


def test_live_confirmation_keeps_its_join_link_and_invitation(webinar):
    registrant = factories.RegistrantFactory(webinar=webinar)

    email = render_email(registrant=registrant, kind="confirmation")

    assert "Join the webinar" in email.text
    assert "attached invitation" in email.text
    assert "Can't attend" in email.text
    assert email.ics
