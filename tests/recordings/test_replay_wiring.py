"""How the registration flow uses the recordings' hooks: price, page, grants."""

import pytest
from django.urls import reverse

from payments.models import Payment
from recordings import sales
from recordings.models import WatchGrant
from registrations.approval import approve_registrant
from registrations.emails.content import render_email
from registrations.models import Registrant
from registrations.registration import price_registration
from tests import factories
from tests.recordings.support import attach_video, ended_webinar, register

pytestmark = pytest.mark.django_db


def replay_webinar(organizer, **fields):
    """An ended webinar with a video attached: its replay is for sale."""
    webinar = ended_webinar(organizer, **fields)
    attach_video(webinar)
    return webinar


def test_replay_price_replaces_the_regular_price(organizer):
    webinar = replay_webinar(organizer)
    factories.PriceFactory(webinar=webinar, amount=5000, currency="USD")
    sales.set_replay_price(webinar=webinar, amount=1500)
    mode = sales.registration_mode(webinar)
    quote = price_registration(webinar=webinar, mode=mode)
    assert (quote.amount, quote.regular_amount, quote.paid) == (1500, 1500, True)


@pytest.mark.parametrize(("code_amount", "charged"), [(900, 900), (3000, 1500)])
def test_a_code_on_a_replay_charges_the_lower_of_the_two(
    organizer, code_amount, charged
):
    webinar = replay_webinar(organizer)
    factories.PriceFactory(webinar=webinar, amount=5000, currency="USD")
    factories.DiscountCodeFactory(webinar=webinar, code="SAVE", amount=code_amount)
    sales.set_replay_price(webinar=webinar, amount=1500)
    mode = sales.registration_mode(webinar)
    quote = price_registration(webinar=webinar, code="save", mode=mode)
    assert quote.amount == charged


def test_replay_page_shows_the_notice_and_the_replay_price(client, organizer):
    webinar = replay_webinar(organizer)
    factories.StripeConnectionFactory(account=webinar.account)
    factories.PriceFactory(webinar=webinar, amount=5000, currency="USD")
    sales.set_replay_price(webinar=webinar, amount=1250)
    page = client.get(
        reverse("registrations:register", args=[webinar.registration_key])
    ).content.decode()
    assert sales.registration_mode(webinar).notice in page
    assert "US$12.50" in page
    assert "Registration for this webinar is closed" not in page
    assert 'name="first_name"' in page


def test_ended_webinar_without_a_recording_stays_closed(client, organizer):
    webinar = ended_webinar(organizer)
    page = client.get(
        reverse("registrations:register", args=[webinar.registration_key])
    ).content.decode()
    assert "Registration for this webinar is closed" in page
    response = register(client, webinar)
    assert response.status_code == 200
    assert not Registrant.objects.exists()


def test_a_full_live_webinar_still_sells_its_replay(client, organizer):
    webinar = replay_webinar(organizer, registration_limit=1)
    factories.RegistrantFactory(webinar=webinar)
    response = register(client, webinar)
    assert response.status_code == 303
    buyer = Registrant.objects.get(email="buyer@example.com")
    assert buyer.status == Registrant.Status.CONFIRMED
    assert buyer.session is None


def test_a_series_replay_asks_for_no_session(client, organizer):
    webinar = replay_webinar(organizer, registration_type="individual_session")
    assert webinar.is_series
    response = register(client, webinar)
    assert response.status_code == 303, response.content.decode()[:1000]
    assert Registrant.objects.get().session is None


def test_free_replay_grant_comes_after_commit(
    client, organizer, django_capture_on_commit_callbacks
):
    webinar = replay_webinar(organizer)
    with django_capture_on_commit_callbacks(execute=True):
        assert register(client, webinar).status_code == 303
    registrant = Registrant.objects.get()
    assert WatchGrant.objects.filter(registrant=registrant).exists()
    assert not Payment.objects.exists()


def test_approved_replay_registrant_gets_the_grant_and_the_link(
    client, organizer, django_capture_on_commit_callbacks
):
    webinar = replay_webinar(organizer, approval="manual")
    register(client, webinar)
    registrant = Registrant.objects.get()
    assert registrant.status == Registrant.Status.AWAITING
    assert not WatchGrant.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        approve_registrant(registrant=registrant)
    grant = WatchGrant.objects.get(registrant=registrant)
    email = render_email(registrant=Registrant.objects.get(), kind="approved")
    assert f"/watch/{grant.token}/" in email.text
    assert f"/watch/{grant.token}/" in email.html


def test_confirmation_of_a_live_registration_has_no_watch_link(organizer, webinar):
    registrant = factories.RegistrantFactory(webinar=webinar)
    email = render_email(registrant=registrant, kind="confirmation")
    assert "/watch/" not in email.text
    assert not WatchGrant.objects.exists()


def test_a_batch_of_confirmations_asks_about_videos_once_per_webinar(organizer):
    """The sender's batch memo: whether a webinar has videos, asked once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from recordings.models import PostSessionVideo
    from registrations.emails import outbox, sending

    replay = replay_webinar(organizer)
    live = factories.WebinarFactory(owner=organizer, account=organizer.account)
    buyers = [
        factories.RegistrantFactory(webinar=replay, email=f"r{n}@example.com")
        for n in range(4)
    ]
    for n in range(4):
        registrant = factories.RegistrantFactory(webinar=live, email=f"l{n}@e.com")
        outbox.queue_email(registrant=registrant, kind="confirmation")
    for registrant in buyers:
        outbox.queue_email(registrant=registrant, kind="confirmation")
    table = connection.ops.quote_name(PostSessionVideo._meta.db_table)

    with CaptureQueriesContext(connection) as queries:
        assert sending.send_due_emails().sent == 8

    asked = [q for q in queries if f"SELECT 1 FROM {table}" in q["sql"]]  # noqa: S608
    assert len(asked) == 2  # one per webinar, not one per email
    # The replay's buyers still get their personal links.
    for registrant in buyers:
        grant = WatchGrant.objects.get(registrant=registrant)
        assert grant.token
