"""Browser tests: Playwright driving Debian's Chromium against the live server."""

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def pytest_collection_modifyitems(items: list) -> None:
    # CI installs Chromium, so there a missing browser fails; a developer's
    # machine without Debian's chromium package skips with the reason.
    missing = not os.path.exists(CHROMIUM) and os.environ.get("CI") != "true"
    skip = pytest.mark.skip(reason=f"{CHROMIUM} missing: apt-get install chromium")
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            if missing:
                item.add_marker(skip)


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    # Playwright's sync API keeps an event loop in the test thread; the ORM calls
    # the test makes between browser steps are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def browser_page(browser: Browser) -> Page:
    page = browser.new_page()
    page.set_default_timeout(15_000)
    return page
