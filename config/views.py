"""Operational endpoints: health check and the development outbox."""

import email
import email.policy
import re
import sys
from pathlib import Path

from csp.decorators import csp_update
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views import defaults
from django.views.decorators.cache import never_cache

from config.busy import BUSY_TEXT, BUSY_TITLE, RETRY_AFTER_SECONDS, is_busy
from config.celery import app

MAX_MESSAGE_NAME = 100
MESSAGE_NAME_RE = re.compile(r"[A-Za-z0-9_.-]+")


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # noqa: BLE001 - any failure means "down"
        return f"down: {error.__class__.__name__}"
    return "ok"


def check_cache() -> str:
    try:
        cache.set("healthz", "1", 10)
        if cache.get("healthz") != "1":
            return "down: value not kept"
    except Exception as error:  # noqa: BLE001
        return f"down: {error.__class__.__name__}"
    return "ok"


def check_broker() -> str:
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as error:  # noqa: BLE001
        return f"down: {error.__class__.__name__}"
    return "ok"


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Answer 200 when the database, cache and broker answer; 503 otherwise."""
    checks = {
        "database": check_database(),
        "cache": check_cache(),
        "broker": check_broker(),
    }
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "down", **checks},
        status=200 if healthy else 503,
    )


def outbox_messages() -> list[Path]:
    folder = Path(settings.EMAIL_FILE_PATH)
    if not folder.is_dir():
        return []
    return sorted(folder.glob("*.eml"), reverse=True)


def outbox_enabled() -> bool:
    """The dev outbox exists only in development, with the file email backend."""
    return settings.DEBUG and settings.EMAIL_BACKEND == "config.mail.EmlFileBackend"


def outbox(request: HttpRequest) -> HttpResponse:
    """List the emails written to var/mail/ (development only)."""
    if not outbox_enabled():
        raise Http404
    rows = []
    for path in outbox_messages()[:500]:
        with path.open("rb") as handle:
            message = email.message_from_binary_file(
                handle, policy=email.policy.default
            )
        rows.append(
            {
                "name": path.stem,
                "subject": message["Subject"],
                "to": message["To"],
                "date": message["Date"],
            }
        )
    return render(request, "dev/outbox.html", {"messages_list": rows})


# The email's HTML sits in a srcdoc iframe, which inherits this page's CSP:
# emails need inline styles (the README, "Content-Security-Policy").
@csp_update({"style-src": ["'unsafe-inline'"]})
def outbox_message(request: HttpRequest, name: str) -> HttpResponse:
    """Show one email of the development outbox."""
    if not outbox_enabled():
        raise Http404
    # The backend names files <time>-<random>: anything longer, or with a
    # separator, names no message (and a name past the file system's limit
    # would raise instead of answering "no such file").
    if len(name) > MAX_MESSAGE_NAME or not MESSAGE_NAME_RE.fullmatch(name):
        raise Http404
    path = Path(settings.EMAIL_FILE_PATH) / f"{name}.eml"
    if not path.is_file():
        raise Http404
    with path.open("rb") as handle:
        message = email.message_from_binary_file(handle, policy=email.policy.default)
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    attachments = [
        {"filename": part.get_filename(), "type": part.get_content_type()}
        for part in message.iter_attachments()
    ]
    return render(
        request,
        "dev/outbox_message.html",
        {
            "name": name,
            "headers": list(message.items()),
            "text": text.get_content() if text else "",
            "html": html.get_content() if html else "",
            "attachments": attachments,
        },
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's 500 page, except for a database too busy to answer in time.

    That one (config/busy.py) gets a 503 with `Retry-After`, never cached:
    the request can be made again in a few seconds. A page's own scripts
    (they ask for JSON) get a problem document whose `detail` says so; a
    browser gets the 503 page, with a link to load a GET again. Rendered as
    Django renders the 500 page, without the request's context processors
    (it may be the database that failed).
    """
    if not is_busy(sys.exc_info()[1]):
        return defaults.server_error(request)
    accept = request.headers.get("Accept", "")
    if "application/json" in accept and "text/html" not in accept:
        response: HttpResponse = JsonResponse(
            {
                "type": "urn:tessera:problem:busy",
                "title": str(BUSY_TITLE),
                "status": 503,
                "detail": str(BUSY_TEXT),
            },
            status=503,
            content_type="application/problem+json",
        )
    else:
        retry = request.get_full_path() if request.method == "GET" else ""
        page = loader.get_template("503.html").render({"retry_url": retry})
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
