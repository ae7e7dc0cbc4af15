"""An organizer cancels a paid registrant with a partial refund; a registrant
cancels within the refund policy and is refunded automatically."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from payments.models import Refund
from registrations.models import Registrant
from registrations.refunds.self_service import save_policy
from tests import factories
from tests.registrations.checkout_support import run_refund_tasks
from tests.registrations.refund_support import pay_registrant, refunded_in_stripe
from webinars.models import Webinar

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def paid(stripe_sandbox):
    organizer = factories.OrganizerFactory()
    webinar = factories.WebinarFactory(owner=organizer, title="Budgeting basics")
    save_policy(
        webinar=webinar,
        policy=Webinar.RefundPolicy.FULL_UNTIL,
        hours_before=24,
        percent=100,
    )
    acct = stripe_sandbox.create_account(default_currency="eur")
    return pay_registrant(
        sandbox=stripe_sandbox, webinar=webinar, account=acct, amount=5000
    )


def test_organizer_cancels_a_paid_registrant_with_a_partial_refund(
    live_server, paid, browser_page
):
    page = browser_page
    organizer = paid.webinar.owner
    login = reverse("organizers:login")
    page.goto(f"{live_server.url}{login}?next={paid.webinar.get_absolute_url()}")
    page.get_by_label("Email").fill(organizer.email)
    page.get_by_label("Password").fill("secret-pass-1")
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("link", name="Payments and refunds").click()
    page.get_by_role("link", name="Cancel or refund").click()
    page.get_by_label("Cancel and refund part").check()
    page.get_by_label("Amount to refund").fill("12.50")
    page.get_by_role("button", name="Review").click()

    expect(page.locator("#this-refund")).to_contain_text("€12.50")
    expect(page.get_by_text("Stripe keeps its fee")).to_be_visible()
    page.get_by_role("button", name="Confirm").click()

    # The refund goes to Stripe in the background: the page waits for it.
    expect(
        page.get_by_text("Refund of €12.50 requested: waiting for Stripe's answer.")
    ).to_be_visible()
    status = page.locator("#refund-status")
    expect(status).to_contain_text("Waiting for Stripe's answer.")
    run_refund_tasks()
    # The page follows the refund without a reload: the banner and the
    # summary move with the refund rows, never "waiting" beside "Succeeded".
    expect(status).to_contain_text("Succeeded", timeout=15_000)
    expect(status).not_to_contain_text("Waiting for Stripe's answer.")
    expect(page.locator("#refund-banner")).to_have_text("Refunded €12.50.")
    # The banner alone announces it; the rows change silently.
    expect(page.locator("#refund-banner")).to_have_attribute("role", "status")
    expect(page.locator("[aria-live], [role=status], [role=alert]")).to_have_count(1)
    expect(page.get_by_text("waiting for Stripe's answer")).to_have_count(0)
    summary = page.locator("#refund-state .refund-summary")
    expect(summary).not_to_contain_text("Refunds in progress")
    expect(summary.locator("tr", has_text="Already refunded")).to_contain_text("€12.50")
    paid.refresh_from_db()
    assert paid.status == Registrant.Status.CANCELLED
    assert paid.payment.amount_refunded == 1250
    assert refunded_in_stripe(paid.payment) == 1250


def test_registrant_cancels_within_the_policy_and_is_refunded(
    live_server, paid, browser_page
):
    page = browser_page
    cancel = reverse("registrations:self_cancel", args=[paid.cancel_token])
    page.goto(f"{live_server.url}{cancel}")
    expect(page.get_by_text("Full refund if you cancel up to 24 hours")).to_be_visible()
    page.get_by_role("button", name="Cancel and get €50.00 back").click()
    # A second step says what happens and offers a way out.
    expect(page.get_by_text("You get €50.00 back")).to_be_visible()
    expect(page.get_by_role("link", name="No, keep my registration")).to_be_visible()
    page.get_by_role("button", name="Yes, cancel my registration").click()

    expect(page.get_by_text("Your registration is cancelled.")).to_be_visible()
    expect(page.get_by_text("€50.00")).to_be_visible()
    # The page only queues the Stripe call; the worker sends it.
    run_refund_tasks()
    paid.refresh_from_db()
    assert paid.status == Registrant.Status.REFUNDED
    assert Refund.objects.get().status == Refund.Status.SUCCEEDED
    assert refunded_in_stripe(paid.payment) == 5000
