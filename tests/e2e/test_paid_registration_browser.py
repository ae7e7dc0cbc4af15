"""A registrant pays on the sandbox, gets the confirmation and joins from 3 devices.

Also: a 0 code registers without ever meeting Stripe, in manual approval
mode the organizer approves a paid registrant from the console, and Enter in a
field registers while Enter in the code field applies the code (with and
without script).
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from playwright.sync_api import expect

from payments.models import Payment
from payments.pricing import invalid_code_message
from registrations.emails import sending as emails
from registrations.models import Registrant
from tests import factories
from tests.e2e.a11y import VIEWPORTS, assert_accessible
from tests.registrations.checkout_support import make_paid_webinar
from tests.sandbox_fixtures import PAY_CARD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def app(live_server, settings, stripe_sandbox):
    """The live app with its dev outbox (DEBUG) and links to itself.

    The success page fulfils the payment by itself, so no webhook endpoint is
    registered here: on SQLite's shared in-memory test database a webhook
    request racing the success page would hit "table is locked". Webhooks are
    covered in tests/registrations/test_checkout_webhooks.py.
    """
    settings.DEBUG = True
    settings.SITE_URL = live_server.url
    # pytest-django swaps in the locmem backend; the dev outbox reads files.
    settings.EMAIL_BACKEND = "config.mail.EmlFileBackend"
    return live_server


def sandbox_webinar(organizer, stripe_sandbox, **fields):
    """A paid webinar of `organizer`, sold through the sandbox's demo account."""
    return make_paid_webinar(
        owner=organizer, stripe_account=stripe_sandbox.demo_account, **fields
    )


def new_page(browser):
    page = browser.new_context().new_page()
    page.set_default_timeout(15_000)
    return page


def register(app, browser, webinar, *, email, code="", price=""):
    """Open the registration page in a new browser, fill it in and send it.

    With `price`, first check that the page shows that price.
    """
    page = new_page(browser)
    page.goto(app.url + webinar.get_registration_url())
    if price:
        expect(page.locator("#price-amount")).to_have_text(price)
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("Email").fill(email)
    if code:
        page.get_by_label("Discount code").fill(code)
    page.get_by_role("button", name="Register and pay").click()
    return page


def pay_on_the_sandbox(page):
    expect(page.locator("h1.item")).to_be_visible()
    page.fill("input[name=card_number]", PAY_CARD)
    page.get_by_role("button", name="Pay").click()


def join_link_from_the_outbox(page, app, *, subject):
    """Send the queued emails, open the one with `subject`, return its join link."""
    emails.send_due_emails()
    page.goto(f"{app.url}/dev/outbox/")
    page.get_by_role("link", name=subject).first.click()
    link = page.locator("pre a[href*='/join/']").first
    expect(link).to_be_visible()
    return link.get_attribute("href")


def test_register_pay_get_the_email_and_join_from_three_devices(
    app, browser, organizer, stripe_sandbox
):
    title = "Project management for beginners"
    webinar = sandbox_webinar(organizer, stripe_sandbox, title=title)
    page = register(app, browser, webinar, email="ada@example.com", price="€50.00")

    pay_on_the_sandbox(page)

    expect(page.get_by_role("heading", name="You're registered")).to_be_visible()
    assert page.url.startswith(app.url)
    registrant = Registrant.objects.get()
    assert registrant.status == Registrant.Status.CONFIRMED
    assert registrant.payment.status == Payment.Status.PAID

    join_url = join_link_from_the_outbox(
        page, app, subject="You're registered: Project management for beginners"
    )
    join_path = reverse("registrations:join", args=[registrant.join_token])
    assert join_url == f"{app.url}{join_path}"

    devices = [new_page(browser) for _ in range(4)]
    for device in devices[:3]:
        device.goto(join_url)
        expect(device.get_by_role("heading", name=webinar.title)).to_be_visible()
    # The continue page's script POSTs back to the link: that answer refuses.
    with devices[3].expect_response(lambda r: r.request.method == "POST") as posted:
        devices[3].goto(join_url)
    answer = posted.value
    assert answer.status == 403
    expect(devices[3].get_by_text("Device limit reached")).to_be_visible()


def test_a_zero_code_registers_without_meeting_stripe(
    app, browser, organizer, stripe_sandbox
):
    webinar = sandbox_webinar(organizer, stripe_sandbox, title="Agile")
    factories.DiscountCodeFactory(webinar=webinar, code="GUEST", amount=0)
    # Any call to Stripe would fail now.
    stripe_sandbox.inject_fault("500", count=100)
    page = register(app, browser, webinar, email="guest@example.com", code="guest")

    expect(page.get_by_role("heading", name="You're registered")).to_be_visible()
    assert page.url.startswith(app.url)
    assert not Payment.objects.exists()
    join_link_from_the_outbox(page, app, subject="You're registered: Agile")


