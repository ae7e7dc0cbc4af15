"""An organizer sets a price, an early bird and codes, then previews the page."""

import zoneinfo
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from payments.models import DiscountCode, Price
from tests import factories
from tests.e2e.a11y import VIEWPORTS, assert_accessible, assert_reflows
from tests.e2e.cookies import start_cookies

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NBSP = "\u00a0"
NNBSP = "\u202f"


def test_organizer_prices_a_webinar_and_previews_it_in_two_languages(
    live_server, browser_page
):
    organizer = factories.OrganizerFactory()
    webinar = factories.WebinarFactory(owner=organizer, title="Budgeting basics")
    factories.StripeConnectionFactory(account=organizer.account)
    page = browser_page
    section = f"{live_server.url}/console/webinars/{webinar.pk}/payments/"

    page.goto(f"{live_server.url}/login/?next=/console/webinars/{webinar.pk}/")
    page.get_by_label("Email").fill(organizer.email)
    page.get_by_label("Password").fill("secret-pass-1")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Manage price and codes").click()
    expect(page).to_have_url(section)

    price_form = page.locator("form[action$='/payments/price/']")
    price_form.get_by_label("Regular price").fill("100.00")
    price_form.get_by_label("Currency").select_option("USD")
    # Stripe can charge: the same save turns payments on (the box is ticked).
    expect(price_form.get_by_label("Turn payments on")).to_be_checked()
    price_form.get_by_role("button", name="Save price").click()
    expect(
        page.get_by_text("Price saved. Payments are on: registrants pay this price.")
    ).to_be_visible()

    ends = timezone.now() + timedelta(days=2)
    local_end = ends.astimezone(zoneinfo.ZoneInfo(webinar.timezone))
    tier_form = page.locator("form[action$='/payments/tiers/']")
    tier_form.get_by_label("Early-bird price").fill("80.00")
    tier_form.get_by_label("Until").fill(local_end.strftime("%Y-%m-%dT%H:%M"))
    tier_form.get_by_role("button", name="Add tier").click()
    expect(page.get_by_text("Early-bird price added.")).to_be_visible()

    code_form = page.locator("form[action$='/payments/codes/']")
    for code, amount in (("FREE", "0"), ("EARLY", "50.00")):
        code_form.get_by_label("Code", exact=True).fill(code)
        code_form.get_by_label("Price with the code").fill(amount)
        code_form.get_by_role("button", name="Create code").click()
        expect(page.get_by_text(f"Code {code} created.")).to_be_visible()
    # A bad code gets its message beside the field, and nothing is saved.
    code_form.get_by_label("Code", exact=True).fill("free")
    code_form.get_by_label("Price with the code").fill("10")
    code_form.get_by_role("button", name="Create code").click()
    expect(page.get_by_text("already exists for this webinar")).to_be_visible()

    price = Price.objects.get(webinar=webinar)
    assert (price.amount, price.currency, price.enabled) == (10000, "USD", True)
    assert price.tiers.get().amount == 8000
    assert dict(DiscountCode.objects.values_list("code", "amount")) == {
        "FREE": 0,
        "EARLY": 5000,
    }

    page.goto(section)
    page.get_by_role("link", name="English").click()
    expect(page.locator("#price-amount")).to_have_text("US$80.00")
    expect(page.locator("#price-regular")).to_contain_text("US$100.00")
    expect(page.locator("#price-tier-end")).to_contain_text("Early-bird price until")
    page.get_by_label("Discount code").fill("early")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#price-amount")).to_have_text("US$50.00")
    page.get_by_label("Discount code").fill("FREE")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#price-amount")).to_have_text("Free")

    page.goto(f"{section}preview/?lang=fr")
    amount = page.locator("#price-amount").text_content()
    assert amount == f"80,00{NBSP}$US"
    assert f"100,00{NBSP}$US" in page.locator("#price-regular").text_content()
    assert DiscountCode.objects.get(code="EARLY").uses == 0


