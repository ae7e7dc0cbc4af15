"""Stored Stripe events run by drains: one publish per burst, not one per event.

The endpoint stores an event (`ingest_event`, one statement) and, after
commit, kicks a drain. Kicks are counted per DRAIN_WINDOW slot of the clock:
the first kick of a slot queues one drain to start just after the slot ends;
the other kicks of the slot cost no publish, and no cache round trip either
once their process knows the slot is kicked.
That drain finds every event of its slot stored, since each kick runs after
its event's commit and before the slot ends.

A drain (`payments.events.drain`, on the `stripe-events` queue) claims the
oldest unprocessed event under a lease (one UPDATE whose SELECT skips locked
rows: concurrent drains take different events, never the same one), runs
its handlers (payments.webhooks.run_handlers) and claims the next, until
nothing is left. One at a time: a drain holds no event it is not running, so
no event waits behind another's Stripe read while a thread is free. A drain
whose first claim finds an event first queues another drain (up to
DRAIN_RELAYS in a row from one kick): a burst spreads over the events
worker's threads and their waits on Stripe overlap, while during a steady
flow the drains already running take the new events with no publish at all.

At least once: an event no drain took (its kick lost with the broker down, its
drain's worker killed: the lease expires after LEASE) is claimed by the beat
sweep `payments.events.process_stored_events` once older than SWEEP_GRACE,
every minute, for as long as Stripe would have retried it (3 days). While
the cache is down each web process queues one drain per slot; in eager mode
(CELERY_TASK_ALWAYS_EAGER) every kick runs a drain at once.
"""

import json
import logging
import time
from datetime import datetime, timedelta

from celery import shared_task
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from payments.gateway_types import WebhookEvent
from payments.models import StripeEvent
from payments.webhooks import run_handlers, store_event

logger = logging.getLogger(__name__)

# One drain per slot of this many seconds, started this long after the slot
# ends (clocks of web hosts and workers may differ by a little): the window
# adds at most DRAIN_WINDOW + DRAIN_DELAY to a confirmation.
DRAIN_WINDOW = 0.2
DRAIN_DELAY = 0.05
KICK_KEY = "tessera:events:drain"
KICK_KEY_SECONDS = 5
# Drains one kick may start in a row (each relaying to the next): about the
# threads of the `events` worker and the processes of the main one (Procfile).
DRAIN_RELAYS = 20
# Longer than CELERY_TASK_TIME_LIMIT (300 s): a drain still alive has finished
# (or was killed) before anyone else may claim its events.
LEASE = timedelta(minutes=6)
# A drain stops claiming after this long (well within the task's time limit)
# and queues another.
DRAIN_BUDGET_SECONDS = 60.0
# The sweep leaves an event this long to its drain, and retries it this long.
SWEEP_GRACE = timedelta(seconds=30)
SWEEP_RETRY_FOR = timedelta(days=3)
SWEEP_BATCH = 500

_TABLE = StripeEvent._meta.db_table
# The oldest unprocessed events whose lease is free, leased in one statement;
# on PostgreSQL rows another drain is leasing are skipped, not waited for
# (SQLite runs one write at a time). No input in the statement.
_CLAIM = (
    f"UPDATE {_TABLE} SET leased_until = %s WHERE id IN ("  # noqa: S608
    f"SELECT id FROM {_TABLE} WHERE processed_at IS NULL "
    "AND received_at >= %s{received_before} "
    "AND (leased_until IS NULL OR leased_until < %s) "
    "ORDER BY received_at, id LIMIT %s{skip_locked}) RETURNING id, payload"
)


def ingest_event(event: WebhookEvent, payload: dict) -> int:
    """Store a verified event and kick a drain after commit; return 200.

    Nothing here calls Stripe: the handlers run in a worker.
    """
    if not store_event(event, payload).processed:
        transaction.on_commit(kick_drain, robust=True)
    return 200


