"""The events sweep: Stripe's event list read back, each event processed once."""

from collections import defaultdict
from datetime import UTC, datetime

import pytest
import time_machine

from payments import webhooks
from payments.event_recovery import (
    OVERLAP,
    recover_events,
    recover_events_task,
)
from payments.models import EventCursor, StripeConnection, StripeEvent
from tests import factories
from tests.registrations.checkout_support import Webhooks
from tests.sandbox_fixtures import session_params

pytestmark = pytest.mark.django_db

DEMO = "acct_1TesseraDemo0001"
ON_DEMO = {"stripe_account": DEMO}


@pytest.fixture(autouse=True)
def _pinned_clock():
    """Pin the day (the sandbox runs in this process, so it follows too)."""
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=True):
        yield


class Seen(list):
    """Session ids the handler saw; `failures` makes its next calls raise."""

    failures = 0


@pytest.fixture
def seen(stripe_sandbox, monkeypatch) -> Seen:
    """Handle only checkout.session.completed of the demo account, recording it."""
    calls = Seen()

    def handler(event) -> None:
        if calls.failures:
            calls.failures -= 1
            raise RuntimeError("handler down")
        calls.append(event.object["id"])

    only = defaultdict(list, {"checkout.session.completed": [handler]})
    monkeypatch.setattr(webhooks, "handlers", only)
    factories.StripeConnectionFactory(stripe_account_id=DEMO)
    return calls


def pay(sandbox, sdk) -> str:
    params = session_params(now=sandbox.state()["now"])
    session = sdk.v1.checkout.sessions.create(params, ON_DEMO)
    sandbox.complete(session["id"])
    return session["id"]


def paid_and_swept(sandbox, sdk) -> tuple[str, EventCursor]:
    """Pay a session, sweep, then move the clock past the sweep's overlap."""
    session_id = pay(sandbox, sdk)
    recover_events_task()
    sandbox.advance_clock(OVERLAP + 30)
    return session_id, EventCursor.objects.get(stripe_account_id=DEMO)


def test_events_listed_since_the_cursor_are_processed_once(
    stripe_sandbox, stripe_sdk, seen
):
    first, second = pay(stripe_sandbox, stripe_sdk), pay(stripe_sandbox, stripe_sdk)

    assert recover_events_task() == 2
    assert recover_events_task() == 0

    assert seen == [first, second]
    # Only the handled types are listed and stored.
    assert set(StripeEvent.objects.values_list("type", flat=True)) == {
        "checkout.session.completed"
    }
    assert not StripeEvent.objects.filter(processed_at__isnull=True).exists()
    cursor = EventCursor.objects.get(stripe_account_id=DEMO)
    newest = StripeEvent.objects.get(payload__data__object__id=second)
    assert cursor.last_event_id == newest.event_id


def test_later_events_are_read_from_the_cursor_on(stripe_sandbox, stripe_sdk, seen):
    first, cursor = paid_and_swept(stripe_sandbox, stripe_sdk)
    later = pay(stripe_sandbox, stripe_sdk)

    assert recover_events_task() == 1
    assert seen == [first, later]
    assert EventCursor.objects.get(stripe_account_id=DEMO).last_created > (
        cursor.last_created + OVERLAP
    )


def test_a_webhook_that_also_arrives_is_not_processed_twice(
    client, stripe_sandbox, stripe_sdk, webhook_receiver, seen
):
    webhooks_in = Webhooks(stripe_sandbox, webhook_receiver, client)
    session_id = pay(stripe_sandbox, stripe_sdk)
    deliveries = webhooks_in.collect()

    assert recover_events_task() == 1
    assert webhooks_in.deliver(deliveries) == [200]
    assert recover_events_task() == 0

    assert seen == [session_id]
    assert StripeEvent.objects.count() == 1


def test_a_delivered_webhook_is_not_processed_again_by_the_sweep(
    client, stripe_sandbox, stripe_sdk, webhook_receiver, seen
):
    webhooks_in = Webhooks(stripe_sandbox, webhook_receiver, client)
    session_id = pay(stripe_sandbox, stripe_sdk)
    assert webhooks_in.deliver(webhooks_in.collect()) == [200]

    assert recover_events_task() == 0
    assert seen == [session_id]


def test_a_failing_handler_is_retried_next_sweep(stripe_sandbox, stripe_sdk, seen):
    earlier, cursor = paid_and_swept(stripe_sandbox, stripe_sdk)
    first = pay(stripe_sandbox, stripe_sdk)
    stripe_sandbox.advance_clock(OVERLAP + 30)
    second = pay(stripe_sandbox, stripe_sdk)
    seen.failures = 1

    assert recover_events_task() == 1
    failed = StripeEvent.objects.get(payload__data__object__id=first)
    assert failed.processed_at is None
    assert failed.error == "RuntimeError: handler down"
    # The cursor waits before the failed event, however far the later one is.
    assert EventCursor.objects.get(stripe_account_id=DEMO).last_created == (
        cursor.last_created
    )

    assert recover_events_task() == 1
    assert recover_events_task() == 0

    assert seen == [earlier, second, first]
    assert not StripeEvent.objects.filter(processed_at__isnull=True).exists()
    assert (
        EventCursor.objects.get(stripe_account_id=DEMO).last_created
        == (
            StripeEvent.objects.get(payload__data__object__id=second).payload["created"]
        )
    )


def test_an_account_stripe_refuses_does_not_stop_the_others(
    stripe_sandbox, stripe_sdk, seen
):
    session_id = pay(stripe_sandbox, stripe_sdk)
    gone = stripe_sandbox.create_account()
    factories.StripeConnectionFactory(stripe_account_id=gone)
    stripe_sandbox.deauthorize(gone)
    # The platform's list is asked first: it answers 429 (not retried).
    stripe_sandbox.inject_fault("rate_limit", count=1)

    assert recover_events() == 1
    assert seen == [session_id]


def test_disconnected_connections_are_not_read(stripe_sandbox, stripe_sdk, seen):
    pay(stripe_sandbox, stripe_sdk)
    StripeConnection.objects.update(disconnected_at=datetime.now(UTC))

    assert recover_events() == 0
    assert seen == []
