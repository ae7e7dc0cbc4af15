"""A database too busy to answer in time: 503 and Retry-After, never a 500.

PostgreSQL connections wait at most DATABASE_LOCK_TIMEOUT for a lock, and a
session left idle in a transaction is ended after
DATABASE_IDLE_IN_TRANSACTION_TIMEOUT (config/busy.py, config/database.py).
"""

import json
import sqlite3
import time
from pathlib import Path

import environ
import psycopg
import pytest
from django.db import InternalError, OperationalError, connection
from django.test import Client, RequestFactory
from django.utils import translation
from psycopg_pool import PoolTimeout

from api.problems import PROBLEM_CONTENT_TYPE, problem_exception_handler
from config.busy import is_busy
from config.database import database
from config.postgresql.base import DatabaseWrapper
from config.views import server_error
from registrations.models import Registrant

FORM = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}


def wrapped(cause: BaseException) -> OperationalError:
    """The error Django raises for `cause` (wrap_database_errors chains it)."""
    try:
        try:
            raise cause
        except Exception as error:
            raise OperationalError(str(error)) from error
    except OperationalError as django_error:
        return django_error


# -- which errors are "busy" ------------------------------------------------------


@pytest.mark.parametrize(
    ("cause", "busy"),
    [
        (psycopg.errors.LockNotAvailable("canceling statement: lock timeout"), True),
        (PoolTimeout("couldn't get a connection after 10.00 sec"), True),
        (sqlite3.OperationalError("database is locked"), True),
        (psycopg.errors.DeadlockDetected("deadlock detected"), True),
        (psycopg.errors.AdminShutdown("terminating connection"), True),
        (psycopg.errors.TooManyConnections("too many clients already"), True),
        (psycopg.errors.ConnectionFailure("connection failure"), True),
        (psycopg.errors.UndefinedTable('relation "x" does not exist'), False),
        (sqlite3.OperationalError("no such table: x"), False),
    ],
)
def test_busy_errors_are_told_apart_from_the_others(cause, busy):
    assert is_busy(wrapped(cause)) is busy
    assert is_busy(ValueError("unrelated")) is False
    assert is_busy(None) is False


def test_a_bug_raised_while_handling_a_busy_error_is_not_busy():
    try:
        try:
            raise wrapped(psycopg.errors.LockNotAvailable("lock timeout"))
        except OperationalError:
            raise KeyError("a bug in the except clause")  # noqa: B904
    except KeyError as bug:
        assert bug.__context__ is not None
        assert is_busy(bug) is False


@pytest.mark.parametrize(
    ("language", "heading"),
    [("en", "Try again in a moment"), ("fr", "Réessayez dans un instant")],
)
def test_the_500_handler_answers_a_busy_database_with_the_503_page(language, heading):
    request = RequestFactory().get("/")
    with translation.override(language):
        try:
            raise wrapped(psycopg.errors.LockNotAvailable("lock timeout"))
        except OperationalError:
            response = server_error(request)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    page = response.content.decode()
    assert f'<html lang="{language}">' in page
    assert f"<h1>{heading}</h1>" in page


def test_the_500_handler_keeps_the_500_page_for_any_other_error():
    request = RequestFactory().get("/")
    try:
        raise wrapped(psycopg.errors.UndefinedTable("no such relation"))
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 500
    assert not response.has_header("Retry-After")


def test_the_api_answers_a_busy_database_with_a_503_problem():
    response = problem_exception_handler(wrapped(PoolTimeout("no connection")), {})

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.content_type == PROBLEM_CONTENT_TYPE
    assert response.data["type"] == "urn:tessera:problem:busy"
    assert response.data["status"] == 503
    assert problem_exception_handler(ValueError("other"), {}) is None


# -- the settings reach every PostgreSQL connection --------------------------------


