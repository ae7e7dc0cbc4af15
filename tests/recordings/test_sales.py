"""Replay and on-demand sales on the registration URL, and the emails' watch links."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from payments.models import Payment
from recordings import sales
from recordings.models import WatchGrant
from registrations.emails.content import render_email
from registrations.models import EmailLog, Registrant
from tests import factories
from tests.factories import open_personal_link
from tests.recordings.support import attach_video, ended_webinar, register

pytestmark = pytest.mark.django_db


def on_demand_webinar(organizer):
    return factories.WebinarFactory(
        owner=organizer, account=organizer.account, sessions=0, kind="on_demand"
    )


def sell(webinar, sandbox, amount=2000):
    factories.StripeConnectionFactory(
        account=webinar.account, stripe_account_id=sandbox.demo_account
    )
    factories.PriceFactory(webinar=webinar, amount=amount, currency="USD")


def pay(client, webinar, sandbox) -> Registrant:
    """Pay the latest Checkout Session with the sandbox card, then come back."""
    payment = Payment.objects.latest("pk")
    assert sandbox.pay(payment.checkout_session_id).status in (200, 302, 303)
    success = reverse("registrations:checkout_success", args=[webinar.registration_key])
    client.get(f"{success}?session_id={payment.checkout_session_id}")
    return Registrant.objects.get(payment=payment)


def watch_link_in_confirmation(registrant) -> str:
    text = render_email(registrant=registrant, kind="confirmation").text
    grant = WatchGrant.objects.get(registrant=registrant)
    assert f"/watch/{grant.token}/" in text
    return grant.token


def test_registration_page_sells_the_replay_once_the_session_ended(client, organizer):
    webinar = ended_webinar(organizer)
    attach_video(webinar)
    mode = sales.registration_mode(webinar)
    assert mode is not None and mode.kind == "replay"
    page = client.get(
        reverse("registrations:register", args=[webinar.registration_key])
    )
    assert "recording" in page.content.decode()


def test_no_replay_is_sold_without_a_recording_or_before_the_end(organizer, webinar):
    assert sales.registration_mode(ended_webinar(organizer)) is None
    attach_video(webinar)  # its session is next week
    assert sales.registration_mode(webinar) is None


def test_separate_replay_price_is_offered(login, organizer):
    webinar = ended_webinar(organizer)
    attach_video(webinar)
    factories.PriceFactory(webinar=webinar, amount=5000, currency="USD")
    login(organizer).post(
        reverse("recordings:replay_price", args=[webinar.pk]), {"amount": "12.50"}
    )
    assert sales.registration_mode(webinar).amount == 1250


def test_replay_price_below_stripe_minimum_is_refused(login, organizer):
    webinar = ended_webinar(organizer)
    factories.PriceFactory(webinar=webinar, currency="USD")
    response = login(organizer).post(
        reverse("recordings:replay_price", args=[webinar.pk]),
        {"amount": "0.10"},
        follow=True,
    )
    assert "minimum" in response.content.decode()
    assert sales.replay_amount(webinar) is None


def test_replay_bought_through_checkout_grants_access_at_once(
    client, organizer, stripe_sandbox, django_capture_on_commit_callbacks
):
    webinar = ended_webinar(organizer)
    recording = attach_video(webinar)
    sell(webinar, stripe_sandbox)
    response = register(client, webinar)
    assert response.status_code == 303, response.content.decode()[:2000]
    # The grant comes from registrant_confirmed_handlers, run after commit.
    with django_capture_on_commit_callbacks(execute=True):
        registrant = pay(client, webinar, stripe_sandbox)
    assert registrant.status == Registrant.Status.CONFIRMED
    assert WatchGrant.objects.filter(registrant=registrant, recording=recording)
    watch_link_in_confirmation(registrant)


def test_replay_with_a_zero_code_needs_no_checkout(client, organizer, stripe_sandbox):
    webinar = ended_webinar(organizer)
    attach_video(webinar)
    sell(webinar, stripe_sandbox)
    factories.DiscountCodeFactory(webinar=webinar, code="FREE", amount=0)
    response = register(client, webinar, code="free")
    assert response.status_code == 303
    assert not Payment.objects.exists()
    registrant = Registrant.objects.get()
    assert registrant.status == Registrant.Status.CONFIRMED
    token = watch_link_in_confirmation(registrant)
    watch = open_personal_link(client, reverse("recordings:watch", args=[token]))
    assert watch.status_code == 200


def test_someone_already_registered_gets_the_link_again_instead_of_paying(
    client, organizer, stripe_sandbox
):
    webinar = ended_webinar(organizer)
    attach_video(webinar)
    sell(webinar, stripe_sandbox)
    register(client, webinar)
    registrant = pay(client, webinar, stripe_sandbox)
    again = register(Client(), webinar)
    # Answered like a new free registration; the owner is emailed their link.
    assert again.status_code == 303
    assert Payment.objects.count() == 1
    assert EmailLog.objects.filter(
        registrant=registrant, kind="already_registered"
    ).exists()
    notice = render_email(registrant=registrant, kind="already_registered")
    assert "/watch/" in notice.text and "/watch/" in notice.html
    Client().post(
        reverse("registrations:resend", args=[webinar.registration_key]),
        {"email": registrant.email},
    )
    confirmations = EmailLog.objects.filter(registrant=registrant, kind="confirmation")
    assert confirmations.count() == 2
    watch_link_in_confirmation(registrant)


def test_on_demand_purchase_gives_immediate_access(client, organizer, stripe_sandbox):
    webinar = on_demand_webinar(organizer)
    recording = attach_video(webinar)
    sell(webinar, stripe_sandbox)
    page = client.get(
        reverse("registrations:register", args=[webinar.registration_key])
    )
    assert "On demand" in page.content.decode()
    assert register(client, webinar).status_code == 303
    registrant = pay(client, webinar, stripe_sandbox)
    assert registrant.status == Registrant.Status.CONFIRMED
    # The join link of the confirmation leads straight to the video.
    join = open_personal_link(
        client, reverse("registrations:join", args=[registrant.join_token])
    )
    grant = WatchGrant.objects.get(registrant=registrant, recording=recording)
    assert join.status_code == 302
    assert join["Location"].endswith(f"/watch/{grant.token}/")
    assert client.get(join["Location"]).status_code == 200


def test_followup_email_carries_the_personal_watch_link(organizer):
    webinar = ended_webinar(organizer)
    session = webinar.sessions.get()
    attach_video(webinar, session)
    registrant = factories.RegistrantFactory(webinar=webinar)
    for kind in ("followup_attended", "followup_absent"):
        email = render_email(registrant=registrant, kind=kind, session=session)
        grant = WatchGrant.objects.get(registrant=registrant)
        assert f"/watch/{grant.token}/" in email.text
        assert f"/watch/{grant.token}/" in email.html


def test_followup_email_has_no_watch_link_without_a_video(organizer):
    webinar = ended_webinar(organizer)
    registrant = factories.RegistrantFactory(webinar=webinar)
    email = render_email(
        registrant=registrant,
        kind="followup_attended",
        session=webinar.sessions.get(),
    )
    assert "/watch/" not in email.text
    assert not WatchGrant.objects.exists()


# The clock stands still: the player starts exactly ten minutes in.
@time_machine.travel(datetime(2029, 11, 20, 9, 30, tzinfo=UTC), tick=False)
def test_recorded_webinar_plays_the_recording_as_if_live(client, organizer):
    start = timezone.now() - timedelta(minutes=10)
    webinar = factories.WebinarFactory(
        owner=organizer, account=organizer.account, sessions=0, kind="recorded"
    )
    factories.SessionFactory(
        webinar=webinar, starts_at=start, ends_at=start + timedelta(hours=1)
    )
    attach_video(webinar)
    registrant = factories.RegistrantFactory(webinar=webinar)
    page = open_personal_link(
        client, reverse("registrations:join", args=[registrant.join_token])
    )
    assert page.status_code == 200
    content = page.content.decode()
    assert "<video" in content
    assert 'data-live="1"' in content
    assert 'data-start="600"' in content or 'data-start="601"' in content


def test_recorded_webinar_after_the_session_follows_replay_rules(client, organizer):
    webinar = ended_webinar(organizer, kind="recorded")
    attach_video(webinar)
    registrant = factories.RegistrantFactory(webinar=webinar)
    join = open_personal_link(
        client, reverse("registrations:join", args=[registrant.join_token])
    )
    assert join.status_code == 302
    assert "/watch/" in join["Location"]
