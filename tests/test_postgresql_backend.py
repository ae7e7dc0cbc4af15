"""The PostgreSQL backend checks a kept connection by asking its socket."""

import select
import time

import psycopg2
import pytest
from django.db import connection

from config.postgresql.base import DatabaseWrapper

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def checks(monkeypatch) -> list[int]:
    """Each time Django's own check (SELECT 1) runs, the backend pid it ran on."""
    ran: list[int] = []
    own = DatabaseWrapper.is_usable

    def is_usable(self) -> bool:
        ran.append(self.connection.get_backend_pid())
        return own(self)

    monkeypatch.setattr(DatabaseWrapper, "is_usable", is_usable)
    return ran


def next_request() -> int:
    """What a new request does: the check, then a query; its backend pid."""
    connection.close_if_unusable_or_obsolete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_a_quiet_kept_connection_is_used_without_a_query(checks):
    first = next_request()
    assert connection.health_check_enabled

    assert next_request() == first
    assert next_request() == first
    assert checks == []


def test_a_connection_the_server_closed_is_replaced_before_the_next_query(checks):
    first = next_request()
    params = connection.get_connection_params()
    killer = psycopg2.connect(**params)
    try:
        with killer.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [first])
    finally:
        killer.close()
    poller = select.poll()
    poller.register(connection.connection.fileno(), select.POLLIN)
    deadline = time.monotonic() + 10
    while not poller.poll(100) and time.monotonic() < deadline:
        pass

    replaced = next_request()

    assert replaced != first
    # The socket had something to say: Django's own check ran and failed.
    assert checks == [first]


def test_without_poll_django_s_own_check_runs(checks, monkeypatch):
    first = next_request()
    monkeypatch.delattr("select.poll")

    assert next_request() == first
    assert checks == [first]
