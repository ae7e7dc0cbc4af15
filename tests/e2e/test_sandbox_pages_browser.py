"""The sandbox's hosted pages a registrant meets in the demo pass axe entirely.

WCAG 2.2 AA and axe's best practices, `region` included (every piece of content
in a landmark: the sandbox banner is the header, the rest the main), in English
and French, on desktop and mobile: the Checkout page, the same page refusing a
card, and the page of a session that can no longer be paid.
"""

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.a11y import VIEWPORTS, assert_accessible
from tests.sandbox_fixtures import DECLINE_CARD, session_params

pytestmark = pytest.mark.browser

DEMO = {"stripe_account": "acct_1TesseraDemo0001"}
PAY = {"en": "Pay", "fr": "Payer"}


def checkout_url(stripe_sdk, language: str) -> tuple[str, str]:
    """Open a Checkout Session speaking `language`; return its id and page."""
    params = session_params(amount=5000, currency="eur", locale=language)
    session = stripe_sdk.v1.checkout.sessions.create(params, DEMO)
    return session["id"], session["url"]


def check(page: Page, label: str) -> None:
    for name, size in VIEWPORTS.items():
        page.set_viewport_size(size)
        assert_accessible(page, f"{label}, {name}", best_practice=True)
    # The banner is the page's header; nothing lies outside a landmark.
    expect(page.locator("body > header")).to_have_count(1)
    expect(page.locator("body > main")).to_have_count(1)
    assert page.evaluate("[...document.body.children].map(e => e.tagName)") == [
        "HEADER",
        "MAIN",
    ]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_sandbox_checkout_pages_have_all_content_in_landmarks(
    browser: Browser, stripe_sandbox, stripe_sdk, language
):
    session_id, url = checkout_url(stripe_sdk, language)
    page = browser.new_context(locale=language).new_page()
    page.set_default_timeout(15_000)

    page.goto(url)
    expect(page.locator("html")).to_have_attribute("lang", language)
    check(page, f"sandbox checkout page, {language}")

    page.fill("input[name=card_number]", DECLINE_CARD)
    page.get_by_role("button", name=PAY[language], exact=True).click()
    expect(page.get_by_role("alert")).to_be_visible()
    check(page, f"sandbox checkout page, card declined, {language}")

    stripe_sandbox.expire(session_id)
    page.goto(url)
    expect(page.locator("h1")).to_be_visible()
    check(page, f"sandbox checkout page, expired, {language}")
