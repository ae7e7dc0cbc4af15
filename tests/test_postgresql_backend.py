"""PostgreSQL connections: pooled, checked by asking their socket, given back
while Stripe answers."""

import select
import time

import psycopg
import pytest
from django.db import connection, transaction
from psycopg_pool import ConnectionPool

from config.postgresql.base import DatabaseWrapper
from organizers.models import Account
from payments.gateway_client import give_back_database_connection
from tests import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def checks(monkeypatch) -> list[int]:
    """Each time a check by query ran (psycopg_pool's or Django's): its backend pid."""
    ran: list[int] = []
    pools = ConnectionPool.check_connection
    own = DatabaseWrapper.is_usable

    def check_connection(raw) -> None:
        ran.append(raw.info.backend_pid)
        pools(raw)

    def is_usable(self) -> bool:
        ran.append(self.connection.info.backend_pid)
        return own(self)

    monkeypatch.setattr(
        ConnectionPool, "check_connection", staticmethod(check_connection)
    )
    monkeypatch.setattr(DatabaseWrapper, "is_usable", is_usable)
    return ran


def next_request(database=connection) -> int:
    """What a request does: the connection taken (and checked), one query; its pid."""
    database.close_if_unusable_or_obsolete()
    with database.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    # The end of the request: a pooled connection goes back to its pool.
    database.close_if_unusable_or_obsolete()
    return pid


def terminate_the_others(database=connection) -> None:
    """End every other session on the test database, as a server restart would."""
    params = database.get_connection_params()
    keep = ("host", "port", "user", "password", "dbname")
    with psycopg.connect(
        **{key: params[key] for key in keep if params.get(key)}, autocommit=True
    ) as killer:
        ended = killer.execute(
            "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    assert ended


def wait_until_readable(raw) -> None:
    """Until the server's goodbye reached the connection's socket."""
    poller = select.poll()
    poller.register(raw.fileno(), select.POLLIN)
    deadline = time.monotonic() + 10
    while not poller.poll(100) and time.monotonic() < deadline:
        pass


# -- pooled (DATABASE_POOL_SIZE, the default) ------------------------------------


def test_the_settings_pool_postgresql_connections():
    assert connection.settings_dict["OPTIONS"]["pool"]["max_size"] >= 1
    assert connection.settings_dict["CONN_MAX_AGE"] == 0
    assert connection.pool is not None


def test_a_quiet_pooled_connection_is_taken_without_a_query(checks):
    pids = {next_request() for _ in range(5)}

    assert len(pids) <= connection.pool.max_size
    assert checks == []


def test_pooled_connections_the_server_closed_are_replaced_when_one_is_taken(checks):
    connection.close()  # this thread's connection, back to the pool too
    pool = connection.pool
    pool.open()
    # A pool grown by a rush: at least 8, and every connection it keeps or is
    # opening (the earlier tests of this process may have grown it), so that
    # each one the server ends is waited for below.
    held = max(8, pool.get_stats().get("pool_size", 0))
    idle = [pool.getconn() for _ in range(held)]
    dead = {raw.info.backend_pid for raw in idle}
    for raw in idle:
        pool.putconn(raw)
    terminate_the_others()
    for raw in idle:
        wait_until_readable(raw)

    replaced = next_request()

    # The first connection taken had something to say on its socket: it was
    # checked, failed, and the pool checked every idle one at once (otherwise
    # it waits 1 s, 2 s, 4 s... between dead connections, beyond its timeout).
    assert dead <= set(checks)
    assert replaced not in dead
    assert pool.get_stats()["connections_lost"] >= len(dead) - 1


def test_waiting_on_stripe_gives_the_connection_back_between_transactions():
    connection.ensure_connection()
    raw = connection.connection

    give_back_database_connection()

    assert connection.connection is None
    assert raw.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    with connection.cursor() as cursor:  # the next query takes one again
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_a_connection_given_back_mid_iteration_carries_no_cursor_away():
    # payments/connect/disconnect.py expires each open Checkout Session while
    # it iterates over the payments: each expiry gives the connection back.
    for number in range(5):
        factories.AccountFactory(name=f"Account {number}")
    seen, cursors = [], []
    for account in Account.objects.order_by("pk").iterator(chunk_size=2):
        seen.append(account.pk)
        raw = connection.connection  # None once given back: the rows are here
        give_back_database_connection()  # as a Stripe call does
        if raw is not None:
            # Whoever takes it from the pool now finds no cursor of ours.
            cursors.append(raw.execute("SELECT count(*) FROM pg_cursors").fetchone()[0])

    assert len(seen) == Account.objects.count() >= 5
    assert cursors
    assert set(cursors) == {0}


def test_inside_a_transaction_the_connection_and_its_locks_stay():
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        raw = connection.connection

        give_back_database_connection()

        assert connection.connection is raw
        assert raw.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS


# -- kept per thread (DATABASE_POOL_SIZE=0) ---------------------------------------


@pytest.fixture
def kept():
    """A connection kept per thread as with DATABASE_POOL_SIZE=0."""
    settings = {
        **connection.settings_dict,
        "OPTIONS": {
            key: value
            for key, value in connection.settings_dict["OPTIONS"].items()
            if key != "pool"
        },
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }
    database = DatabaseWrapper(settings, alias="kept")
    yield database
    database.close()


def test_a_quiet_kept_connection_is_used_without_a_query(checks, kept):
    first = next_request(kept)
    assert kept.health_check_enabled
    assert kept.pool is None

    assert next_request(kept) == first
    assert next_request(kept) == first
    assert checks == []


def test_a_kept_connection_the_server_closed_is_replaced_before_the_next_query(
    checks, kept
):
    first = next_request(kept)
    terminate_the_others(kept)
    wait_until_readable(kept.connection)

    replaced = next_request(kept)

    assert replaced != first
    # The socket had something to say: Django's own check ran and failed.
    assert checks == [first]


def test_without_poll_django_s_own_check_runs(checks, kept, monkeypatch):
    first = next_request(kept)
    monkeypatch.delattr("select.poll")

    assert next_request(kept) == first
    assert checks == [first]
