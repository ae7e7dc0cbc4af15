"""Stripe webhook events: stored once, deduplicated, handed to one handler per type.

Apps higher up the ladder register handlers in their AppConfig.ready():

    from payments.webhooks import handles

    @handles("checkout.session.completed")
    def on_completed(event: WebhookEvent) -> None: ...

The endpoint (payments/views/webhooks.py) verifies the signature, stores the
event once (`ingest_event`: StripeEvent, unique by id) and answers 200 at
once; after commit a Celery task (`payments.events.process_event`, routed
to the `stripe-events` queue, which the workers take first) runs the
handlers of the stored event. At least once: a stored event not processed
(the task never ran, or a handler failed) is run again by the beat sweep
`payments.events.process_stored_events` every minute, for as long as Stripe
would have retried it (3 days). A duplicate delivery of a processed event
costs one statement, as a new one does (see store_event).

A handler runs outside any transaction and opens its own after reading what it
needs from Stripe; it must be idempotent (the task and the sweep, or the
events recovery, may meet the same event). An exception leaves the event
unprocessed with its error, except `AccountDisconnected`: a revoked account
answers 403 for ever, so the event is recorded with the error as processed.
"""

import json
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from payments.gateway import AccountDisconnected
from payments.gateway_types import WebhookEvent
from payments.models import StripeEvent

logger = logging.getLogger(__name__)

Handler = Callable[[WebhookEvent], None]
# The sweep leaves an event this long to its task, and retries it this long.
SWEEP_GRACE = timedelta(seconds=30)
SWEEP_RETRY_FOR = timedelta(days=3)
SWEEP_BATCH = 500
handlers: dict[str, list[Handler]] = defaultdict(list)


def handles(*event_types: str) -> Callable[[Handler], Handler]:
    """Register the decorated function for these event types."""

    def register(handler: Handler) -> Handler:
        for event_type in event_types:
            if handler not in handlers[event_type]:
                handlers[event_type].append(handler)
        return handler

    return register


# Statements of store_event, on the model's own table (no input in them).
_TABLE = StripeEvent._meta.db_table
_INSERT = (
    f"INSERT INTO {_TABLE} (event_id, type, stripe_account_id, livemode, "  # noqa: S608
    "payload, received_at, error) VALUES (%s, %s, %s, %s, %s, %s, '') "
    "ON CONFLICT (event_id) DO NOTHING"
)
_KNOWN = f"SELECT id, processed_at FROM {_TABLE} WHERE event_id = %s"  # noqa: S608
# The second SELECT sees the table as it was before the insert: a new event
# comes back from RETURNING, a known one from the table.
_INSERT_OR_KNOWN = (
    f"WITH new AS ({_INSERT} RETURNING id, processed_at) "  # noqa: S608
    f"SELECT id, processed_at FROM new UNION ALL {_KNOWN}"
)


@dataclass(frozen=True)
class Stored:
    """A stored event's row id, and whether its handlers already ran."""

    pk: int
    processed: bool


def store_event(event: WebhookEvent, payload: dict) -> Stored:
    """Store a verified event once (its id is the key); return its row.

    One statement whether the event is new or a duplicate (PostgreSQL): an
    insert that does nothing on a known id, and the known row's state.
    """
    values = [
        event.id,
        event.type,
        event.account or "",
        event.livemode,
        json.dumps(payload),
        connection.ops.adapt_datetimefield_value(timezone.now()),
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_INSERT_OR_KNOWN, [*values, event.id])
            row = cursor.fetchone()
        else:
            # SQLite (the embedded default) takes no INSERT in a WITH.
            cursor.execute(_KNOWN, [event.id])
            row = cursor.fetchone()
            if row is None:
                cursor.execute(f"{_INSERT} RETURNING id, processed_at", values)
                row = cursor.fetchone()
        if row is None:
            # The same event inserted concurrently, committed after this
            # statement began: it is there now.
            cursor.execute(_KNOWN, [event.id])
            row = cursor.fetchone()
    return Stored(pk=row[0], processed=row[1] is not None)


