"""Mount the sandbox inside Django at `/_stripe/` for the embedded default.

`config/urls.py` includes this only when `settings.STRIPE_SANDBOX` is true.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import re_path
from django.views.decorators.csrf import csrf_exempt

from .app import SandboxApp

_app: SandboxApp | None = None
_app_lock = threading.Lock()


def get_app() -> SandboxApp:
    """Return the process-wide sandbox, building it from settings on first use."""
    global _app
    with _app_lock:
        if _app is None:
            base_dir = Path(settings.BASE_DIR)
            _app = SandboxApp(
                store_dir=Path(
                    getattr(
                        settings,
                        "STRIPE_SANDBOX_DIR",
                        base_dir / "var" / "stripe-sandbox",
                    )
                ),
                public_url=getattr(settings, "STRIPE_API_BASE", "") or None,
                client_id=getattr(settings, "STRIPE_CONNECT_CLIENT_ID", "")
                or "ca_sandbox",
                api_keys=[
                    settings.STRIPE_SECRET_KEY,
                    getattr(settings, "SANDBOX_SECRET_KEY", ""),
                ],
                webhook_url=getattr(settings, "STRIPE_SANDBOX_WEBHOOK_URL", None),
                webhook_secret=getattr(settings, "STRIPE_WEBHOOK_SECRET", None),
                connect_webhook_secret=getattr(
                    settings, "STRIPE_CONNECT_WEBHOOK_SECRET", None
                ),
            )
        return _app


@csrf_exempt
def sandbox(request: HttpRequest, path: str) -> HttpResponse:
    """Hand the request to the sandbox's WSGI app, unread."""
    environ: dict[str, Any] = dict(request.META)
    prefix = request.path_info[: len(request.path_info) - len(path)].rstrip("/")
    environ["SCRIPT_NAME"] = request.META.get("SCRIPT_NAME", "") + prefix
    environ["PATH_INFO"] = "/" + path
    # HttpRequest.read() reads the body stream bounded by CONTENT_LENGTH,
    # without touching request.body or request.POST.
    environ["wsgi.input"] = request
    answer: dict[str, Any] = {}

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> None:
        answer["status"] = int(status.split()[0])
        answer["headers"] = headers

    body = b"".join(get_app()(environ, start_response))
    response = HttpResponse(body, status=answer["status"])
    for name, value in answer["headers"]:
        if name.lower() != "content-length":
            response[name] = value
    return response


urlpatterns = [re_path(r"^(?P<path>.*)$", sandbox, name="stripe-sandbox")]