def test_manual_approval_pay_then_approved_in_the_console(
    app, browser, organizer, stripe_sandbox
):
    webinar = sandbox_webinar(
        organizer, stripe_sandbox, title="Vetted clinic", approval="manual"
    )
    page = register(app, browser, webinar, email="vetted@example.com")
    pay_on_the_sandbox(page)
    expect(
        page.get_by_role("heading", name="Awaiting the organizer's approval")
    ).to_be_visible()

    console = new_page(browser)
    login = reverse("organizers:login")
    registrants = reverse("registrations:registrants", args=[webinar.pk])
    console.goto(f"{app.url}{login}?next={registrants}")
    console.get_by_label("Email").fill(organizer.email)
    console.get_by_label("Password").fill("secret-pass-1")
    console.get_by_role("button", name="Log in").click()
    console.get_by_role("button", name="Approve").click()
    expect(
        console.get_by_text("Approved: the registrant gets their link.")
    ).to_be_visible()

    registrant = Registrant.objects.get()
    assert registrant.status == Registrant.Status.CONFIRMED
    join_url = join_link_from_the_outbox(
        page, app, subject="Your registration is approved: Vetted clinic"
    )
    assert join_url.endswith(
        reverse("registrations:join", args=[registrant.join_token])
    )


def fill_the_form(page, *, email, code=""):
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("Email").fill(email)
    if code:
        page.get_by_label("Discount code").fill(code)


@pytest.mark.parametrize("script", [True, False], ids=["script", "no-script"])
def test_enter_in_the_email_field_registers_and_goes_to_checkout(
    app, browser, organizer, stripe_sandbox, script
):
    """ "Apply" is the form's first submit button: Enter must not press it."""
    webinar = sandbox_webinar(organizer, stripe_sandbox, title="Enter to register")
    page = browser.new_context(java_script_enabled=script).new_page()
    page.set_default_timeout(15_000)
    page.goto(app.url + webinar.get_registration_url())
    fill_the_form(page, email="enter@example.com")

    page.get_by_label("Email").press("Enter")

    expect(page.locator("h1.item")).to_be_visible()
    registrant = Registrant.objects.get()
    assert registrant.email == "enter@example.com"
    assert registrant.payment.amount == 5000
    pay_on_the_sandbox(page)
    expect(page.get_by_role("heading", name="You're registered")).to_be_visible()


@pytest.mark.parametrize("script", [True, False], ids=["script", "no-script"])
def test_enter_in_the_code_field_applies_the_code(
    app, browser, organizer, stripe_sandbox, script
):
    webinar = sandbox_webinar(organizer, stripe_sandbox, title="Enter to apply")
    factories.DiscountCodeFactory(webinar=webinar, code="HALF", amount=2500)
    page = browser.new_context(java_script_enabled=script).new_page()
    page.set_default_timeout(15_000)
    page.goto(app.url + webinar.get_registration_url())
    expect(page.locator("#price-amount")).to_have_text("€50.00")
    fill_the_form(page, email="code@example.com", code="half")

    page.get_by_label("Discount code").press("Enter")

    expect(page.locator("#price-amount")).to_have_text("€25.00")
    expect(page.locator("#price-code-message")).to_have_text(
        "With this code the price is €25.00."
    )
    assert page.url == app.url + webinar.get_registration_url()
    assert not Registrant.objects.exists()
    # The register button then registers at the code's price.
    page.get_by_role("button", name="Register and pay").click()
    expect(page.locator("h1.item")).to_be_visible()
    assert Registrant.objects.get().payment.amount == 2500


def test_enter_in_an_empty_code_field_registers(
    app, browser, organizer, stripe_sandbox
):
    webinar = sandbox_webinar(organizer, stripe_sandbox, title="Nothing to apply")
    page = new_page(browser)
    page.goto(app.url + webinar.get_registration_url())
    fill_the_form(page, email="empty@example.com")

    page.get_by_label("Discount code").press("Enter")

    expect(page.locator("h1.item")).to_be_visible()
    assert Registrant.objects.get().email == "empty@example.com"


def test_apply_clicked_with_no_code_asks_for_one(
    app, browser, organizer, stripe_sandbox
):
    webinar = sandbox_webinar(organizer, stripe_sandbox, title="Click apply")
    page = new_page(browser)
    page.goto(app.url + webinar.get_registration_url())
    fill_the_form(page, email="click@example.com")

    page.get_by_role("button", name="Apply").click()

    # Beside the field, read with it, but not marked invalid: nothing was typed.
    expect(page.locator("#id_discount_code_feedback")).to_have_text(
        "Enter a discount code first."
    )
    code = page.get_by_label("Discount code")
    expect(code).to_have_attribute("aria-describedby", "id_discount_code_error")
    expect(code).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#price-code-message")).to_have_text("")
    assert page.url == app.url + webinar.get_registration_url()
    assert not Registrant.objects.exists()


