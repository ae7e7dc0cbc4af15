import importlib.util
from typing import Any

import pytest
from django.db import connection

from tests import factories

# The Stripe sandbox server and its handle (see tests/sandbox_fixtures.py).
pytest_plugins = (
    ["tests.sandbox_fixtures"]
    if importlib.util.find_spec("tests.sandbox_fixtures")
    else []
)


def pytest_collection_modifyitems(config: pytest.Config, items: list) -> None:
    """Run PostgreSQL-only tests on PostgreSQL; say clearly why they skip elsewhere."""
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" in engine:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (CI sets DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True, scope="session")
def _broker_without_leftovers() -> None:
    """Publish tasks to memory unless a real broker (Redis in CI) is configured.

    The embedded default's broker (a SQLite file under var/) would otherwise
    collect every task a test queues.
    """
    from django.conf import settings

    from config.celery import app

    if settings.CELERY_BROKER_URL.startswith("tessera-sqla+"):
        app.conf.broker_url = "memory://"


@pytest.fixture(autouse=True)
def _isolated_var(settings, tmp_path) -> None:
    """Keep emails and media of each test in its own folder."""
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _isolated_cache(settings, tmp_path) -> None:
    """Give each test its own in-memory cache (rate-limit counters start at zero)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-{tmp_path.name}",
        }
    }


@pytest.fixture
def account():
    return factories.AccountFactory()


@pytest.fixture
def admin(account):
    return factories.OrganizerFactory(account=account, role="admin")


@pytest.fixture
def organizer(account):
    return factories.OrganizerFactory(account=account, role="organizer")


@pytest.fixture
def webinar(organizer):
    return factories.WebinarFactory(owner=organizer, account=organizer.account)


@pytest.fixture
def login(client):
    """Log a client in as the given organizer and return the client."""

    def _login(member):
        client.force_login(member.user)
        return client

    return _login


@pytest.fixture
def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the bad-input figures (tests/test_bad_input.py) when it ran."""
    from tests.bad_input.runner import FIGURES

    if FIGURES.patterns:
        terminalreporter.write_line(FIGURES.summary())
        terminalreporter.write_line(f"bad input, slowest: {FIGURES.slowest()}")
        for failure in FIGURES.failures[:200]:
            terminalreporter.write_line(
                f"bad input 500: {str(failure)[:300]}", red=True
            )
