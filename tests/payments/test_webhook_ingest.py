"""Webhooks acknowledged fast: stored and answered; a worker or the sweep runs them."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from organizers import plain_sql
from payments import event_drain, webhooks
from payments.models import StripeEvent
from tests.payments import test_webhook_endpoint as endpoint
from tests.payments.test_webhook_endpoint import event, signed

pytestmark = pytest.mark.django_db
# The endpoint tests' fixture: a handler of test.recorded that records calls.
recorded = endpoint.recorded


def post_only(client, payload: dict):
    """Post to the endpoint without kicking a drain (on_commit is not run)."""
    body, header = signed(payload)
    return client.post(
        "/stripe/webhook/",
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )


def test_the_endpoint_stores_and_answers_without_running_handlers(
    client, recorded, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        response = post_only(client, event("test.recorded"))

    assert response.status_code == 200
    assert recorded == []  # no handler (nor Stripe call) in the request
    stored = StripeEvent.objects.get()
    assert stored.processed_at is None and stored.type == "test.recorded"
    assert len(queued) == 1  # the drain's kick, after commit

    assert event_drain.drain_events_task.run() == 1
    assert recorded == ["evt_test_1"]
    stored.refresh_from_db()
    assert stored.processed_at is not None


def test_a_fresh_event_is_stored_in_one_statement(
    client, recorded, django_capture_on_commit_callbacks
):
    """PostgreSQL: one INSERT ... ON CONFLICT DO NOTHING, no SELECT first, no
    savepoint; the embedded SQLite looks first, then inserts."""
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks() as queued,
    ):
        response = post_only(client, event("test.recorded"))

    assert response.status_code == 200
    statements = [q["sql"] for q in queries.captured_queries]
    assert len(statements) == (1 if connection.vendor == "postgresql" else 2)
    assert "ON CONFLICT" in plain_sql.readable(statements[-1])
    assert len(queued) == 1
    stored = StripeEvent.objects.get()
    assert (stored.event_id, stored.type, stored.processed_at) == (
        "evt_test_1",
        "test.recorded",
        None,
    )
    assert stored.payload == event("test.recorded") | {
        "created": stored.payload["created"]
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_event_is_stored_without_waiting_for_the_disk(
    client, recorded
):
    """The request's store: BEGIN, SET LOCAL synchronous_commit = off, the
    statement and COMMIT in one round trip; other sessions see the row at once,
    and the connection is back in autocommit with the setting of its own."""
    with CaptureQueriesContext(connection) as queries:
        response = post_only(client, event("test.recorded"))

    assert response.status_code == 200
    sent = [q["sql"] for q in queries.captured_queries]
    assert len(sent) == 1, sent
    assert sent[0].startswith("BEGIN; SET LOCAL synchronous_commit = off; ")
    assert sent[0].endswith("; COMMIT")
    assert "ON CONFLICT" in plain_sql.readable(sent[0])
    assert connection.get_autocommit() and not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone() == ("on",)
    stored = StripeEvent.objects.get()
    assert (stored.event_id, stored.processed_at) == ("evt_test_1", None)

    # The same event again: the known row comes back, nothing new is stored.
    assert post_only(client, event("test.recorded")).status_code == 200
    assert StripeEvent.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_deauthorization_is_stored_waiting_for_the_disk(client):
    """Stripe lists no event of an account that revoked Tessera, so the
    recovery could not bring this one back: its commit waits for the disk."""
    payload = event("account.application.deauthorized", account="acct_gone")
    with CaptureQueriesContext(connection) as queries:
        response = post_only(client, payload)

    assert response.status_code == 200
    sent = [q["sql"] for q in queries.captured_queries]
    assert not any("synchronous_commit" in sql for sql in sent), sent
    assert StripeEvent.objects.get().type == "account.application.deauthorized"


def test_a_stored_but_unprocessed_duplicate_is_queued_again(
    client, recorded, django_capture_on_commit_callbacks
):
    post_only(client, event("test.recorded"))
    with django_capture_on_commit_callbacks() as queued:
        post_only(client, event("test.recorded"))

    assert StripeEvent.objects.count() == 1
    assert len(queued) == 1  # its first drain may never have run
    assert recorded == []


def test_a_duplicate_is_one_read_and_queues_nothing(
    client, recorded, django_capture_on_commit_callbacks
):
    post_only(client, event("test.recorded"))
    webhooks.process_stored(StripeEvent.objects.get().pk)

    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks() as queued,
    ):
        response = post_only(client, event("test.recorded"))

    assert response.status_code == 200
    statements = [
        q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]
    ]
    assert len(statements) == 1, statements
    assert queued == []
    assert recorded == ["evt_test_1"]


def test_the_sweep_processes_stored_events_no_drain_took(client, recorded):
    received = timezone.now()
    with time_machine.travel(received, tick=False):
        post_only(client, event("test.recorded", id="evt_lost"))
        # Still its drain's: too young for the sweep.
        assert event_drain.process_stored_events() == 0
    assert recorded == []

    with time_machine.travel(received + timedelta(minutes=1), tick=False):
        assert event_drain.process_stored_events_task.run() == 1
        assert event_drain.process_stored_events() == 0
    assert recorded == ["evt_lost"]
    assert StripeEvent.objects.get().processed_at is not None


def test_a_failed_event_is_retried_by_the_sweep(client, recorded):
    failures = [RuntimeError("database hiccup")]

    def flaky(received) -> None:
        if failures:
            raise failures.pop()

    webhooks.handlers["test.flaky"].append(flaky)
    received = timezone.now()
    try:
        with time_machine.travel(received, tick=False):
            post_only(client, event("test.flaky", id="evt_flaky"))
            stored = StripeEvent.objects.get()
            assert webhooks.process_stored(stored.pk) == 500
        stored.refresh_from_db()
        assert stored.processed_at is None and "database hiccup" in stored.error
        with time_machine.travel(received + timedelta(minutes=1), tick=False):
            assert event_drain.process_stored_events() == 1
    finally:
        webhooks.handlers["test.flaky"].remove(flaky)
    stored.refresh_from_db()
    assert stored.processed_at is not None and stored.error == ""


def test_the_sweep_leaves_events_older_than_stripe_retries(client, recorded):
    received = timezone.now()
    with time_machine.travel(received, tick=False):
        post_only(client, event("test.recorded", id="evt_old"))
    with time_machine.travel(received + timedelta(days=4), tick=False):
        assert event_drain.process_stored_events() == 0
    assert recorded == []