def test_a_price_saved_before_stripe_says_registration_stays_free(
    live_server, browser_page
):
    organizer = factories.OrganizerFactory()
    webinar = factories.WebinarFactory(owner=organizer, title="Budgeting basics")
    page = browser_page
    section = f"{live_server.url}/console/webinars/{webinar.pk}/payments/"
    page.goto(f"{live_server.url}/login/?next=/console/webinars/{webinar.pk}/payments/")
    page.get_by_label("Email").fill(organizer.email)
    page.get_by_label("Password").fill("secret-pass-1")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(section)

    price_form = page.locator("form[action$='/payments/price/']")
    expect(price_form.get_by_label("Turn payments on")).to_have_count(0)
    price_form.get_by_label("Regular price").fill("49.00")
    price_form.get_by_role("button", name="Save price").click()
    status = page.get_by_role("status")
    expect(status).to_contain_text(
        "Price saved, but registration stays free until Stripe is connected."
    )
    assert_accessible(page, "payment section, price saved without Stripe")
    assert not Price.objects.get(webinar=webinar).enabled

    # Once Stripe can charge, the form offers to turn payments on as it saves.
    factories.StripeConnectionFactory(account=organizer.account)
    status.get_by_role("link", name="Connect Stripe in the Payments settings").click()
    expect(page).to_have_url(f"{live_server.url}/console/stripe/")
    page.goto(section)
    box = price_form.get_by_label("Turn payments on")
    expect(box).to_be_checked()
    assert_accessible(page, "payment section, turn-on box offered")
    box.uncheck()
    price_form.get_by_role("button", name="Save price").click()
    expect(page.get_by_role("status")).to_contain_text("Payments are still off")
    assert not Price.objects.get(webinar=webinar).enabled
    price_form.get_by_role("button", name="Save price").click()
    expect(page.get_by_role("status")).to_contain_text("Payments are on")
    assert Price.objects.get(webinar=webinar).enabled


@pytest.mark.parametrize(
    ("language", "hints"),
    [
        (
            "en",
            {
                "EUR": "Between €0.50 and €999,999.99 (Stripe's limits).",
                "MXN": "Between MX$10.00 and MX$999,999.99 (Stripe's limits).",
            },
        ),
        (
            "fr",
            {
                "EUR": f"Entre 0,50{NBSP}€ et 999{NNBSP}999,99{NBSP}€ "
                "(limites de Stripe).",
                "MXN": f"Entre 10,00{NBSP}$MX et 999{NNBSP}999,99{NBSP}$MX "
                "(limites de Stripe).",
            },
        ),
    ],
)
def test_the_price_hint_follows_the_currency_chosen(
    live_server, browser, language, hints
):
    organizer = factories.OrganizerFactory()
    webinar = factories.WebinarFactory(owner=organizer, title="Budgeting basics")
    factories.PriceFactory(webinar=webinar, amount=10000, currency="EUR")
    context = browser.new_context(locale=language)
    context.add_cookies(
        start_cookies(live_server.url, language=language, user=organizer.user)
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/console/webinars/{webinar.pk}/payments/")

    hint = page.locator("#price_amount_helptext")
    amount = page.locator("#price_amount")
    expect(hint).to_contain_text(hints["EUR"])
    expect(amount).to_have_attribute("aria-describedby", "price_amount_helptext")

    page.select_option("#price_currency", "MXN")

    # Said where it is, and announced politely as it changes.
    expect(hint).to_contain_text(hints["MXN"])
    expect(hint).not_to_contain_text("€")
    expect(hint).to_have_attribute("aria-live", "polite")
    assert_accessible(page, f"payment section, {language}, pesos chosen")

    # Saved anyway below the pesos' minimum: the page comes back saying it twice.
    amount.fill("9")
    page.locator("form[action$='/payments/price/'] button[type=submit]").click()
    expect(page.locator("#price_amount_error")).to_contain_text("10")
    expect(page.locator("#price_amount_error")).to_contain_text("MX")
    expect(hint).to_contain_text(hints["MXN"])
    expect(page.locator("#price_currency")).to_have_value("MXN")
    assert Price.objects.get(webinar=webinar).currency == "EUR"


LONG_CODE = "SPRING2026" * 4  # 40 characters, the longest a code may be


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_forty_character_code_does_not_widen_the_page_on_a_phone(
    live_server, browser, language
):
    organizer = factories.OrganizerFactory()
    webinar = factories.WebinarFactory(owner=organizer, title="Budgeting basics")
    factories.StripeConnectionFactory(account=organizer.account)
    factories.PriceFactory(webinar=webinar, amount=2450, currency="EUR")
    context = browser.new_context(
        locale=language, viewport=VIEWPORTS["mobile"], is_mobile=True
    )
    context.add_cookies(
        start_cookies(live_server.url, language=language, user=organizer.user)
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/console/webinars/{webinar.pk}/payments/")
    code_form = page.locator("form[action$='/payments/codes/']")
    code_form.locator("input[name=code]").fill(LONG_CODE)
    code_form.locator("input[name=amount]").fill("5")
    code_form.locator("button[type=submit]").click()
    page.wait_for_load_state("load")

    assert page.evaluate("document.documentElement.lang") == language
    expect(page.locator("#history")).to_contain_text(LONG_CODE)
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth,"
        " document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], widths
    assert_reflows(page, f"payments section, {language}, 40-character code")
    context.close()
