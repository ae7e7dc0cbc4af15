"""The cookies a browser context starts with: its language, and a signed-in session."""

from typing import Any

from django.conf import settings
from django.test import Client


def session_cookie(user: Any) -> str:
    """Return the session cookie of `user`, signed in (no password asked)."""
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def start_cookies(url: str, *, language: str, user: Any = None) -> list[dict]:
    """The language cookie for `url` and, with a `user`, their session's."""
    cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": url}]
    if user is not None:
        cookies.append(
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session_cookie(user),
                "url": url,
            }
        )
    return cookies
