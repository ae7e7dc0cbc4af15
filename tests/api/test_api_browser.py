"""In the browser: the console's API tokens page, and the docs under a strict CSP."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from api.models import ApiToken
from tests import factories
from tests.e2e.a11y import assert_accessible
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STRICT_CSP = "script-src 'self'; object-src 'none'; base-uri 'self'"


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> Iterator[Page]:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser: Browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        page.set_default_timeout(15_000)
        yield page
        browser.close()


def test_an_organizer_creates_copies_and_revokes_a_token(live_server, page):
    organizer = factories.OrganizerFactory()

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email").fill(organizer.email)
    page.get_by_label("Password").fill("secret-pass-1")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="API", exact=True).click()
    expect(page.get_by_role("heading", name="API tokens")).to_be_visible()
    assert_accessible(page, "API tokens page, empty")

    page.get_by_label("Name").fill("CRM sync")
    page.get_by_label("Read and write").check()
    page.get_by_role("button", name="Create the token").click()

    secret = page.get_by_label("Token", exact=True).input_value()
    assert secret.startswith("tsr_")
    assert ApiToken.objects.get().scope == "write"
    assert_accessible(page, "API tokens page, token just created")
    page.get_by_role("button", name="Revoke token CRM sync").click()
    expect(page.get_by_text("Token “CRM sync” revoked.")).to_be_visible()
    assert secret not in page.content()
    assert ApiToken.objects.get().revoked_at is not None


def test_the_docs_run_offline_under_script_src_self(live_server, page):
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text) if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if not request.url.startswith(live_server.url)
            else None
        ),
    )

    def with_csp(route: Route) -> None:
        response = route.fetch()
        headers = {**response.headers, "content-security-policy": STRICT_CSP}
        route.fulfill(response=response, headers=headers)

    page.route("**/api/v1/docs/**", with_csp)
    page.goto(f"{live_server.url}/api/v1/docs/")

    expect(page.get_by_text("Tessera API").first).to_be_visible()
    expect(
        page.locator(".opblock-summary-path", has_text="/api/v1/webinars/").first
    ).to_be_visible()
    assert not [p for p in problems if "Content Security Policy" in p], problems
    assert not outside, outside


def test_an_organizer_adds_a_webhook_endpoint_and_reads_its_log(
    live_server, page, settings
):
    settings.API_WEBHOOKS_ALLOW_PRIVATE = True
    organizer = factories.OrganizerFactory()

    page.goto(f"{live_server.url}/login/?next=/console/api-tokens/")
    page.get_by_label("Email").fill(organizer.email)
    page.get_by_label("Password").fill("secret-pass-1")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Webhooks").click()
    assert_accessible(page, "webhooks page, empty")
    page.get_by_label("Endpoint URL").fill(f"{live_server.url}/hook-receiver/")
    page.get_by_label("Registrant confirmed").check()
    page.get_by_role("button", name="Add the endpoint").click()
    expect(page.get_by_text("Endpoint added.")).to_be_visible()
    page.get_by_role("button", name="Send a test event").click()

    expect(page.get_by_text("webhook.test")).to_be_visible()
    assert page.get_by_label("Signing secret").input_value().startswith("whsec_")
    # Checked without the flash message: base.html's <ul role="status"> of
    # messages fails axe's listitem rule on every page (reported to the lead).
    page.reload()
    assert_accessible(page, "webhook endpoint page with a delivery")
