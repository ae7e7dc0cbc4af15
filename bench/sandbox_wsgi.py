"""WSGI entry of the sandbox process (gunicorn bench.sandbox_wsgi).

The sandbox's own WSGI application (stripe_sandbox.app), built from the
settings as the Django mount builds it and answering under the same `/_stripe`
prefix, but without Django's request cycle around it: the stand-in for Stripe
shares the machine with what the benchmark measures, so it should cost as
little as it can. Every request still goes through the sandbox's own checks
(keys, accepted parameters, idempotency, Stripe's validation).
"""

import os
from collections.abc import Iterable
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.sandbox_settings")

import django  # noqa: E402

django.setup()

from stripe_sandbox.django_mount import get_app  # noqa: E402

PREFIX = "/_stripe"


def application(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """Hand `/_stripe/...` to the sandbox, as config/urls.py mounts it."""
    path = environ.get("PATH_INFO") or "/"
    if path != PREFIX and not path.startswith(PREFIX + "/"):
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"Not Found"]
    environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + PREFIX
    environ["PATH_INFO"] = path[len(PREFIX) :] or "/"
    return get_app()(environ, start_response)
