"""The 503 page (a database too busy to answer in time) passes axe and reflows,
in English and French, desktop and mobile.

The page is rendered by the project's 500 handler under a real busy error (a
lock not granted, as psycopg raises it), then shown from the live server's
origin, so its stylesheet is the one visitors get.
"""

import psycopg
import pytest
from django.db import OperationalError
from django.test import RequestFactory
from django.utils import translation
from playwright.sync_api import Page, expect

from config.views import server_error
from tests.e2e.a11y import VIEWPORTS, assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

HEADINGS = {"en": "Try again in a moment", "fr": "Réessayez dans un instant"}
RETRY = {"en": "Try again", "fr": "Réessayer"}


def busy_page(language: str, method: str) -> str:
    factory = RequestFactory()
    request = factory.get("/register/x/") if method == "GET" else factory.post("/")
    with translation.override(language):
        try:
            try:
                raise psycopg.errors.LockNotAvailable("lock timeout")
            except psycopg.Error as error:
                raise OperationalError(str(error)) from error
        except OperationalError:
            response = server_error(request)
    assert response.status_code == 503
    return response.content.decode()


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_busy_page_is_accessible(
    live_server, browser_page: Page, language: str, method: str
) -> None:
    page = browser_page
    page.goto(f"{live_server.url}/healthz")  # the origin its stylesheet comes from
    for name, size in VIEWPORTS.items():
        page.set_viewport_size(size)
        page.set_content(busy_page(language, method), wait_until="load")
        expect(page.get_by_role("heading", name=HEADINGS[language])).to_be_visible()
        if method == "GET":
            expect(page.get_by_role("link", name=RETRY[language])).to_be_visible()
        assert page.evaluate(
            "getComputedStyle(document.querySelector('main')).maxWidth"
        ) not in ("", "none"), "the stylesheet did not load"
        assert_accessible(page, f"busy page, {method}, {language}, {name}")
