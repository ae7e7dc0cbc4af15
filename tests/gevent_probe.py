"""Run code in a fresh interpreter patched as gunicorn's gevent worker patches it.

gunicorn's gevent worker (the Procfile's web) patches the standard library
before it imports the app; a probe does the same, then runs `code` (with
Django set up when `django` is true) and returns what it printed.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PATCH = "from gevent import monkey; monkey.patch_all()\n"
SETUP = (
    "import os\n"
    'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")\n'
    "import django; django.setup()\n"
)


def under_gevent(code: str, *, django: bool = True) -> list[str]:
    """The words the probe printed."""
    probe = PATCH + (SETUP if django else "") + code
    done = subprocess.run(  # noqa: S603 - this interpreter, fixed code
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.split()