def kick_drain() -> bool:
    """Ask for a drain soon; the sweep catches up if it never comes.

    Return whether this kick queued a drain (the first of its slot does).
    """
    global _kicked_slot  # noqa: PLW0603 - this process's memory of its last kick
    if drain_events_task.app.conf.task_always_eager:
        return _queue_drain()
    now = time.time()
    slot = int(now // DRAIN_WINDOW)
    if slot == _kicked_slot:
        # This process already knows the slot's drain is queued: no round trip.
        return False
    first = _first_kick_of(f"{KICK_KEY}:{slot}")
    _kicked_slot = slot
    if not first:
        return False
    return _queue_drain((slot + 1) * DRAIN_WINDOW + DRAIN_DELAY - now)


# The last slot this process kicked or saw kicked. Threads racing on it cost at
# most one more round trip to the cache.
_kicked_slot: int | None = None


def forget_kicks() -> None:
    """Forget this process's last kick (tests start each from a clean slate)."""
    global _kicked_slot  # noqa: PLW0603
    _kicked_slot = None


def _first_kick_of(key: str) -> bool:
    """Whether this is the first kick of its slot, for all processes.

    When the cache cannot tell (Redis down: config/cache.py fails open and
    counts 0), every process kicks once per slot: drains are never lost to
    an outage, only shared less.
    """
    try:
        hit = getattr(cache, "hit", None)
        if hit is None:
            # Not Redis (the embedded default's file cache): no outage to tell.
            return cache.add(key, 1, timeout=KICK_KEY_SECONDS)
        return hit(key, timeout=KICK_KEY_SECONDS) <= 1
    except Exception:  # noqa: BLE001 - a cache failure must not lose the kick
        logger.warning("Cache unavailable for the events drain kick.")
        return True


def _queue_drain(countdown: float | None = None, relays: int = DRAIN_RELAYS) -> bool:
    try:
        drain_events_task.apply_async(
            kwargs={"relays": relays}, countdown=countdown, retry=False
        )
    except Exception:  # noqa: BLE001 - a broker outage: the sweep processes them
        logger.warning("Could not queue a Stripe events drain; the sweep will run.")
        return False
    return True


def claim_events(
    *, limit: int = 1, received_before: datetime | None = None
) -> list[tuple[int, WebhookEvent]]:
    """Lease up to `limit` unprocessed events to the caller; return them, oldest first.

    Only events received within SWEEP_RETRY_FOR (and before `received_before`)
    whose lease is free; each is leased for LEASE.
    """
    now = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    params = [adapt(now + LEASE), adapt(now - SWEEP_RETRY_FOR)]
    if received_before is not None:
        params.append(adapt(received_before))
    params += [adapt(now), limit]
    skip_locked = connection.features.has_select_for_update_skip_locked
    sql = _CLAIM.format(
        received_before="" if received_before is None else " AND received_at <= %s",
        skip_locked=" FOR UPDATE SKIP LOCKED" if skip_locked else "",
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = sorted(cursor.fetchall())
    return [(pk, WebhookEvent.from_payload(_loaded(payload))) for pk, payload in rows]


def _loaded(payload: str | dict) -> dict:
    # A raw cursor hands jsonb over as text (Django reads it for JSONField).
    return json.loads(payload) if isinstance(payload, str) else payload


def drain_events(
    *,
    received_before: datetime | None = None,
    limit: int | None = None,
    relays: int = 0,
) -> int:
    """Claim and process stored events one by one until none is left.

    At most `limit` events (all if None), received before `received_before`
    (any if None). With `relays` left, a first claim that finds an event first
    queues another drain, which may relay `relays - 1` more. Return how many
    events succeeded.
    """
    started = time.monotonic()
    taken = succeeded = 0
    while limit is None or taken < limit:
        claimed = claim_events(received_before=received_before)
        if not claimed:
            break
        if relays and not taken:
            # More may be waiting: another thread takes them while this one
            # waits on Stripe.
            _queue_drain(relays=relays - 1)
        taken += 1
        for pk, event in claimed:
            succeeded += run_handlers(pk, event) == 200
        if time.monotonic() - started > DRAIN_BUDGET_SECONDS:
            if limit is None:
                # Within the task's time limit; a fresh drain goes on (the
                # sweep, which has its limit, leaves the rest to its next run).
                _queue_drain(relays=0)
            break
    return succeeded


def process_stored_events(*, now: datetime | None = None) -> int:
    """Process stored events still unprocessed; return how many succeeded.

    Events younger than SWEEP_GRACE are left to their drain; events older than
    SWEEP_RETRY_FOR (as long as Stripe retries a webhook) to an operator; a
    failed event waits RETRY_AFTER (payments.webhooks) between attempts.
    """
    now = now or timezone.now()
    return drain_events(received_before=now - SWEEP_GRACE, limit=SWEEP_BATCH)


@shared_task(name="payments.events.drain", ignore_result=True)
def drain_events_task(relays: int = 0) -> int:
    """Process the stored Stripe events no drain has taken (kicked by the endpoint)."""
    if drain_events_task.app.conf.task_always_eager:
        # The whole backlog runs here, in order: no relays.
        relays = 0
    return drain_events(relays=relays)


@shared_task(name="payments.events.process_stored_events", ignore_result=True)
def process_stored_events_task() -> int:
    """Process stored Stripe events left unprocessed (every minute)."""
    return process_stored_events()
