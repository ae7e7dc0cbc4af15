"""Hostile input on every URL pattern: never a server error.

Walks Django's resolver (tests/bad_input/patterns.py), fills each pattern's
kwargs from real objects (tests/bad_input/world.py), discovers the forms of each
page, then sends hostile values one field at a time (the others valid), hostile
query parameters, path kwargs and headers (tests/bad_input/runner.py). Any 500
or exception fails the run, naming the pattern, method, field and value; the
figures are printed in the terminal summary.
"""

import datetime as dt
import os

import pytest
import time_machine

from stripe_sandbox import django_mount
from tests.bad_input.patterns import all_patterns
from tests.bad_input.runner import Prober
from tests.bad_input.world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def mounted_sandbox(settings, tmp_path):
    """The sandbox Django mounts at /_stripe/, in a temporary folder."""
    settings.STRIPE_SANDBOX_DIR = tmp_path / "mounted-sandbox"
    settings.STRIPE_SANDBOX_WEBHOOK_URL = "http://127.0.0.1:9/stripe/webhook/"
    previous = django_mount._app
    django_mount._app = None
    yield
    if django_mount._app is not None:
        django_mount._app.close()
    django_mount._app = previous


@pytest.mark.timeout(900)  # ~2 minutes alone; a busy machine is much slower
@time_machine.travel(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC), tick=True)
def test_no_hostile_input_gets_a_server_error(
    stripe_sandbox, mounted_sandbox, settings, record_property
):
    settings.EMAIL_BACKEND = "config.mail.EmlFileBackend"
    world = build_world(sandbox=stripe_sandbox, settings=settings)
    patterns = all_patterns()
    assert len(patterns) > 100  # the admin, the console, the public pages...
    # While fixing: BAD_INPUT_ONLY=recordings: only the routes or names with it.
    only = os.environ.get("BAD_INPUT_ONLY")
    if only:
        patterns = [p for p in patterns if only in p.route or only in p.name]
    prober = Prober(world, patterns, settings)
    try:
        figures = prober.run()
    finally:
        # Printed in the terminal summary (tests/conftest.py), also from a
        # pytest-xdist worker.
        record_property("bad input", prober.figures.summary())
        record_property("bad input, slowest", prober.figures.slowest())
    failures = "\n".join(str(failure) for failure in figures.failures[:150])
    assert not figures.failures, (
        f"{len(figures.failures)} server errors from hostile input:\n{failures}"
    )
