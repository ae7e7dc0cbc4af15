"""Plain SQL for the hottest statements: prepared once, rows as the ORM makes them.

Building an ORM expression costs several times the CPU of running it, so
the statements every registration start or Stripe event runs are written
once per process as plain SQL, each commented with the ORM expression it
stands for. `columns` and `instance` turn their rows into the model
instances the ORM would build (the fields' converters, then Model.from_db).


PostgreSQL parses, analyses and plans every statement it receives. For the
few fixed statements that every registration start or Stripe event runs,
that was about half of the CPU the database spent on them (perf, on one
paid start's backend). Here each is prepared once per connection (PREPARE)
and run as an EXECUTE of the kept plan afterwards.

- The PREPARE travels with the first EXECUTE, in one round trip: a caller's
  query count does not depend on what its connection ran before.
- Only statements of a fixed text belong here (no IN list of varying length):
  a connection keeps every statement it prepared until it closes.
- A prepared statement lives as long as its database session: the
  deployment connects directly or through a pooler in session mode
  (PgBouncer's transaction mode would give the EXECUTE to another session).
- SQLite runs the statement as it is.

The SQL keeps psycopg's `%s` placeholders; the values are bound as they
are for any statement. psycopg keeps the parsing of a query's placeholders
only for queries of at most 50 values; a paid start's one statement (its
payment, registrant and hold, with the lock and the COMMIT) sends more, and
psycopg parsed it again on every start (about 5% of the start's CPU). The
texts sent here are few and fixed, so the limit is raised, for the whole
process (`_CACHED_VALUES`; psycopg's cache of parsed queries stays bounded,
128 texts). The limit is psycopg's private setting: if a release moves it,
nothing breaks but the cache, and tests/organizers/test_plain_sql.py fails.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import re
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection
from django.db.models import Model
from django.db.transaction import TransactionManagementError
from psycopg import _queries as psycopg_queries

# The most values a statement sent here may have and keep its parsing cached.
_CACHED_VALUES = 200
if hasattr(psycopg_queries, "MAX_CACHED_STATEMENT_PARAMS"):
    psycopg_queries.MAX_CACHED_STATEMENT_PARAMS = max(
        psycopg_queries.MAX_CACHED_STATEMENT_PARAMS, _CACHED_VALUES
    )

# Name of each statement prepared in this process -> its PREPARE text.
_STATEMENTS: dict[str, str] = {}
# Each statement's SQL -> its name.
_NAMES: dict[str, str] = {}


def execute(cursor: Any, sql: str, params: Sequence[Any] = ()) -> None:
    """cursor.execute(sql, params), prepared once per connection on PostgreSQL.

    `cursor` is a Django cursor; its rows and rowcount are the statement's.
    """
    if cursor.db.vendor != "postgresql":
        cursor.execute(sql, params)
        return
    run(cursor, (sql, params))


def run(
    cursor: Any, *statements: tuple[str, Sequence[Any] | None], rows_of: int = -1
) -> None:
    """Send several (sql, params) statements in one round trip (PostgreSQL only).

    Each is prepared as `execute` prepares it; one whose params are None
    (BEGIN, COMMIT) is sent as it is. The cursor holds the rows of the
    statement at `rows_of` (the last one by default).
    """
    state = _prepared(cursor)
    known = state.known
    parts, values, names, results = [], [], [], []
    for sql, params in statements:
        if params is None:
            parts.append(sql)
            results.append(len(parts) - 1)
            continue
        values.extend(params)
        name = _NAMES.get(sql) or _name(sql)
        arguments = f" ({', '.join(['%s'] * len(params))})" if params else ""
        if name not in known:
            parts.append(f"PREPARE {name} AS {_STATEMENTS[name]}")
        parts.append(f"EXECUTE {name}{arguments}")
        results.append(len(parts) - 1)
        names.append(name)
    try:
        cursor.execute("; ".join(parts), values)
        _to_result(cursor, results[rows_of])
    except Exception:
        # A PREPARE may or may not have run: ask before the next use.
        for name in names:
            known.pop(name, None)
        state.unsure.update(names)
        raise
    known.update(dict.fromkeys(names, True))


def _to_result(cursor: Any, index: int) -> None:
    """Leave the cursor on the index-th statement's result (psycopg starts at 0)."""
    raw = cursor.cursor
    for _ in range(index):
        raw.nextset()


