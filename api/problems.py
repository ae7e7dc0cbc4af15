"""Every API error as RFC 9457 problem details (`application/problem+json`).

One shape for all: `type`, `title`, `status`, `detail`, and `errors` (each
with a `detail` and a JSON `pointer` into the request body or query) for
invalid fields. Texts are in the caller's language (Accept-Language, through
LocaleMiddleware). Domain errors of the apps below keep their own
user-safe messages.
"""

import logging
from typing import Any

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler

from api.tokens import TokenError
from config.busy import BUSY_TEXT, BUSY_TITLE, RETRY_AFTER_SECONDS, is_busy
from payments.errors import PaymentsError
from registrations.refunds.ledger import RefundError
from registrations.registration import (
    AlreadyRegistered,
    RegistrationClosed,
    RegistrationError,
    WebinarFull,
)

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:tessera:problem:"

TITLES = {
    400: _("Invalid request"),
    401: _("Authentication required"),
    403: _("Not allowed"),
    404: _("Not found"),
    405: _("Method not allowed"),
    406: _("Not acceptable"),
    409: _("Conflict"),
    415: _("Unsupported media type"),
    422: _("Request refused"),
    429: _("Too many requests"),
    503: BUSY_TITLE,
}


class ProblemJSONRenderer(JSONRenderer):
    """Lets a caller ask for `Accept: application/problem+json`."""

    media_type = PROBLEM_CONTENT_TYPE


class Problem(exceptions.APIException):
    """An error with its own problem type (a URN) and title."""

    def __init__(
        self,
        *,
        status_code: int,
        kind: str,
        title: Any,
        detail: Any,
        errors: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(detail=detail)
        self.status_code = status_code
        self.kind = kind
        self.title = title
        self.errors = errors or []


# Domain errors of the apps below, most specific first: status, kind, title.
DOMAIN_ERRORS: list[tuple[type[Exception], int, str, Any]] = [
    (WebinarFull, 409, "webinar-full", _("The webinar is full")),
    (RegistrationClosed, 409, "registration-closed", _("Registration is closed")),
    (AlreadyRegistered, 409, "already-registered", _("Already registered")),
    (RegistrationError, 422, "registration-refused", _("Registration refused")),
    (RefundError, 422, "refund-refused", _("Refund refused")),
    (PaymentsError, 422, "payments-refused", _("Request refused")),
    (TokenError, 422, "token-refused", _("Request refused")),
]


def domain_problem(error: Exception) -> Problem | None:
    """Return the problem for a domain error of the apps below, or None."""
    for kind_class, status_code, kind, title in DOMAIN_ERRORS:
        if isinstance(error, kind_class):
            message = getattr(error, "message", str(error))
            field = getattr(error, "field", None)
            errors = [{"detail": message, "pointer": f"#/{field}"}] if field else []
            return Problem(
                status_code=status_code,
                kind=kind,
                title=title,
                detail=message,
                errors=errors,
            )
    return None


def field_errors(detail: Any, pointer: str = "#") -> list[dict[str, str]]:
    """Flatten DRF's nested validation errors into RFC 9457 `errors` entries."""
    if isinstance(detail, dict):
        found = []
        for name, value in detail.items():
            if name == "non_field_errors":
                found += field_errors(value, pointer)
            else:
                found += field_errors(value, f"{pointer}/{name}")
        return found
    if isinstance(detail, list):
        found = []
        for index, value in enumerate(detail):
            if isinstance(value, dict | list):
                found += field_errors(value, f"{pointer}/{index}")
            else:
                found += field_errors(value, pointer)
        return found
    return [{"detail": str(detail), "pointer": pointer if pointer != "#" else "#/"}]


def problem_body(
    *, status_code: int, detail: Any, kind: str = "", title: Any = None, errors=None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"{TYPE_PREFIX}{kind}" if kind else "about:blank",
        "title": str(title or TITLES.get(status_code, _("Error"))),
        "status": status_code,
        "detail": str(detail),
    }
    if errors:
        body["errors"] = errors
    return body


def problem_exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's exception handler, answering problem details; None lets a 500 through."""
    converted = domain_problem(exc)
    if converted is not None:
        exc = converted
    elif isinstance(exc, Http404):
        # Django's message names the model ("No Webinar matches..."): one
        # translated "not found" for every object, whoever's it is.
        exc = exceptions.NotFound()
    response = exception_handler(exc, context)
    if response is None:
        if is_busy(exc):
            logger.warning("Database too busy: %s", exc, exc_info=exc)
            return busy_problem()
        return None
    if isinstance(exc, Problem):
        body = problem_body(
            status_code=exc.status_code,
            detail=exc.detail,
            kind=exc.kind,
            title=exc.title,
            errors=exc.errors,
        )
    elif isinstance(exc, exceptions.ValidationError):
        errors = field_errors(exc.detail)
        body = problem_body(
            status_code=status.HTTP_400_BAD_REQUEST,
            detail=_("Some fields are invalid: see errors."),
            errors=errors,
        )
    else:
        detail = (
            response.data.get("detail", "") if isinstance(response.data, dict) else ""
        )
        body = problem_body(status_code=response.status_code, detail=detail)
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def busy_problem() -> Response:
    """503 with Retry-After: the database could not serve in time (config/busy.py)."""
    body = problem_body(
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        kind="busy",
        detail=BUSY_TEXT,
    )
    response = Response(
        body,
        status=status.HTTP_503_SERVICE_UNAVAILABLE,
        content_type=PROBLEM_CONTENT_TYPE,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
    return response
