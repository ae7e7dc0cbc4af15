"""Stored events run by drains: one kick per window, each event claimed once."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from celery.signals import before_task_publish
from django.core.cache import caches
from django.db import connection
from django.utils import timezone

from config.celery import app
from payments import event_drain, webhooks
from payments.gateway_types import WebhookEvent
from payments.models import StripeEvent
from tests.payments import test_webhook_endpoint as endpoint
from tests.payments.test_webhook_endpoint import event
from tests.payments.test_webhook_ingest import post_only

pytestmark = pytest.mark.django_db
recorded = endpoint.recorded
DRAIN = "payments.events.drain"
# Mid-slot: a whole window of kicks before the next slot.
BURST_AT = datetime(2026, 12, 1, 18, 0, 0, 50_000, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_kicks():
    """Each test is a new process as far as kicks go."""
    event_drain.forget_kicks()
    yield
    event_drain.forget_kicks()


@pytest.fixture
def published():
    """The drains queued, as the broker gets them: their ETA (None for at
    once) and how many more drains each may start."""
    drains: list[tuple[str | None, int]] = []

    def record(sender: str, headers: dict, body: tuple, **_kwargs) -> None:
        if sender == DRAIN:
            _args, kwargs, _embed = body
            drains.append((headers.get("eta"), kwargs["relays"]))

    before_task_publish.connect(record, weak=False)
    yield drains
    before_task_publish.disconnect(record)


@pytest.fixture
def cache_down(settings):
    """The cache is Redis, and Redis does not answer (config/cache.py fails open)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.FailOpenRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    yield
    caches["default"].close()


def store(n: int, event_type: str = "test.recorded") -> list[int]:
    """Store n fresh events as the endpoint does (no kick); return their rows."""
    rows = []
    for i in range(n):
        payload = event(event_type, id=f"evt_drain_{i:03d}")
        rows.append(
            webhooks.store_event(WebhookEvent.from_payload(payload), payload).pk
        )
    return rows


def test_a_burst_of_kicks_queues_one_drain_after_its_window(published):
    with time_machine.travel(BURST_AT, tick=False):
        assert event_drain.kick_drain() is True
        assert [event_drain.kick_drain() for _ in range(50)] == [False] * 50
        # Another web process in the same window: the cache says it is kicked.
        event_drain.forget_kicks()
        assert event_drain.kick_drain() is False

    assert len(published) == 1
    eta, relays = published[0]
    slot_ends = BURST_AT.replace(microsecond=0) + timedelta(
        seconds=event_drain.DRAIN_WINDOW
    )
    # Every event of the window is committed before its drain starts.
    assert datetime.fromisoformat(eta) > slot_ends
    assert relays == event_drain.DRAIN_RELAYS
    next_window = BURST_AT + timedelta(seconds=event_drain.DRAIN_WINDOW)
    with time_machine.travel(next_window, tick=False):
        assert event_drain.kick_drain() is True
    assert len(published) == 2


