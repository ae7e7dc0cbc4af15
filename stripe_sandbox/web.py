"""Read WSGI requests and build the responses the sandbox answers with."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from .encoding import FormError, decode
from .errors import ApiError, OAuthError, invalid
from .pages import CONTENT_SECURITY_POLICY

StartResponse = Callable[..., Any]
Environ = dict[str, Any]

REASONS = {
    200: "OK",
    302: "Found",
    303: "See Other",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Request Failed",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    500: "Internal Server Error",
}


@dataclass
class Response:
    """A status, headers and body, turned into a WSGI answer by `SandboxApp`."""

    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0


def json_response(
    status: int, body: Any, headers: list[tuple[str, str]] | None = None
) -> Response:
    """Return a JSON response such as Stripe's API sends.

    On one line: Stripe indents its answers, but an indent makes json use its
    pure-Python encoder, the largest CPU cost of a Checkout Session created in
    the sandbox; no client reads the whitespace.
    """
    payload = json.dumps(body).encode()
    return Response(
        status, payload, [("Content-Type", "application/json"), *(headers or [])]
    )


def error_response(error: ApiError | OAuthError) -> Response:
    """Return the JSON answer of an API or OAuth error."""
    headers = list(getattr(error, "headers", {}).items())
    return json_response(error.status, error.body(), headers)


def html_response(status: int, text: str) -> Response:
    """Return an HTML page, with the sandbox pages' Content-Security-Policy."""
    return Response(
        status,
        text.encode(),
        [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ],
    )


def redirect(url: str, status: int = 303) -> Response:
    """Return a redirect to `url`."""
    return Response(status, b"", [("Location", url)])


def with_query(url: str, params: dict[str, str]) -> str:
    """Return `url` with `params` added to its query string."""
    parts = urlsplit(url)
    query = "&".join(filter(None, [parts.query, urlencode(params)]))
    return urlunsplit(parts._replace(query=query))


def read_params(environ: Environ) -> dict[str, Any]:
    """Return the query string and the form or JSON body, decoded together."""
    try:
        query = environ.get("QUERY_STRING", "")
        params = decode(query) if query else {}
        body = _body(environ)
        if body:
            if environ.get("CONTENT_TYPE", "").startswith("application/json"):
                params.update(json.loads(body))
            else:
                params.update(decode(body.decode()))
    except (FormError, ValueError) as error:
        raise invalid(str(error)) from None
    return params


def _body(environ: Environ) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length <= 0:
        return b""
    return environ["wsgi.input"].read(length)


def check_key(environ: Environ, accepted: frozenset[str]) -> None:
    """Refuse a request without one of the accepted secret keys (401), as Stripe."""
    header = environ.get("HTTP_AUTHORIZATION", "")
    key = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
    if not key:
        raise ApiError(
            "You did not provide an API key. You need to provide your API key "
            "in the Authorization header, using Bearer auth (e.g. "
            "'Authorization: Bearer YOUR_SECRET_KEY').",
            status=401,
        )
    check_secret(key, accepted)


def check_secret(key: str, accepted: frozenset[str]) -> None:
    """Refuse a secret key the sandbox was not started with (401 `api_key_invalid`)."""
    if key not in accepted:
        raise ApiError(
            f"Invalid API Key provided: {redact_key(key)}",
            status=401,
            code="api_key_invalid",
        )


def redact_key(key: str) -> str:
    """Mask a key as Stripe's messages do: `sk_test_****************abcd`."""
    prefix = "_".join(key.split("_")[:2]) + "_" if key.count("_") >= 2 else ""
    hidden = max(len(key) - len(prefix) - 4, 0)
    return f"{prefix}{'*' * hidden}{key[len(prefix) + hidden :]}"
