"""WSGI entry of the sandbox process (gunicorn bench.sandbox_wsgi)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.sandbox_settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