def test_the_endpoint_kicks_a_drain_after_commit(
    client, recorded, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_only(client, event("test.recorded"))

    assert response.status_code == 200
    assert len(published) == 1
    assert recorded == []  # the drain runs in a worker
    assert event_drain.drain_events_task.run() == 1
    assert recorded == ["evt_test_1"]


def test_while_the_cache_is_down_the_event_is_still_drained(
    client, recorded, published, cache_down, django_capture_on_commit_callbacks
):
    with time_machine.travel(BURST_AT, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            response = post_only(client, event("test.recorded"))
        # The same process does not ask the cache again in this window...
        assert event_drain.kick_drain() is False
        # ...but every other process queues a drain of its own.
        event_drain.forget_kicks()
        assert event_drain.kick_drain() is True

    assert response.status_code == 200
    assert len(published) == 2
    assert event_drain.drain_events_task.run() == 1
    assert event_drain.drain_events_task.run() == 0
    assert recorded == ["evt_test_1"]
    assert StripeEvent.objects.get().processed_at is not None


def test_in_eager_mode_the_endpoint_processes_at_once(
    client, recorded, django_capture_on_commit_callbacks
):
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            for n in range(3):
                post_only(client, event("test.recorded", id=f"evt_eager_{n}"))
        assert recorded == ["evt_eager_0", "evt_eager_1", "evt_eager_2"]
    finally:
        app.conf.task_always_eager = False
    assert not StripeEvent.objects.filter(processed_at__isnull=True).exists()


def test_a_drain_relays_once_then_takes_the_rest_itself(recorded, published):
    store(3)

    assert event_drain.drain_events(relays=5) == 3

    # Queued at once, while this drain works; it may start 4 more.
    assert published == [(None, 4)]
    assert recorded == ["evt_drain_000", "evt_drain_001", "evt_drain_002"]


def test_a_drain_that_finds_nothing_queues_nothing(recorded, published):
    assert event_drain.drain_events(relays=5) == 0
    assert published == []


def test_the_last_drain_of_a_chain_relays_no_more(recorded, published):
    store(2)

    assert event_drain.drain_events(relays=0) == 2
    assert published == []


def test_a_claimed_event_is_not_claimed_again_until_its_lease_expires(recorded):
    (pk,) = store(1)
    claimed_at = timezone.now()
    with time_machine.travel(claimed_at, tick=False):
        # A drain claims it, then its worker is killed.
        assert [row for row, _event in event_drain.claim_events()] == [pk]
        assert event_drain.claim_events() == []
    with time_machine.travel(claimed_at + timedelta(minutes=2), tick=False):
        assert event_drain.drain_events() == 0
        assert event_drain.process_stored_events() == 0
    with time_machine.travel(claimed_at + event_drain.LEASE + timedelta(seconds=1)):
        assert event_drain.process_stored_events() == 1
    assert recorded == ["evt_drain_000"]


def test_the_sweep_catches_an_event_whose_kick_was_lost(client, recorded):
    received = timezone.now()
    with time_machine.travel(received, tick=False):
        # Stored and answered; its kick never reached a worker.
        assert post_only(client, event("test.recorded")).status_code == 200
        assert event_drain.process_stored_events() == 0
    sweep_at = received + event_drain.SWEEP_GRACE + timedelta(seconds=1)
    with time_machine.travel(sweep_at, tick=False):
        assert event_drain.process_stored_events_task.run() == 1
    assert recorded == ["evt_test_1"]


def test_a_failed_event_is_left_alone_until_retry_after(recorded):
    attempts: list[str] = []

    def failing(received) -> None:
        attempts.append(received.id)
        raise RuntimeError("database hiccup")

    webhooks.handlers["test.failing"].append(failing)
    try:
        store(1, "test.failing")
        failed_at = timezone.now()
        with time_machine.travel(failed_at, tick=False):
            # One attempt: the drain does not spin on the failure.
            assert event_drain.drain_events() == 0
            assert event_drain.drain_events() == 0
        assert attempts == ["evt_drain_000"]
        row = StripeEvent.objects.get()
        assert row.processed_at is None and "database hiccup" in row.error
        later = failed_at + webhooks.RETRY_AFTER + timedelta(seconds=1)
        with time_machine.travel(later, tick=False):
            assert event_drain.drain_events() == 0
        assert len(attempts) == 2
    finally:
        webhooks.handlers["test.failing"].remove(failing)


def test_drains_leave_events_older_than_stripe_retries(recorded):
    store(1)
    later = timezone.now() + event_drain.SWEEP_RETRY_FOR + timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        assert event_drain.drain_events() == 0
    assert recorded == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_drains_run_each_event_once(settings):
    """Six drains at once on 60 events, handlers overlapping (as Stripe reads
    do): every event runs exactly once, and the drains share them out."""
    settings.STRIPE_LIVEMODE = False
    runs: list[tuple[str, int]] = []
    lock = threading.Lock()

    def slow(received) -> None:
        time.sleep(0.01)  # a Stripe read: the other drains claim meanwhile
        with lock:
            runs.append((received.id, threading.get_ident()))

    webhooks.handlers["test.slow"].append(slow)
    try:
        store(60, "test.slow")

        def drain(_n: int) -> int:
            try:
                return event_drain.drain_events()
            finally:
                connection.close()

        with ThreadPoolExecutor(max_workers=6) as pool:
            succeeded = list(pool.map(drain, range(6)))
    finally:
        webhooks.handlers["test.slow"].remove(slow)

    ids = [event_id for event_id, _thread in runs]
    assert sorted(ids) == [f"evt_drain_{i:03d}" for i in range(60)]
    assert sum(succeeded) == 60
    assert len({thread for _id, thread in runs}) > 1
    assert not StripeEvent.objects.filter(processed_at__isnull=True).exists()
