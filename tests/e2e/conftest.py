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


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for every test of a module; each test opens its own contexts.

    Not for the whole session: while Playwright is started, its event loop runs
    in the test thread (async_to_sync refuses to run there), and a module's tests
    run one after the other, even under pytest-xdist.
    """
    # The ORM calls the tests make between browser steps are still synchronous.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def _close_contexts(request: pytest.FixtureRequest) -> Iterator[None]:
    """Close the contexts (and their pages) a test leaves open in the browser
    its module shares, so that no page of one test polls during the next."""
    yield
    if "browser" in request.fixturenames:
        for context in request.getfixturevalue("browser").contexts:
            context.close()


@pytest.fixture
def browser_page(browser: Browser) -> Iterator[Page]:
    page = browser.new_page()
    page.set_default_timeout(15_000)
    yield page
    page.context.close()
