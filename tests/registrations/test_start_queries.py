"""A registration start costs a fixed number of queries, however many registered."""

import re

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from organizers import plain_sql
from registrations import key_rows, start_sql
from registrations.models import Registrant, SeatHold
from tests import factories
from tests.registrations.checkout_support import make_paid_webinar, register

pytestmark = pytest.mark.django_db

MAX_START_QUERIES = 10
# A paid start on PostgreSQL: the key read with the Stripe connection, the
# lock with the rows (one round trip, registrations.fast_hold), the
# Checkout's UPDATE. SQLite reads the connection on its own, locks and
# reads under the lock, and writes the rows with the ORM.
MAX_PAID_START_QUERIES = {"postgresql": 3, "sqlite": 8}


def start_queries(client, webinar, email: str) -> list[str]:
    # The start reads its webinar by key, as the first one in a process does
    # (a row kept a moment for the next starts: test_key_rows).
    key_rows.forget([webinar.registration_key])
    with CaptureQueriesContext(connection) as queries:
        response = register(client, webinar, email=email)
    assert response.status_code == 303, response.content[:2000]
    # Savepoints are the test's transaction; in production they are the
    # BEGIN and COMMIT of the request's transactions, which are not captured.
    # A prepared statement reads as the SQL it runs.
    return [
        plain_sql.readable(q["sql"])
        for q in queries.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


def crowd(webinar, count: int, *, paid: bool) -> None:
    """`count` earlier registrants, a third of them holding a paid seat."""
    registrants = factories.RegistrantFactory.create_batch(
        count, webinar=webinar, source="paid" if paid else "free"
    )
    if paid:
        for registrant in registrants[::3]:
            registrant.status = Registrant.Status.PENDING
            registrant.save(update_fields=["status"])
            SeatHold.objects.create(
                registrant=registrant,
                expires_at=registrant.created_at.replace(year=2999),
            )


@pytest.mark.parametrize("earlier", [1, 300])
def test_a_paid_start_costs_at_most_three_queries_on_postgresql(
    client, organizer, stripe_sandbox, earlier
):
    webinar = make_paid_webinar(
        owner=organizer, stripe_account=stripe_sandbox.demo_account
    )
    webinar.registration_limit = 1000
    webinar.save(update_fields=["registration_limit"])
    crowd(webinar, earlier, paid=True)
    register(client, webinar, email="warm@example.com")  # caches, installation id

    queries = start_queries(client, webinar, "ada@example.com")

    assert len(queries) <= MAX_PAID_START_QUERIES[connection.vendor], "\n".join(queries)
    assert Registrant.objects.get(email="ada@example.com").payment.checkout_url


@pytest.mark.parametrize("earlier", [1, 300])
def test_a_free_start_costs_at_most_ten_queries(client, webinar, earlier):
    webinar.registration_limit = 1000
    webinar.save(update_fields=["registration_limit"])
    crowd(webinar, earlier, paid=False)
    register(client, webinar, email="warm@example.com")

    queries = start_queries(client, webinar, "ada@example.com")

    assert len(queries) <= MAX_START_QUERIES, "\n".join(queries)
    registrant = Registrant.objects.get(email="ada@example.com")
    assert registrant.status == Registrant.Status.CONFIRMED


def test_both_starts_cost_the_same_with_1_or_300_registrants(
    client, organizer, stripe_sandbox
):
    counts = []
    for earlier in (1, 300):
        webinar = make_paid_webinar(
            owner=organizer, stripe_account=stripe_sandbox.demo_account
        )
        webinar.registration_limit = 1000
        webinar.save(update_fields=["registration_limit"])
        crowd(webinar, earlier, paid=True)
        register(client, webinar, email="warm@example.com")
        counts.append(len(start_queries(client, webinar, "ada@example.com")))
    assert counts[0] == counts[1]


MAX_PAGE_QUERIES = 8


@pytest.mark.parametrize("earlier", [1, 300])
def test_the_registration_page_costs_a_fixed_number_of_queries(
    client, organizer, stripe_sandbox, earlier
):
    webinar = make_paid_webinar(
        owner=organizer, stripe_account=stripe_sandbox.demo_account
    )
    webinar.registration_limit = 1000
    webinar.save(update_fields=["registration_limit"])
    crowd(webinar, earlier, paid=True)
    url = webinar.get_registration_url()

    with CaptureQueriesContext(connection) as rendered:
        first = client.get(url)
    with CaptureQueriesContext(connection) as cached:
        again = Client().get(url)

    assert first.status_code == again.status_code == 200
    statements = [q["sql"] for q in rendered.captured_queries]
    assert len(statements) <= MAX_PAGE_QUERIES, "\n".join(statements)
    # Every later visitor gets the page kept in the cache: no query at all.
    assert cached.captured_queries == []


def test_a_paid_start_reads_the_sessions_only_with_its_key_and_its_lock(
    client, organizer, stripe_sandbox
):
    webinar = make_paid_webinar(
        owner=organizer, stripe_account=stripe_sandbox.demo_account
    )
    register(client, webinar, email="warm@example.com")

    queries = start_queries(client, webinar, "ada@example.com")

    # Whether a live session is left (the replay hook asks): on PostgreSQL
    # the key read says it, and the lock's round trip checks it again.
    reading_sessions = [q for q in queries if "webinars_session" in q]
    if connection.vendor == "postgresql":
        assert len(reading_sessions) == 2, "\n".join(reading_sessions)
        assert "registration_key =" in reading_sessions[0]
        assert "FOR UPDATE" in reading_sessions[1]
    else:
        # SQLite locks the whole database at the transaction's first write.
        assert len(reading_sessions) == 1, "\n".join(reading_sessions)
        assert reading_sessions[0].startswith("SELECT")


@pytest.mark.postgres
def test_a_paid_start_holds_the_lock_for_one_round_trip(
    client, organizer, stripe_sandbox
):
    webinar = make_paid_webinar(
        owner=organizer, stripe_account=stripe_sandbox.demo_account
    )
    register(client, webinar, email="warm@example.com")

    queries = start_queries(client, webinar, "ada@example.com")

    # The lock and every row in one round trip; the Stripe connection is
    # read before, the Checkout stored after it.
    locking = next(i for i, sql in enumerate(queries) if "FOR UPDATE" in sql)
    storing = next(i for i, sql in enumerate(queries) if "checkout_session_id =" in sql)
    assert storing == locking + 1, "\n".join(queries)
    # The counter is read by a statement of its own, after the lock's: it
    # sees the seats of the starts that held the lock before.
    lock, rows = queries[locking].split("; ", 1)
    assert "FOR UPDATE" in lock and "registrations_seatcount" not in lock
    assert "registrations_seatcount" in rows and "FOR UPDATE" not in rows
    assert "INSERT INTO" in rows
    # The connection read before the lock is only checked by id under it.
    checks = [sql for sql in queries[locking:] if "stripeconnection" in sql]
    assert checks == [queries[locking]], "\n".join(queries)
    assert "c.id = $" in rows and "c.charges_enabled" in rows


def test_a_free_start_reads_no_stripe_connection(client, webinar):
    register(client, webinar, email="warm@example.com")

    queries = start_queries(client, webinar, "ada@example.com")

    # On PostgreSQL the key read joins the connection, under an enabled price
    # only (test_seller: that join never runs for a free webinar).
    reading = [sql for sql in queries if "stripeconnection" in sql]
    assert all("registration_key =" in sql for sql in reading), "\n".join(queries)
    assert len(reading) == (connection.vendor == "postgresql")


@pytest.mark.postgres
def test_the_kept_plan_of_the_email_test_reads_the_live_email_index(
    organizer, stripe_sandbox
):
    """Prepared once per connection, the lock's read keeps a generic plan: with
    statistics (as autovacuum keeps them), that plan finds the email through
    the partial index, not by reading every live registrant of the webinar."""
    hot, other = (
        make_paid_webinar(owner=organizer, stripe_account=stripe_sandbox.demo_account)
        for _ in range(2)
    )
    for webinar in (hot, other):
        crowd(webinar, 300, paid=True)
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE registrations_registrant")
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        start_sql.lock_webinar(hot.pk, now=now, email="ada@example.com")
    sent = next(q["sql"] for q in queries.captured_queries if "EXECUTE" in q["sql"])
    read = re.findall(r"EXECUTE (t_[0-9a-f]{20})", sent)[-1]

    with connection.cursor() as cursor:
        cursor.execute(
            f"EXPLAIN EXECUTE {read} (%s, %s, %s)", [now, "ada@example.com", hot.pk]
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "$2" in plan, plan  # the generic plan: the email is a parameter
    assert "registrant_live_email" in plan, plan


def test_a_free_page_without_its_code_field_costs_no_more_queries(client, webinar):
    url = webinar.get_registration_url()

    with CaptureQueriesContext(connection) as rendered:
        first = client.get(url)
    with CaptureQueriesContext(connection) as cached:
        again = Client().get(url)

    assert 'name="discount_code"' not in first.text
    assert 'name="discount_code"' not in again.text
    statements = [q["sql"] for q in rendered.captured_queries]
    assert len(statements) <= MAX_PAGE_QUERIES, "\n".join(statements)
    assert cached.captured_queries == []
