"""The registrant list's select-all box, by keyboard, and the bulk refund and
cancel through their confirmation pages (axe in English and French), with and
without JavaScript."""

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from payments.money import format_money
from registrations.models import Registrant
from tests import factories
from tests.e2e.a11y import assert_accessible
from tests.e2e.cookies import start_cookies
from tests.registrations.checkout_support import run_refund_tasks
from tests.registrations.refund_support import pay_registrant, refunded_in_stripe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LABELS = {
    "en": "Select every registrant on this page",
    "fr": "Sélectionner tous les inscrits de cette page",
}


@pytest.fixture
def webinar(stripe_sandbox):
    organizer = factories.OrganizerFactory()
    webinar = factories.WebinarFactory(owner=organizer, title="Budgeting basics")
    acct = stripe_sandbox.create_account(default_currency="eur")
    for _ in range(2):
        pay_registrant(
            sandbox=stripe_sandbox, webinar=webinar, account=acct, amount=5000
        )
    factories.RegistrantFactory(webinar=webinar, email="free@example.com")
    return webinar


def open_list(
    browser: Browser, live_server, webinar, *, language: str = "en", script=True
) -> Page:
    context = browser.new_context(locale=language, java_script_enabled=script)
    context.add_cookies(
        start_cookies(live_server.url, language=language, user=webinar.owner.user)
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    path = reverse("registrations:registrants", args=[webinar.pk])
    page.goto(f"{live_server.url}{path}")
    return page


def rows(page: Page):
    return page.locator("#registrant-rows input[type=checkbox][name=ids]")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_select_all_works_from_the_keyboard_and_says_mixed(
    browser, live_server, webinar, language
):
    page = open_list(browser, live_server, webinar, language=language)
    every = page.get_by_role("checkbox", name=LABELS[language])
    expect(every).to_be_visible()
    expect(every).not_to_be_checked()

    every.focus()
    page.keyboard.press("Space")
    expect(every).to_be_checked()
    for n in range(rows(page).count()):
        expect(rows(page).nth(n)).to_be_checked()
    assert_accessible(page, f"registrant list, all selected, {language}")

    # One row unticked: the header box is neither checked nor unchecked.
    rows(page).first.press("Space")
    expect(rows(page).first).not_to_be_checked()
    expect(every).to_be_checked(indeterminate=True)
    expect(every).to_match_aria_snapshot(
        f'- checkbox "{LABELS[language]}" [checked=mixed]'
    )
    assert_accessible(page, f"registrant list, some selected, {language}")

    # From mixed, the box ticks every row; again, it unticks every row.
    every.press("Space")
    expect(every).to_be_checked()
    assert rows(page).evaluate_all("boxes => boxes.every(b => b.checked)")
    every.press("Space")
    expect(every).not_to_be_checked()
    assert rows(page).evaluate_all("boxes => boxes.every(b => !b.checked)")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_refund_in_full_of_everyone_shown_confirms_then_refunds(
    browser, live_server, webinar, language
):
    page = open_list(browser, live_server, webinar, language=language)
    page.locator("#select-all").check()
    page.select_option("#bulk-action", "refund")
    page.locator("#bulk-form button[type=submit]").click()

    total = format_money(10000, "EUR", language=language)
    expect(page.locator("#bulk-total")).to_contain_text(total)
    expect(page.locator("#bulk-skipped")).to_contain_text("free@example.com")
    assert_accessible(page, f"bulk refund confirmation, {language}")
    page.locator("form:has(input[name=confirmed]) button[type=submit]").click()

    expect(page.locator("#bulk-form")).to_be_visible()
    assert_accessible(page, f"registrant list after a bulk refund, {language}")
    run_refund_tasks()
    for registrant in Registrant.objects.filter(payment__isnull=False):
        assert registrant.status == Registrant.Status.REFUNDED
        assert refunded_in_stripe(registrant.payment) == 5000
    assert Registrant.objects.get(email="free@example.com").status == "confirmed"


def test_without_script_rows_are_ticked_one_by_one_and_cancel_works(
    browser, live_server, webinar
):
    page = open_list(browser, live_server, webinar, script=False)
    expect(page.locator("#select-all")).to_be_hidden()
    free = Registrant.objects.get(email="free@example.com")
    page.locator(f"#select-{free.pk}").check()
    page.select_option("#bulk-action", "cancel")
    page.locator("#bulk-form button[type=submit]").click()

    expect(page.locator("#bulk-count")).to_contain_text("cancel 1 registration")
    # (axe is a script itself: the same page is checked with script above and
    # in test_console_axe.py.)
    page.locator("form:has(input[name=confirmed]) button[type=submit]").click()
    expect(
        page.get_by_text("Cancel registration: done for 1 registrant.", exact=True)
    ).to_be_visible()
    free.refresh_from_db()
    assert free.status == Registrant.Status.CANCELLED
