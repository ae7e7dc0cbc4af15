"""The "payment processing" page checks itself by script (no meta refresh) and
shows the confirmation once the registration is confirmed."""

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from registrations.models import Registrant
from tests.registrations.checkout_support import (
    make_paid_webinar,
    register,
    session_id_of,
    success_path,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_processing_page_reloads_once_the_registration_is_confirmed(
    live_server, browser_page, organizer, stripe_sandbox
):
    webinar = make_paid_webinar(
        owner=organizer, stripe_account=stripe_sandbox.demo_account
    )
    # An open Checkout Session, not paid: Checkout's return page says "processing".
    session_id = session_id_of(register(Client(), webinar)["Location"])
    registrant = Registrant.objects.get()
    page = browser_page

    page.goto(f"{live_server.url}{success_path(webinar, session_id)}")
    expect(page.get_by_role("heading", name="Payment processing")).to_be_visible()
    assert page.locator("meta[http-equiv=refresh]").count() == 0
    # Nothing changed: the page stays (no reload under the reader's feet).
    page.evaluate("window.stillHere = true")
    page.wait_for_timeout(4_000)
    assert page.evaluate("window.stillHere === true")

    Registrant.objects.filter(pk=registrant.pk).update(
        status=Registrant.Status.CONFIRMED, confirmed_at=timezone.now()
    )

    expect(page.get_by_role("heading", name="You're registered")).to_be_visible(
        timeout=10_000
    )