def test_the_timeouts_are_read_from_the_environment(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.example:5432/tessera")
    monkeypatch.setenv("DATABASE_LOCK_TIMEOUT", "2.5")
    monkeypatch.setenv("DATABASE_IDLE_IN_TRANSACTION_TIMEOUT", "0")
    settings = database(environ.Env(), tmp_path)
    assert settings["SESSION_SETTINGS"] == {
        "lock_timeout": "2500ms",
        "idle_in_transaction_session_timeout": "0",
    }
    monkeypatch.delenv("DATABASE_LOCK_TIMEOUT")
    monkeypatch.delenv("DATABASE_IDLE_IN_TRANSACTION_TIMEOUT")
    defaults = database(environ.Env(), tmp_path)["SESSION_SETTINGS"]
    assert defaults == {
        "lock_timeout": "10000ms",
        "idle_in_transaction_session_timeout": "60000ms",
    }
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert "SESSION_SETTINGS" not in database(environ.Env(), tmp_path)


def own_connection(**session: str) -> DatabaseWrapper:
    """A connection to the test database with these SESSION_SETTINGS, no pool."""
    settings = {**connection.settings_dict, "SESSION_SETTINGS": session}
    settings["OPTIONS"] = {
        key: value for key, value in settings["OPTIONS"].items() if key != "pool"
    }
    return DatabaseWrapper(settings, alias="busy_probe")


def shown(database, name: str) -> str:
    with database.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_every_connection_gets_the_lock_timeout():
    # The test's own connection (pooled, as the web's): the configured one.
    configured = connection.settings_dict["SESSION_SETTINGS"]["lock_timeout"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT %s::interval = current_setting('lock_timeout')::interval",
            [configured],
        )
        assert cursor.fetchone()[0] is True
    probe = own_connection(
        lock_timeout="1500ms", idle_in_transaction_session_timeout="60000ms"
    )
    try:
        assert shown(probe, "lock_timeout") == "1500ms"
        assert shown(probe, "idle_in_transaction_session_timeout") == "1min"
    finally:
        probe.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_session_stuck_in_a_transaction_is_ended_and_its_lock_released(webinar):
    stuck = own_connection(
        lock_timeout="10000ms", idle_in_transaction_session_timeout="300ms"
    )
    try:
        stuck.set_autocommit(False)
        with stuck.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM webinars_webinar WHERE id = %s FOR UPDATE", [webinar.pk]
            )
        time.sleep(1.0)  # the process froze here, its transaction open

        # The server ended it: the lock is free again.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM webinars_webinar WHERE id = %s FOR UPDATE NOWAIT",
                [webinar.pk],
            )
        with pytest.raises((InternalError, OperationalError)), stuck.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        stuck.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_start_waiting_on_a_held_seat_lock_gets_the_503_then_succeeds(
    webinar, short_lock_timeout
):
    """A start behind a lock that is not let go: 503 in the visitor's language,
    nothing written; once the lock is let go, the same form goes through."""
    params = connection.get_connection_params()
    keep = ("host", "port", "user", "password", "dbname")
    holder = psycopg.connect(**{k: params[k] for k in keep if params.get(k)})
    url = webinar.get_registration_url()
    visitor = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="fr")
    try:
        holder.execute(
            "SELECT 1 FROM webinars_webinar WHERE id = %s FOR UPDATE", [webinar.pk]
        )
        began = time.monotonic()
        refused = visitor.post(url, FORM)
        waited = time.monotonic() - began
    finally:
        holder.rollback()
        holder.close()

    assert refused.status_code == 503
    assert refused["Retry-After"] == "5"
    assert "<h1>Réessayez dans un instant</h1>" in refused.content.decode()
    assert waited < 5
    assert not Registrant.objects.exists()

    accepted = visitor.post(url, FORM)
    assert accepted.status_code == 303
    assert Registrant.objects.get().email == "ada@example.com"


def busy_answer(request):
    try:
        raise wrapped(psycopg.errors.LockNotAvailable("lock timeout"))
    except OperationalError:
        return server_error(request)


def test_a_busy_get_links_to_itself_and_is_never_cached():
    response = busy_answer(RequestFactory().get("/register/abc/?lang=fr&x=<b>"))

    page = response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert 'href="/register/abc/?lang=fr&amp;x=%3Cb%3E"' in page
    assert "<b>" not in page


def test_a_busy_post_says_to_send_it_again():
    with translation.override("en"):
        response = busy_answer(RequestFactory().post("/register/abc/", {"a": "1"}))

    page = response.content.decode()
    assert "Go back to the previous page and send it again." in page
    assert 'href="/register/abc/"' not in page


def test_a_pages_script_asking_json_gets_the_busy_problem_in_its_language():
    request = RequestFactory().get(
        "/payments/code-check/abc/", HTTP_ACCEPT="application/json"
    )
    with translation.override("fr"):
        response = busy_answer(request)

    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == "5"
    body = json.loads(response.content)
    assert body["type"] == "urn:tessera:problem:busy"
    assert body["detail"].startswith("Nous n’avons pas pu répondre à temps")


def test_a_server_that_cannot_be_reached_is_busy_too():
    """Without a pool (DATABASE_POOL_SIZE=0) the connection's own error: no SQLSTATE."""
    with pytest.raises(psycopg.OperationalError) as refused:
        psycopg.connect("host=127.0.0.1 port=1 dbname=x connect_timeout=2")
    assert refused.value.sqlstate is None
    assert is_busy(wrapped(refused.value)) is True
    # A server that answered with an error of its own is not.
    assert is_busy(wrapped(psycopg.errors.InsufficientPrivilege("denied"))) is False
