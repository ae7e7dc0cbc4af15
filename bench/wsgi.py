"""The benchmark's WSGI entry: the app, plus a bare WSGI answer (the floor).

`/bench/bare/` never reaches Django: it measures what gunicorn and the client
cost by themselves on this machine.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

django_app = get_wsgi_application()


def application(environ: dict, start_response: object) -> list[bytes]:
    """Answer /bench/bare/ directly; hand everything else to Django."""
    if environ.get("PATH_INFO") == "/bench/bare/":
        start_response(
            "200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")]
        )
        return [b"ok"]
    return django_app(environ, start_response)