def run_committed(
    cursor: Any,
    *statements: tuple[str, Sequence[Any] | None],
    local: Sequence[str] = (),
    then: tuple[str, Sequence[Any]] | None = None,
    rows_of: int | None = None,
) -> None:
    """Run `statements` as one transaction, BEGIN to COMMIT, in one round trip.

    For a connection in autocommit, outside any transaction (PostgreSQL).
    `local`: settings of this transaction only (`SET LOCAL ...`); `then`: a
    statement run after the COMMIT, whose rows the cursor holds; or
    `rows_of`: the statements' index whose rows it holds. On an error the
    transaction begun is rolled back before the error goes on.
    """
    database = cursor.db
    if database.in_atomic_block or not database.get_autocommit():
        raise TransactionManagementError("run_committed: outside a transaction only")
    sent: list[tuple[str, Sequence[Any] | None]] = [("BEGIN", None)]
    sent += [(f"SET LOCAL {setting}", None) for setting in local]
    sent += [*statements, ("COMMIT", None)]
    if then is not None:
        sent.append(then)
    kept = -1 if rows_of is None else 1 + len(local) + rows_of % len(statements)
    try:
        run(cursor, *sent, rows_of=kept)
    except Exception:
        # The BEGIN may have run without its COMMIT: end what it began (a
        # connection that failed itself is closed, with nothing to end).
        with contextlib.suppress(Exception):
            cursor.execute("ROLLBACK")
        raise


def readable(sql: str) -> str:
    """What a request ran, its prepared statements written out (tests, bench).

    Each `[PREPARE name AS ...; ]EXECUTE name` becomes the statement's SQL
    (its arguments follow it); any other SQL stays as it is.
    """
    return _PREPARED.sub(lambda found: _STATEMENTS.get(found[1], found[0]), sql)


_PREPARED = re.compile(
    r"(?:PREPARE t_[0-9a-f]{20} AS [^;]*; )?EXECUTE (t_[0-9a-f]{20})"
)


def _name(sql: str) -> str:
    """Name the statement after its text (the same in every process); keep it."""
    parts = sql.split("%s")
    text = parts[0]
    for number, part in enumerate(parts[1:], start=1):
        text += f"${number}{part}"
    if "%" in text or ";" in text:
        raise ValueError(f"one statement, with %s placeholders only: {sql}")
    name = "t_" + hashlib.sha1(sql.encode(), usedforsecurity=False).hexdigest()[:20]
    _STATEMENTS[name] = text
    _NAMES[sql] = name
    return name


def _prepared(cursor: Any) -> _Prepared:
    """What the cursor's connection prepared, checked after a failure.

    Kept with the DB-API connection itself: a pooled connection comes back,
    to this thread or another, with what it prepared.
    """
    state = _PREPARED_ON.get(cursor.db.connection)
    if state is None:
        # A new connection: it has prepared nothing yet.
        state = _PREPARED_ON[cursor.db.connection] = _Prepared()
    if state.unsure:
        cursor.execute(
            "SELECT name FROM pg_prepared_statements WHERE name = ANY(%s)",
            [sorted(state.unsure)],
        )
        state.known.update({row[0]: True for row in cursor.fetchall()})
        state.unsure.clear()
    return state


class _Prepared:
    """What one connection prepared, and what it may or may not have."""

    __slots__ = ("known", "unsure")

    def __init__(self) -> None:
        self.known: dict[str, bool] = {}
        self.unsure: set[str] = set()


# DB-API connection -> what it prepared; forgotten with the connection.
_PREPARED_ON: weakref.WeakKeyDictionary[Any, _Prepared] = weakref.WeakKeyDictionary()


@functools.cache
def columns(model: type[Model], alias: str) -> str:
    """The model's concrete columns, qualified by `alias`, in field order."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(f.column)}" for f in model._meta.concrete_fields)


@functools.cache
def _converters(model: type[Model]) -> tuple[tuple[int, Callable, Any], ...]:
    """(position, converter, column) of the fields whose values the ORM converts."""
    found = []
    for index, field in enumerate(model._meta.concrete_fields):
        column = field.get_col(model._meta.db_table)
        for convert in [
            *connection.ops.get_db_converters(column),
            *field.get_db_converters(connection),
        ]:
            found.append((index, convert, column))
    return tuple(found)


def instance(model: type[Model], values: Sequence[Any]) -> Model:
    """Return the instance of `model` the ORM builds from these column values.

    `values` are the row's values for columns(model, ...), in that order.
    """
    values = list(values)
    for index, convert, column in _converters(model):
        values[index] = convert(values[index], column, connection)
    return model.from_db(
        connection.alias, [f.attname for f in model._meta.concrete_fields], values
    )
