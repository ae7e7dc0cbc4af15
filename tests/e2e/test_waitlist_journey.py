"""The waitlist in Chromium, in English and French: join a full paid webinar,
a seat frees, the offer email's link, pay on the sandbox, confirmed; an offer
not taken in time expires (the sweep, with the clock pinned) and passes on.

Every page on the way goes through axe-core (WCAG 2.2 AA) at both viewports.
"""

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Browser, expect

from registrations.emails.sending import send_due_emails
from registrations.models import Registrant, WaitlistEntry
from registrations.refunds.organizer_actions import cancel_registrant
from registrations.waitlist.offers import expire_offers
from tests import factories
from tests.e2e.test_journeys import LANGUAGES, Journey, pay_on_the_sandbox
from tests.registrations.checkout_support import make_paid_webinar
from tests.waitlist.support import line_up

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Status = WaitlistEntry.Status


@pytest.fixture
def journeys(browser: Browser, live_server, settings) -> Iterator:
    """Start Journeys (test_journeys.Journey) against the live server."""
    settings.SITE_URL = live_server.url
    opened: list[Journey] = []

    def start(language: str) -> Journey:
        journey = Journey(browser, live_server, language)
        opened.append(journey)
        return journey

    yield start
    for journey in opened:
        journey.close()


def offer_link(email: str) -> str:
    """Return the personal offer link of the last offer email sent to `email`."""
    send_due_emails()
    bodies = [
        m.body for m in mail.outbox if email in m.to and "/waitlist/offer/" in m.body
    ]
    assert bodies, f"no offer email to {email}"
    return re.search(r"https?://\S+/waitlist/offer/\S+/", bodies[-1]).group(0)


@pytest.mark.parametrize("language", LANGUAGES)
def test_waitlist_journey(journeys, organizer, stripe_sandbox, language):
    webinar = make_paid_webinar(
        owner=organizer,
        stripe_account=stripe_sandbox.demo_account,
        title="Popular clinic",
        registration_limit=2,
        waitlist_enabled=True,
        waitlist_offer_hours=2,
    )
    taken = factories.RegistrantFactory.create_batch(2, webinar=webinar, source="paid")
    journey = journeys(language)

    # Full: the registration page offers the waitlist, with the same form.
    page = journey.open(webinar.get_registration_url())
    expect(page.locator("#closed-notice")).to_be_visible()
    journey.check("registration page, full with a waitlist")
    page.locator("#waitlist-join").click()
    expect(page.locator("#waitlist-intro")).to_be_visible()
    journey.check("waitlist join page")
    page.locator("#waitlist-submit").click()
    expect(page.locator(".errorlist").first).to_be_visible()
    journey.check("waitlist join page, form errors")
    email = f"wait-{language}@example.com"
    journey.fill_form(email=email)
    page.locator("#waitlist-submit").click()
    expect(page.locator("#waitlist-position")).to_contain_text("1")
    journey.check("waitlist status page, waiting")
    status_url = page.url
    later, last = line_up(webinar, 2, start=10)

    # A seat frees: the first in line gets the offer email, and pays.
    cancel_registrant(taken[0], email=False)
    page = journey.open(offer_link(email))
    expect(page.locator("#offer-accept")).to_be_visible()
    expect(page.locator("#offer-expiry")).to_be_visible()
    journey.check("waitlist offer page")
    journey.open(status_url)
    expect(page.locator("#waitlist-offer")).to_be_visible()
    journey.check("waitlist status page, offered")
    journey.open(offer_link(email))
    page.locator("#offer-accept").click()
    pay_on_the_sandbox(journey)
    expect(page.locator("#join-link")).to_be_visible()
    journey.check("success page after a waitlist offer")
    registrant = Registrant.objects.get(webinar=webinar, email=email)
    assert registrant.status == Registrant.Status.CONFIRMED
    assert registrant.language == language
    assert WaitlistEntry.objects.get(email=email).status == Status.ACCEPTED

    # Another seat frees; its offer is not taken in time and passes on.
    cancel_registrant(taken[1], email=False)
    later.refresh_from_db()
    assert later.status == Status.OFFERED
    expired_link = offer_link(later.email)
    with time_machine.travel(timezone.now() + timedelta(hours=2, minutes=1)):
        assert expire_offers() == 1
        # The next in line gets their own link (sent while the clock is pinned).
        last.refresh_from_db()
        assert last.offer_token in offer_link(last.email)
    later.refresh_from_db()
    last.refresh_from_db()
    assert later.status == Status.EXPIRED
    assert last.status == Status.OFFERED
    page = journey.open(expired_link)
    expect(page.locator("#offer-error")).to_be_visible()
    journey.check("waitlist offer page, expired")
    page.locator("#offer-error + p a").click()
    expect(page.locator("#waitlist-state")).to_have_attribute("data-status", "expired")
    journey.check("waitlist status page, expired")
