"""After every test that used the database: each seat counter equals its recount.

The invariant, for every scope (webinar, chosen session or None):

    SeatCount.taken (0 when the scope has no row) == SeatCount.recount(scope)

A missing row reads as 0, as registrations.capacity reads it: rows are made
lazily by SeatCount.add (on a scope's first seat, from a recount), so a scope
with seats but no row is a count that bypassed Registrant.save (a queryset
update, a bulk_create) and would let a start sell a seat that does not exist.
A row may stay at 0 once its seats are given back.

One aggregate query checks every scope at once, while the test's data is still
there: in the teardown of this autouse fixture, which runs before the database
fixture's rollback (`db`) or flush (`transactional_db`) because it sets that
fixture up first. It runs on SQLite and PostgreSQL. A test that corrupts the
counters on purpose says so with `@pytest.mark.corrupts_seat_counters`; a test
that failed is not checked again. Django's own TestCase classes (none here)
roll back inside the test call, before any fixture teardown: not checked.
"""

import pytest

DB_FIXTURES = frozenset(
    {
        "db",
        "transactional_db",
        "django_db_reset_sequences",
        "django_db_serialized_rollback",
        "live_server",
    }
)
CALL_REPORT = pytest.StashKey[pytest.TestReport]()


def counter_mismatches() -> list[tuple[int, int | None, int, int]]:
    """Return (webinar id, session id, counter, recount) of every wrong scope."""
    from django.db import DEFAULT_DB_ALIAS, connections

    from registrations.models import (
        SEAT_STATUSES,
        STAFF_SOURCE_VALUES,
        Registrant,
        SeatCount,
        WaitlistEntry,
    )

    connection = connections[DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    statuses = sorted(SEAT_STATUSES)
    staff = sorted(STAFF_SOURCE_VALUES)
    sql = f"""
        SELECT webinar_id, session_id, SUM(counted), SUM(seats) FROM (
            SELECT webinar_id, session_id, taken AS counted, 0 AS seats
            FROM {quote(SeatCount._meta.db_table)}
            UNION ALL
            SELECT webinar_id, session_id, 0, COUNT(*)
            FROM {quote(Registrant._meta.db_table)}
            WHERE status IN ({", ".join(["%s"] * len(statuses))})
            AND source NOT IN ({", ".join(["%s"] * len(staff))})
            GROUP BY webinar_id, session_id
            UNION ALL
            SELECT webinar_id, session_id, 0, COUNT(*)
            FROM {quote(WaitlistEntry._meta.db_table)}
            WHERE status = %s
            GROUP BY webinar_id, session_id
        ) scopes
        GROUP BY webinar_id, session_id
        HAVING SUM(counted) <> SUM(seats)
        ORDER BY webinar_id, session_id
    """  # noqa: S608 - table names from the models, values as parameters
    # The class's cursor(): a test may have replaced the connection's own to
    # make the database look down (tests/test_healthz.py).
    with type(connection).cursor(connection) as cursor:
        cursor.execute(sql, [*statuses, *staff, WaitlistEntry.Status.OFFERED])
        return [tuple(row) for row in cursor.fetchall()]


def recount_seat_counters() -> None:
    """Set each wrong counter to its recount: after a test's bulk_create.

    Tests that insert many registrants at once (bulk_create, which skips
    Registrant.save) call it to leave the data as the product would have.
    """
    from registrations.models import SeatCount

    for webinar_id, session_id, _counted, seats in counter_mismatches():
        SeatCount.objects.update_or_create(
            webinar_id=webinar_id, session_id=session_id, defaults={"taken": seats}
        )


def uses_database(request: pytest.FixtureRequest) -> bool:
    if request.node.get_closest_marker("django_db"):
        return True
    return bool(DB_FIXTURES.intersection(request.fixturenames))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):  # noqa: ANN201
    report = yield
    if report.when == "call":
        item.stash[CALL_REPORT] = report
    return report


@pytest.fixture(autouse=True)
def _seat_counters_exact(request: pytest.FixtureRequest):  # noqa: ANN202
    """Fail a test that leaves a seat counter different from its recount."""
    if (
        not uses_database(request)
        or request.node.get_closest_marker("corrupts_seat_counters")
        or getattr(request.node, "cls", None) is not None
        and hasattr(request.node.cls, "_pre_setup")  # a Django TestCase class
    ):
        yield
        return
    # Set up first, so torn down after this fixture's check.
    request.getfixturevalue("_django_db_helper")
    yield
    report = request.node.stash.get(CALL_REPORT, None)
    if report is None or not report.passed:
        return
    wrong = counter_mismatches()
    if wrong:
        lines = [
            f"webinar {webinar} session {session}: counter {counted}, recount {seats}"
            for webinar, session, counted, seats in wrong
        ]
        pytest.fail(
            "seat counters differ from their recount (see tests/seat_counters.py):\n"
            + "\n".join(lines),
            pytrace=False,
        )
