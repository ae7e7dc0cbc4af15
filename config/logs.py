"""Structured logs, each record tagged with the id of the request it belongs to.

RequestIdMiddleware gives every request an id (the proxy's X-Request-ID when it
is a safe short token, else a fresh random one), returns it in the response's
X-Request-ID header and keeps it in a context variable; RequestIdFilter copies
it onto every log record, and StructuredFormatter writes the record as one
key=value (or JSON) line. Server errors logged by Django thus carry the id a
user can quote from the response.
"""

import contextvars
import json
import logging
import logging.config
import re
import secrets
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
# Letters, digits, dashes, underscores and dots, at most 64: anything else
# could forge log lines or fill them.
SAFE_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar(
    "request_id", default="-"
)


def new_request_id() -> str:
    return secrets.token_hex(16)


def incoming_request_id(request: HttpRequest) -> str:
    """Return the proxy's request id if it is a safe token, else a new one."""
    given = request.META.get("HTTP_X_REQUEST_ID", "")
    return given if SAFE_ID_RE.match(given) else new_request_id()


def configure(config: dict) -> None:
    """LOGGING_CONFIG: apply LOGGING and tag every record with the request id.

    A record factory (unlike a handler's filter) reaches every handler,
    including those tests and Sentry attach, and records that propagate.
    """
    base_factory = logging.getLogRecordFactory()
    if not getattr(base_factory, "tags_request_id", False):

        def factory(*args: object, **kwargs: object) -> logging.LogRecord:
            record = base_factory(*args, **kwargs)
            record.request_id = request_id_var.get()
            return record

        factory.tags_request_id = True
        logging.setLogRecordFactory(factory)
    logging.config.dictConfig(config)


class RequestIdMiddleware:
    """Tag the request, its log records and its response with one request id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = incoming_request_id(request)
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Put the current request's id on every record (`-` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class StructuredFormatter(logging.Formatter):
    """One line per record: `key=value` pairs, or a JSON object."""

    def __init__(self, *args: object, as_json: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.as_json = as_json

    def format(self, record: logging.LogRecord) -> str:
        fields = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", request_id_var.get()),
            "message": record.getMessage(),
        }
        if record.exc_info:
            fields["exc_info"] = self.formatException(record.exc_info)
        if self.as_json:
            return json.dumps(fields, ensure_ascii=False)
        return " ".join(f"{key}={_quoted(value)}" for key, value in fields.items())


def _quoted(value: str) -> str:
    """Quote a value with spaces, quotes or newlines (json escaping keeps it on
    one line)."""
    if value and not re.search(r'[\s"=\\]', value):
        return value
    return json.dumps(value, ensure_ascii=False)
