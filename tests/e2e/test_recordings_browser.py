"""A registrant buys the replay of an ended webinar, watches it, and cannot share it."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from recordings.models import PostSessionVideo
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sold_webinar(kind: str, sandbox):
    """An ended live webinar (or an on-demand one) selling its recording."""
    organizer = factories.OrganizerFactory()
    webinar = factories.WebinarFactory(
        owner=organizer,
        title="Quarterly planning",
        sessions=0,
        kind="live" if kind == "replay" else "on_demand",
    )
    if kind == "replay":
        start = timezone.now() - timedelta(days=2)
        factories.SessionFactory(
            webinar=webinar, starts_at=start, ends_at=start + timedelta(hours=1)
        )
    # A small video generated in the test (pure Python VP8/WebM).
    recording = factories.RecordingFactory(
        account=webinar.account,
        title="Planning recording",
        file=factories.sample_webm(seconds=6),
        duration_seconds=6,
    )
    PostSessionVideo.objects.create(recording=recording, webinar=webinar)
    factories.StripeConnectionFactory(
        account=webinar.account, stripe_account_id=sandbox.demo_account
    )
    factories.PriceFactory(webinar=webinar, amount=1500, currency="USD")
    return webinar


def wait_until_playing(page) -> None:
    video = page.locator("video#player")
    expect(video).to_be_visible()
    page.evaluate("document.getElementById('player').muted = true")
    page.evaluate("document.getElementById('player').play().catch(() => {})")
    page.wait_for_function(
        "() => { const v = document.getElementById('player');"
        " return v && v.readyState >= 2 && v.currentTime > 0.2; }",
        timeout=15_000,
    )


@pytest.mark.parametrize(
    "kind",
    ["replay", "on_demand"],
)
def test_buyer_watches_replay_and_a_fourth_device_is_refused(
    live_server, browser, stripe_sandbox, kind
):
    webinar = sold_webinar(kind, stripe_sandbox)
    page = browser.new_context().new_page()
    page.set_default_timeout(15_000)

    page.goto(f"{live_server.url}{webinar.get_registration_url()}")
    page.get_by_label("First name").fill("Bea")
    page.get_by_label("Last name").fill("Buyer")
    page.get_by_label("Email").fill("bea@example.com")
    page.get_by_role("button", name="Register").click()

    # The sandbox's hosted checkout page.
    page.locator("input[name=card_number]").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Pay").click()
    page.locator("#join-link").click()

    expect(page).to_have_url(re.compile(r"/watch/[A-Za-z0-9_-]{43}/$"))
    wait_until_playing(page)
    watch_url = page.url

    for _ in range(2):  # two more devices of the same person: admitted
        other = browser.new_context().new_page()
        other.goto(watch_url)
        expect(other.locator("video#player")).to_be_visible()
        other.context.close()

    fourth = browser.new_context().new_page()
    # The continue page's script POSTs back to the link: that answer refuses.
    with fourth.expect_response(lambda r: r.request.method == "POST") as posted:
        fourth.goto(watch_url)
    response = posted.value
    assert response is not None and response.status == 403
    expect(fourth.get_by_text("Device limit reached")).to_be_visible()
    expect(fourth.locator("video")).to_have_count(0)
    fourth.context.close()
