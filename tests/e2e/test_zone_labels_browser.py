"""A zone label's offset ("UTC−05:00") never breaks across lines on a phone.

A line may break after a hyphen-minus, so "UTC-05:00" broke after "UTC-" on
narrow screens; the label's minus sign (U+2212) does not allow it. Each page is
laid out at every width from 320 to 440 px (375 px, a common phone, among them):
wherever the lines fall, no offset is split.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, Page

from payments import price_changes
from tests import factories
from tests.e2e.a11y import assert_accessible
from tests.e2e.cookies import start_cookies
from tests.registrations.checkout_support import make_paid_webinar

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A zone without summer time: its offset is the same whatever the day.
ZONE = "America/Bogota"
PHONE = {"width": 375, "height": 812}

# Every "UTC±hh:mm" in the page's text: how many offsets, and those whose
# characters lie on more than one line.
SPLIT_OFFSETS = """() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const pattern = /UTC[+\\-\\u2212]\\d\\d:\\d\\d/g;
  let found = 0;
  const split = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const match of node.data.matchAll(pattern)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const rects = [...range.getClientRects()].filter(r => r.width > 0);
      if (!rects.length) { continue; }
      found += 1;
      if (new Set(rects.map(r => Math.round(r.top))).size > 1) {
        split.push(node.data.trim().slice(0, 80));
      }
    }
  }
  return [found, split];
}"""


def assert_offsets_stay_whole(page: Page, label: str) -> None:
    found = 0
    for width in range(320, 441, 3):
        page.set_viewport_size({"width": width, "height": 812})
        found, split = page.evaluate(SPLIT_OFFSETS)
        assert not split, (
            f"{label} at {width} px: an offset split across lines: {split}"
        )
    assert found, f"{label}: no zone offset on the page"
    page.set_viewport_size(PHONE)
    assert_accessible(page, f"{label}, 375 px")


def open_page(browser: Browser, url: str, *, language: str, user=None) -> Page:
    context = browser.new_context(locale=language, viewport=PHONE)
    context.add_cookies(start_cookies(url, language=language, user=user))
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(url)
    return page


@pytest.mark.parametrize("language", ["en", "fr"])
def test_registration_pages_keep_each_offset_on_one_line(
    live_server, browser, organizer, stripe_sandbox, language
):
    single = make_paid_webinar(
        owner=organizer,
        stripe_account=stripe_sandbox.demo_account,
        title="Budgeting basics",
        timezone=ZONE,
    )
    factories.PriceTierFactory(
        price=single.price, amount=2000, ends_at=timezone.now() + timedelta(days=3)
    )
    series = make_paid_webinar(
        owner=organizer,
        stripe_account=stripe_sandbox.demo_account,
        title="Budgeting series",
        timezone=ZONE,
        registration_type="individual_session",
        sessions=2,
    )
    for webinar, label in ((single, "registration page"), (series, "series page")):
        page = open_page(
            browser, live_server.url + webinar.get_registration_url(), language=language
        )
        assert "UTC\u221205:00" in page.content()
        assert_offsets_stay_whole(page, f"{label}, {language}")
        page.context.close()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_console_pages_keep_each_offset_on_one_line(
    live_server, browser, organizer, language
):
    webinar = factories.WebinarFactory(
        owner=organizer, title="Budgeting basics", timezone=ZONE
    )
    factories.StripeConnectionFactory(account=webinar.account)
    user = organizer.user
    price_changes.set_price(webinar=webinar, amount=6000, currency="EUR", user=user)
    price_changes.add_tier(
        webinar=webinar,
        amount=4000,
        ends_at=timezone.now() + timedelta(days=2),
        user=user,
    )
    pages = {
        "dashboard": reverse("webinars:dashboard"),
        "webinar page": webinar.get_absolute_url(),
        "payment section": reverse("payments:pricing", args=[webinar.pk]),
    }
    for label, path in pages.items():
        page = open_page(browser, live_server.url + path, language=language, user=user)
        assert_offsets_stay_whole(page, f"{label}, {language}")
        page.context.close()
