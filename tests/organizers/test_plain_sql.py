"""Hot statements prepared once per connection, in the same round trip."""

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import DatabaseError, DataError, connection, transaction
from django.test.utils import CaptureQueriesContext
from psycopg.types.json import Json

from organizers import plain_sql

pytestmark = pytest.mark.django_db


def fresh(sql: str) -> str:
    """`sql` under a text no connection has prepared yet."""
    return f"{sql} /* {uuid.uuid4().hex} */"


def run(sql: str, params: list) -> tuple[list[str], tuple]:
    """Run `sql` through plain_sql.execute; return the SQL sent and the row."""
    with CaptureQueriesContext(connection) as queries, connection.cursor() as cursor:
        plain_sql.execute(cursor, sql, params)
        row = cursor.fetchone()
    return [q["sql"] for q in queries.captured_queries], row


@pytest.mark.postgres
def test_the_first_run_prepares_in_the_same_round_trip_the_next_only_execute():
    double = fresh("SELECT %s::int * 2, %s::text")

    first, row = run(double, [21, "a"])
    second, again = run(double, [5, "it's"])

    assert row == (42, "a") and again == (10, "it's")
    assert len(first) == 1 and first[0].startswith("PREPARE t_")
    assert "; EXECUTE t_" in first[0]
    assert len(second) == 1 and second[0].startswith("EXECUTE t_")
    # Tests and the bench read what ran.
    assert plain_sql.readable(second[0]).startswith("SELECT $1::int * 2, $2::text")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_committed_run_keeps_the_rows_of_the_statement_asked_for():
    first = fresh("SELECT %s::int + 1")
    second = fresh("SELECT %s::text || 'b'")

    with connection.cursor() as cursor:
        plain_sql.run_committed(
            cursor, (first, [1]), (second, ["a"]), local=["work_mem = '8MB'"], rows_of=0
        )
        assert cursor.fetchone() == (2,)
        plain_sql.run_committed(cursor, (first, [1]), (second, ["a"]), rows_of=-1)
        assert cursor.fetchone() == ("ab",)

    assert connection.get_autocommit()


@pytest.mark.postgres
def test_a_statement_of_many_values_is_parsed_once():
    from psycopg import _queries

    many = fresh("SELECT " + " + ".join(["%s::int"] * 60))
    run(many, list(range(60)))  # PREPARE and EXECUTE
    run(many, list(range(60)))  # EXECUTE: parsed
    cached = _queries._query2pg_client.cache_info()

    sent, row = run(many, list(range(60)))

    assert row == (sum(range(60)),)
    assert sent[0].startswith("EXECUTE t_")
    assert _queries._query2pg_client.cache_info().hits == cached.hits + 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_again():
    double = fresh("SELECT %s::int * 2, %s::text")
    run(double, [1, "a"])
    connection.close()

    sent, row = run(double, [2, "b"])

    assert row == (4, "b")
    assert sent[0].startswith("PREPARE t_")


@pytest.mark.postgres
def test_after_a_failed_run_the_statement_is_asked_for_then_executed():
    divide = fresh("SELECT 10 / %s::int")
    with pytest.raises(DatabaseError), transaction.atomic():
        run(divide, [0])  # prepared, then the EXECUTE fails

    sent, row = run(divide, [5])

    assert row == (2,)
    # The PREPARE had run: no second one (it would fail), only the EXECUTE.
    assert [s.split(" ", 1)[0] for s in sent] == ["SELECT", "EXECUTE"]
    assert "pg_prepared_statements" in sent[0]


@pytest.mark.postgres
def test_run_sends_several_prepared_statements_in_one_round_trip():
    first, second = fresh("SELECT %s::int"), fresh("SELECT %s::int + 1")
    with CaptureQueriesContext(connection) as queries, connection.cursor() as cursor:
        plain_sql.run(cursor, (first, [1]), (second, [41]))
        row = cursor.fetchone()

    assert row == (42,)
    assert len(queries.captured_queries) == 1
    sent = queries.captured_queries[0]["sql"]
    assert sent.count("PREPARE ") == 2
    assert plain_sql.readable(sent) == (
        f"{first.replace('%s', '$1')} (1); {second.replace('%s', '$1')} (41)"
    )


def test_the_rows_are_the_statements_on_either_database():
    sent, row = run(fresh("SELECT %s * 2, %s"), [21, "a"])

    assert row == (42, "a")
    assert len(sent) == 1
    if connection.vendor != "postgresql":
        # SQLite (the embedded default) runs the statement as it is.
        assert sent[0].startswith("SELECT 21 * 2, 'a' /* ")


@pytest.mark.postgres
def test_only_placeholders_and_one_statement_can_be_prepared():
    with pytest.raises(ValueError, match="placeholders"):
        run("SELECT 'a%%b', %s", [1])
    with pytest.raises(ValueError, match="one statement"):
        run("SELECT 1; SELECT %s", [1])


@pytest.mark.postgres
def test_values_are_written_into_the_execute_as_psycopg_binds_them():
    # More parameters than psycopg caches the parsing of (50), as a paid
    # start's rows take.
    when = datetime(2026, 12, 2, 10, 30, 15, 123456, tzinfo=UTC)
    values = [
        None,
        "it's 100% 'quoted' \\ back%s",
        "",
        "émoji 🎟",
        -7,
        True,
        Decimal("12.50"),
        when,
        Json({"answer": "a'b", "n": [1, None]}),
    ]
    values *= 7  # 63
    types = ["text", "text", "text", "text", "int", "bool", "numeric", "timestamptz"]
    types.append("jsonb")
    casts = ", ".join(f"%s::{kind}" for kind in types * 7)

    sent, row = run(fresh(f"SELECT {casts}"), values)

    # Django reads jsonb as text (its JSONField decodes it).
    got = [json.loads(value) if n % 9 == 8 else value for n, value in enumerate(row)]
    assert got == [value.obj if isinstance(value, Json) else value for value in values]
    assert len(sent) == 1


@pytest.mark.postgres
def test_a_value_postgresql_refuses_raises_djangos_error_then_runs_again():
    doubled = fresh("SELECT %s::text || %s::text")

    with pytest.raises(DataError):
        run(doubled, ["a", "nul \x00 byte"])

    assert run(doubled, ["a", "b"])[1] == ("ab",)
