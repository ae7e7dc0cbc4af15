"""Every page of tests/e2e/pages.py under the real Content-Security-Policy, and
accessible (axe-core, WCAG 2.2 AA) in English and French, on desktop and mobile.

A violation is caught twice: the page's `securitypolicyviolation` events (an
init script reports them to the test, across navigations) and Chromium's
console messages ("Refused to ..."), which also cover sandboxed frames.
"""

import pytest
from django.conf import settings
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
)

from tests import factories
from tests.e2e.a11y import VIEWPORTS, assert_accessible
from tests.e2e.cookies import session_cookie
from tests.e2e.pages import PAGES, PageEntry, Visit, World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ("en", "fr")

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolation([event.effectiveDirective, event.blockedURI,
    event.sourceFile + ":" + event.lineNumber, String(event.sample || "")].join(" | "));
});
"""


def watched_page(
    browser: Browser,
    *,
    language: str,
    cookies: list[dict] | None = None,
    block: tuple[str, ...] = (),
) -> tuple[BrowserContext, Page, list[str]]:
    """A new context and page whose CSP violations land in the returned list."""
    violations: list[str] = []
    context = browser.new_context(locale=language, viewport=VIEWPORTS["desktop"])
    if cookies:
        context.add_cookies(cookies)
    context.expose_function("__cspViolation", lambda text: violations.append(text))
    context.add_init_script(REPORT_VIOLATIONS)
    for blocked in block:
        context.route(f"**/{blocked}", lambda route: route.abort())
    page = context.new_page()
    page.set_default_timeout(15_000)

    def console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    page.on("console", console)
    return context, page, violations


@pytest.mark.parametrize("entry", PAGES.values(), ids=list(PAGES))
def test_page_has_no_csp_violation_and_is_accessible(
    live_server, browser: Browser, entry: PageEntry
) -> None:
    organizer = factories.OrganizerFactory(role="admin")
    built = entry.build(World(organizer=organizer))
    visit = built if isinstance(built, Visit) else Visit(built)
    cookies = [
        {"name": settings.LANGUAGE_COOKIE_NAME, "value": "", "url": live_server.url}
    ]
    if entry.login:
        cookies.append(
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session_cookie(organizer.user),
                "url": live_server.url,
            }
        )

    for language in LANGUAGES:
        cookies[0]["value"] = language
        context, page, violations = watched_page(
            browser, language=language, cookies=cookies, block=visit.block
        )
        try:
            response = page.goto(f"{live_server.url}{visit.path}")
            assert response is not None and response.ok, (entry.name, response)
            policy = response.headers.get("content-security-policy", "")
            assert "script-src 'self'" in policy, (entry.name, policy)
            if visit.act:
                visit.act(page)
            page.wait_for_load_state("load")
            assert page.evaluate("document.documentElement.lang") == language
            for viewport, size in VIEWPORTS.items():
                page.set_viewport_size(size)
                assert_accessible(page, f"{entry.name}, {language}, {viewport}")
            assert not violations, (
                f"CSP violations on {entry.name}, {language}: {violations}"
            )
        finally:
            context.close()


def test_the_check_sees_an_inline_script_and_style_being_refused(
    live_server, browser: Browser
) -> None:
    context, page, violations = watched_page(browser, language="en")
    try:
        page.goto(f"{live_server.url}/login/")
        page.evaluate(
            """() => {
              const script = document.createElement("script");
              script.textContent = "window.injected = true";
              document.body.appendChild(script);
              document.body.setAttribute("style", "background: red");
            }"""
        )
        page.wait_for_timeout(200)

        assert page.evaluate("window.injected === undefined")
        assert any("script-src" in v for v in violations), violations
        assert any("style-src" in v for v in violations), violations
    finally:
        context.close()


def test_the_registry_covers_the_pages_the_issue_names() -> None:
    # The processing page needs an open Checkout on the sandbox: the async
    # journey (tests/e2e/test_journeys.py) checks it with axe in both languages.
    expected = {
        "login",
        "registration page",
        "registration page, form errors",
        "done page",
        "done page, awaiting approval",
        "join page",
        "watch page",
        "device continue page",
        "registrant cancel page",
        "dashboard",
        "webinar page",
        "registrant list",
        "payments section",
        "emails console",
        "email preview",
        "recordings library",
    }
    assert expected <= set(PAGES)