def ingest_event(event: WebhookEvent, payload: dict) -> int:
    """Store a verified event and queue its processing; return the status (200).

    Nothing here calls Stripe: the handlers run in a worker after commit.
    """
    stored = store_event(event, payload)
    if not stored.processed:
        pk = stored.pk
        transaction.on_commit(lambda: _queue(pk), robust=True)
    return 200


def _queue(pk: int) -> None:
    try:
        process_event_task.apply_async((pk,), retry=False)
    except Exception:  # noqa: BLE001 - a broker outage: the sweep processes it
        logger.warning("Could not queue Stripe event %s; the sweep will.", pk)


def process_event(event: WebhookEvent, payload: dict) -> int:
    """Store and process one verified event now; return 200, or 500 on failure.

    The events recovery (event_recovery.py) uses it; the endpoint queues.
    """
    stored = store_event(event, payload)
    if stored.processed:
        return 200
    return _run_handlers(stored.pk, event)


def process_stored(pk: int) -> int:
    """Process a stored event if not done yet; return 200, or 500 on failure."""
    payload = (
        StripeEvent.objects.filter(pk=pk, processed_at__isnull=True)
        .values_list("payload", flat=True)
        .first()
    )
    if payload is None:
        return 200
    return _run_handlers(pk, WebhookEvent.from_payload(payload))


def process_stored_events(*, now: datetime | None = None) -> int:
    """Process stored events still unprocessed; return how many succeeded.

    Events younger than SWEEP_GRACE are left to their task; events older than
    SWEEP_RETRY_FOR (as long as Stripe retries a webhook) to an operator.
    """
    now = now or timezone.now()
    due = (
        StripeEvent.objects.filter(
            processed_at__isnull=True,
            received_at__lte=now - SWEEP_GRACE,
            received_at__gte=now - SWEEP_RETRY_FOR,
        )
        .order_by("received_at", "pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    return sum(process_stored(pk) == 200 for pk in list(due))


def _run_handlers(pk: int, event: WebhookEvent) -> int:
    if event.livemode != settings.STRIPE_LIVEMODE:
        # A live Connect endpoint also receives connected accounts' test-mode
        # events; a test deauthorization must not unlink the live connection.
        StripeEvent.objects.filter(pk=pk).update(
            processed_at=timezone.now(), error="ignored: other mode"
        )
        return 200
    try:
        # No transaction around the handlers: a handler re-reads Stripe before
        # it takes its own locks, so no network call runs while a row is locked.
        # Handlers are idempotent, so a retry after a failure is safe.
        for handler in handlers.get(event.type, []):
            handler(event)
    except AccountDisconnected as error:
        # The account revoked the platform: every retry would meet the same
        # 403 for days. Handlers close what they can; the rest is recorded.
        logger.warning("Stripe event %s (%s): %s", event.id, event.type, error)
        StripeEvent.objects.filter(pk=pk).update(
            processed_at=timezone.now(), error=f"account disconnected: {error}"[:2000]
        )
        return 200
    except Exception as error:
        logger.exception("Stripe event %s (%s) failed", event.id, event.type)
        StripeEvent.objects.filter(pk=pk).update(
            error=f"{error.__class__.__name__}: {error}"[:2000]
        )
        return 500
    StripeEvent.objects.filter(pk=pk).update(processed_at=timezone.now(), error="")
    return 200


@shared_task(name="payments.events.process_event", ignore_result=True)
def process_event_task(pk: int) -> int:
    """Run the handlers of one stored Stripe event (queued by the endpoint)."""
    return process_stored(pk)


@shared_task(name="payments.events.process_stored_events", ignore_result=True)
def process_stored_events_task() -> int:
    """Process stored Stripe events left unprocessed (every minute)."""
    return process_stored_events()
