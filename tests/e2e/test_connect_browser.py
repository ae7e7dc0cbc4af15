"""An admin connects Stripe through the sandbox's consent page, then disconnects."""

import re

import pytest
from playwright.sync_api import expect

from payments.models import StripeConnection, StripeDisconnection
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_connects_through_the_consent_page_and_disconnects(
    live_server, stripe_sandbox, browser_page
):
    admin = factories.OrganizerFactory(role="admin")
    acct = stripe_sandbox.create_account(business_name="Browser Webinars")
    page = browser_page

    page.goto(f"{live_server.url}/login/?next=/console/stripe/")
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password").fill("secret-pass-1")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Connect with Stripe").click()

    # The sandbox's consent page, served on its own port.
    expect(page.get_by_role("heading", name=re.compile("Connect to"))).to_be_visible()
    page.get_by_label("Account", exact=True).select_option(acct)
    page.get_by_role("button", name="Authorize").click()

    expect(page).to_have_url(f"{live_server.url}/console/stripe/")
    masked = f"acct_…{acct[-4:]}"
    expect(page.get_by_text(f"Stripe account {masked} connected.")).to_be_visible()
    expect(page.locator("code.stripe-account")).to_have_text(masked)
    connection = StripeConnection.objects.get(disconnected_at__isnull=True)
    assert connection.stripe_account_id == acct
    assert connection.connected_by == admin.user

    page.get_by_role("link", name="Disconnect Stripe").click()
    expect(page.get_by_role("heading", name="Disconnect Stripe")).to_be_visible()
    page.get_by_role("button", name="Disconnect Stripe").click()

    expect(page.get_by_text(f"Stripe account {masked} disconnected.")).to_be_visible()
    expect(page.get_by_role("button", name="Connect with Stripe")).to_be_visible()
    connection.refresh_from_db()
    assert not connection.is_active
    assert StripeDisconnection.objects.get().disconnected_by == admin.user