# Where each element of the page sits: the code field's .field box, the code's
# error (its list, and that list's parents up to the form), and every live
# region (or alert) that holds the error's text.
WHERE_IS_THE_ERROR = """() => {
  const input = document.getElementById("id_discount_code");
  const error = document.getElementById("id_discount_code_error");
  if (!error) { return null; }
  const parents = [];
  for (let e = error.parentElement; e.tagName !== "FORM"; e = e.parentElement) {
    parents.push(e.id || e.className || e.tagName);
  }
  const text = error.textContent.trim();
  const live = [...document.querySelectorAll("[aria-live], [role]")]
    .filter(e => e.matches("[aria-live], [role=alert], [role=status]"))
    .filter(e => e.textContent.includes(text))
    .map(e => (e.getAttribute("aria-live") || e.getAttribute("role")) + "#" + e.id);
  const box = error.getBoundingClientRect();
  const price = document.getElementById("price-block").getBoundingClientRect();
  return {
    parents: parents,
    inField: input.closest(".field").contains(error),
    belowInput: box.top >= input.getBoundingClientRect().bottom,
    abovePrice: box.bottom <= price.top,
    live: live,
  };
}"""


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_wrong_code_is_refused_at_its_field_with_script_as_without(
    app, browser, organizer, stripe_sandbox, language
):
    """The script's refusal is where the server's is, tied to the field, read once."""
    webinar = sandbox_webinar(organizer, stripe_sandbox, title="Wrong code")
    factories.DiscountCodeFactory(webinar=webinar, code="HALF", amount=2500)
    with translation.override(language):
        invalid = invalid_code_message()
    where = {}
    for script in (False, True):
        page = browser.new_context(
            java_script_enabled=script, locale=language, viewport=VIEWPORTS["desktop"]
        ).new_page()
        page.set_default_timeout(15_000)
        page.goto(app.url + webinar.get_registration_url())
        page.fill("input[name=discount_code]", "NOPE")
        page.locator("#discount-code-apply").click()

        error = page.locator("#id_discount_code_error")
        expect(error).to_have_text(invalid)
        code = page.locator("input[name=discount_code]")
        expect(code).to_have_attribute("aria-invalid", "true")
        expect(code).to_have_attribute("aria-describedby", "id_discount_code_error")
        expect(page.locator("#price-code-message")).to_have_text("")
        where[script] = page.evaluate(WHERE_IS_THE_ERROR)
        assert where[script]["parents"][0] == "id_discount_code_feedback"
        assert where[script]["inField"] and where[script]["belowInput"]
        assert where[script]["abovePrice"]
        if script:
            # axe needs script (the server's page is checked in test_csp_pages).
            for name, size in VIEWPORTS.items():
                page.set_viewport_size(size)
                assert_accessible(page, f"registration page, {language}, {name}")
            # Typing again takes the refusal back.
            code.fill("HAL")
            expect(error).to_have_count(0)
            expect(code).not_to_have_attribute("aria-invalid", "true")
            assert code.get_attribute("aria-describedby") is None
        page.context.close()
    assert where[True] == where[False]
    # One polite live region announces it, not an alert or the price's line too.
    assert where[True]["live"] == ["polite#id_discount_code_feedback"]
    assert not Registrant.objects.exists()


@pytest.mark.parametrize("script", [True, False], ids=["script", "no-script"])
def test_a_code_below_the_early_bird_price_hides_its_deadline(
    app, browser, organizer, stripe_sandbox, script
):
    webinar = sandbox_webinar(organizer, stripe_sandbox, title="Early and coded")
    factories.PriceTierFactory(
        price=webinar.price, amount=4000, ends_at=timezone.now() + timedelta(days=3)
    )
    factories.DiscountCodeFactory(webinar=webinar, code="SAVE", amount=1900)
    page = browser.new_context(java_script_enabled=script).new_page()
    page.set_default_timeout(15_000)
    page.goto(app.url + webinar.get_registration_url())
    expect(page.locator("#price-tier-end")).to_be_visible()
    fill_the_form(page, email="early@example.com", code="SAVE")

    page.get_by_role("button", name="Apply").click()

    expect(page.locator("#price-amount")).to_have_text("€19.00")
    expect(page.locator("#price-code-message")).to_have_text(
        "With this code the price is €19.00."
    )
    expect(page.locator("#price-tier-end")).to_be_hidden()
    expect(page.locator("#price-code")).to_have_count(0)
