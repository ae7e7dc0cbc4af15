import importlib.util
import os
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from tests import factories

# The Stripe sandbox server and its handle (see tests/sandbox_fixtures.py);
# every test that used the database leaves each seat counter equal to its
# recount (tests/seat_counters.py).
pytest_plugins = [
    *(
        ["tests.sandbox_fixtures"]
        if importlib.util.find_spec("tests.sandbox_fixtures")
        else []
    ),
    "tests.seat_counters",
]


# Redis has databases 0-15; a worker's number is added to REDIS_URL's database.
REDIS_DATABASES = 16
# A test that outlasts the rest by far: first in the run, so that under
# pytest-xdist one worker takes it while the others share out the rest.
SLOW_FIRST = ("tests/test_bad_input.py",)


def pytest_configure(config: pytest.Config) -> None:
    """Settings only the tests use: a fast password hasher, and under
    pytest-xdist (`-n 2`) each worker's own Redis database.

    pytest-django gives each worker its own test database (test_<name>_gw0...);
    Redis is shared, so worker gwN takes REDIS_URL's database + N: the Celery
    broker, the cache and the subprocesses that read REDIS_URL (the fault tests'
    workers, the benchmark, which empties its database).
    """
    from django.conf import settings

    # PBKDF2's million rounds cost half a CPU second per user a factory makes.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]
    # pytest-django runs a test inside a transaction that the test may leave
    # idle while it waits on a subprocess (a worker, the benchmark): the
    # server must not end it. Subprocesses keep the setting; its own test
    # (tests/test_database_busy.py) sets it on a connection of its own.
    session = settings.DATABASES["default"].get("SESSION_SETTINGS")
    if session:
        session["idle_in_transaction_session_timeout"] = "0"
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw") or not settings.REDIS_URL:
        return
    url = worker_redis_url(settings.REDIS_URL, int(worker[2:]))
    os.environ["REDIS_URL"] = url
    settings.REDIS_URL = url
    if settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        settings.CELERY_BROKER_URL = url
        os.environ.pop("CELERY_BROKER_URL", None)
    settings.CACHES["default"]["LOCATION"] = url
    from config.celery import app

    if app.configured:
        app.conf.broker_url = settings.CELERY_BROKER_URL


def worker_redis_url(url: str, index: int) -> str:
    """REDIS_URL with its database number raised by `index` (gw0 keeps it)."""
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    database = base + index
    if database >= REDIS_DATABASES:
        raise pytest.UsageError(
            f"pytest-xdist worker gw{index} needs Redis database {database}: "
            f"choose a lower database in REDIS_URL ({url}) or fewer workers"
        )
    return urlunsplit(parts._replace(path=f"/{database}"))


def pytest_collection_modifyitems(config: pytest.Config, items: list) -> None:
    """Run PostgreSQL-only tests on PostgreSQL; say clearly why they skip elsewhere.

    The slowest tests go first (SLOW_FIRST).
    """
    from django.conf import settings

    items.sort(key=lambda item: not str(item.path).endswith(SLOW_FIRST))

    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" in engine:
        return
    if os.environ.get("CI"):
        # CI runs every test: a missing PostgreSQL is an error there, not a skip.
        raise pytest.UsageError("CI runs on PostgreSQL: set DATABASE_URL")
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
def _installation_token_read_per_test() -> None:
    """Each test's database has its own Installation row, so its own token."""
    from payments.models import Installation

    Installation.forget_token()


@pytest.fixture(autouse=True)
def _no_key_rows_kept() -> None:
    """Each test starts with no webinar row kept by key (registrations.key_rows):
    a rolled-back test's rows are gone without the signals that forget them."""
    from registrations import key_rows

    key_rows.forget_all()


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
def paid_series(organizer, stripe_sandbox):
    """A series sold by session: two sessions (next week and the one after), each
    at 50.00 EUR, sold through the sandbox demo account."""
    # Imported here: the helper needs the sandbox plugin, which conftest loads
    # only where it exists.
    from tests.registrations.checkout_support import make_paid_webinar

    return make_paid_webinar(
        owner=organizer,
        stripe_account=stripe_sandbox.demo_account,
        registration_type="individual_session",
        sessions=2,
    )


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
    """Print the bad-input figures (tests/test_bad_input.py) when it ran.

    The test records them as properties of its report, which reach the
    terminal from a pytest-xdist worker too.
    """
    from tests.bad_input.runner import FIGURES

    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", "") != "call":
                continue
            for name, value in getattr(report, "user_properties", []):
                if name == "bad input":
                    terminalreporter.write_line(value)
                elif name.startswith("bad input"):
                    terminalreporter.write_line(f"{name}: {value}")
    if FIGURES.patterns:
        for failure in FIGURES.failures[:200]:
            terminalreporter.write_line(
                f"bad input 500: {str(failure)[:300]}", red=True
            )


@pytest.fixture
def short_lock_timeout():
    """The web's connections wait 300 ms for a lock (new pool, new connections).

    The setting comes back before the pool is closed: a connection opened in
    between (the database's teardown) would keep 300 ms in the pool for the
    tests after (monkeypatch restored it only after this teardown).
    """
    from django.db import connection

    configured = connection.settings_dict["SESSION_SETTINGS"]
    connection.close()
    connection.close_pool()
    connection.settings_dict["SESSION_SETTINGS"] = {
        **configured,
        "lock_timeout": "300ms",
    }
    try:
        yield
    finally:
        connection.settings_dict["SESSION_SETTINGS"] = configured
        connection.close()
        connection.close_pool()
