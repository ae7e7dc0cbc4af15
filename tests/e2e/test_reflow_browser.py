"""Console pages keep to a phone's width with long unbroken strings in them
(WCAG 1.4.10): a 60-character email, a Stripe id, a 40-character code."""

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser

from payments.models import Payment, Refund
from registrations.models import Registrant
from tests import factories
from tests.e2e.a11y import VIEWPORTS, assert_reflows
from tests.e2e.cookies import start_cookies

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_EMAIL = "bruno.longlastname" * 3 + "@example.com"  # 66 characters
STRIPE_ID = "pi_3PzLongStripeIdentifierWithoutAnyBreak0123456789"


def open_on_a_phone(browser: Browser, live_server, user, language: str, path: str):
    context = browser.new_context(
        locale=language, viewport=VIEWPORTS["mobile"], is_mobile=True
    )
    context.add_cookies(start_cookies(live_server.url, language=language, user=user))
    page = context.new_page()
    page.set_default_timeout(15_000)
    response = page.goto(f"{live_server.url}{path}")
    assert response is not None and response.ok
    return page


def assert_fits(page) -> None:
    """The page does not scroll sideways (scrollWidth within clientWidth)."""
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth,"
        " document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], (page.url, widths)
    assert_reflows(page, page.url)


def paid_registrant(webinar) -> Registrant:
    payment = Payment.objects.create(
        account=webinar.account,
        webinar=webinar,
        stripe_account_id="acct_reflow",
        checkout_session_id="cs_test_reflow",
        payment_intent_id=STRIPE_ID,
        amount=2450,
        currency="EUR",
        status=Payment.Status.PAID,
        paid_at=timezone.now(),
    )
    return factories.RegistrantFactory(
        webinar=webinar,
        email=LONG_EMAIL,
        payment=payment,
        source=Registrant.Source.PAID,
        amount=2450,
        currency="EUR",
    )


@pytest.mark.parametrize("language", ["en", "fr"])
def test_registrant_list_and_refunds_fit_a_phone(live_server, browser, language):
    organizer = factories.OrganizerFactory()
    webinar = factories.WebinarFactory(owner=organizer, title="Budgeting basics")
    factories.StripeConnectionFactory(account=organizer.account)
    factories.PriceFactory(webinar=webinar, amount=2450, currency="EUR")
    code = factories.DiscountCodeFactory(webinar=webinar, code="SPRING2026" * 4)
    registrant = paid_registrant(webinar)
    Registrant.objects.filter(pk=registrant.pk).update(discount_code=code)
    Refund.objects.create(
        payment=registrant.payment,
        amount=1000,
        status=Refund.Status.FAILED,
        failure_reason="expired_or_canceled_card_" + STRIPE_ID,
        stripe_refund_id="re_" + STRIPE_ID,
        idempotency_key="reflow",
    )

    for path in (
        reverse("registrations:registrants", args=[webinar.pk]),
        reverse("registrations:refunds_overview", args=[webinar.pk]),
        reverse("registrations:refund_registrant", args=[webinar.pk, registrant.pk]),
        reverse("webinars:dashboard"),
    ):
        page = open_on_a_phone(browser, live_server, organizer.user, language, path)
        assert page.locator("main").inner_text(), path
        assert_fits(page)
        page.context.close()
