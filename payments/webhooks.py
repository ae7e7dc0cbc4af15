"""Stripe webhook events: stored once, deduplicated, handed to one handler per type.

Apps higher up the ladder register handlers in their AppConfig.ready():

    from payments.webhooks import handles

    @handles("checkout.session.completed")
    def on_completed(event: WebhookEvent) -> None: ...

The endpoint (payments/views/webhooks.py) verifies the signature, stores the
event once (`store_event`: StripeEvent, unique by id) and answers 200 at
once; workers then claim the stored events and run their handlers
(payments/event_drain.py: one drain per burst, and the beat sweep for what
no drain took). A duplicate delivery of a processed event costs one
statement, as a new one does (see store_event).

The 200 does not wait for the disk: the event's row is committed without
waiting for its write-ahead log to be flushed (`synchronous_commit = off`,
for that transaction only). On the machine measured, a flush took 0.5 ms at
the median and over 100 ms several times a minute, and every acknowledgement
in flight waited for such a flush. A crash of the database can lose the last
fraction of a second of stored events (the handlers' own transactions wait
for the disk as before), which Stripe, having had its 200, does not send
again. The events recovery (payments/event_recovery.py) lists them from
Stripe within a minute: its cursor moves past an event only in a transaction
that waits for the disk, and the log is flushed in order, so a cursor on disk
never passes an event that is not. The Checkout reconciliation stays the
backstop. The exception is an event the recovery cannot list
(`_LISTED_BY_NO_ONE`): once an account has revoked Tessera, Stripe refuses
to list its events, so its deauthorization is stored as before, waiting for
the disk.
"""

import json
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import connection
from django.utils import timezone

from organizers import plain_sql
from payments.gateway import AccountDisconnected
from payments.gateway_types import WebhookEvent
from payments.models import StripeEvent

logger = logging.getLogger(__name__)

Handler = Callable[[WebhookEvent], None]
# A failed event is left alone this long (no drain spins on it); then the
# sweep retries it.
RETRY_AFTER = timedelta(seconds=30)
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


# The stored event's transaction does not wait for the disk (see above),
# but for the events the recovery cannot list again.
_NO_DISK_WAIT = "synchronous_commit = off"
_LISTED_BY_NO_ONE = frozenset({"account.application.deauthorized"})


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
            statement = (_INSERT_OR_KNOWN, [*values, event.id])
            if (
                connection.in_atomic_block
                or not connection.get_autocommit()
                or event.type in _LISTED_BY_NO_ONE
            ):
                # Within a caller's transaction, its commit decides; alone,
                # the statement's commit waits for the disk.
                plain_sql.execute(cursor, *statement)
            else:
                plain_sql.run_committed(
                    cursor, statement, local=[_NO_DISK_WAIT], rows_of=0
                )
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


def process_event(event: WebhookEvent, payload: dict) -> int:
    """Store and process one verified event now; return 200, or 500 on failure.

    The events recovery (event_recovery.py) uses it; the endpoint stores and
    leaves the processing to a drain (event_drain.py).
    """
    stored = store_event(event, payload)
    if stored.processed:
        return 200
    return run_handlers(stored.pk, event)


def process_stored(pk: int) -> int:
    """Process a stored event if not done yet; return 200, or 500 on failure."""
    payload = (
        StripeEvent.objects.filter(pk=pk, processed_at__isnull=True)
        .values_list("payload", flat=True)
        .first()
    )
    if payload is None:
        return 200
    return run_handlers(pk, WebhookEvent.from_payload(payload))


def run_handlers(pk: int, event: WebhookEvent) -> int:
    """Run the handlers of the stored event `pk`; record the outcome.

    Return 200 when the event is done with, 500 when it failed (kept
    unprocessed with its error, and not claimed again for RETRY_AFTER).
    """
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
            error=f"{error.__class__.__name__}: {error}"[:2000],
            leased_until=timezone.now() + RETRY_AFTER,
        )
        return 500
    StripeEvent.objects.filter(pk=pk).update(processed_at=timezone.now(), error="")
    return 200


@shared_task(name="payments.events.process_event", ignore_result=True)
def process_event_task(pk: int) -> int:
    """Run the handlers of one stored Stripe event.

    The endpoint queued one per event before the drains (event_drain.py);
    kept so that messages still queued at an upgrade run.
    """
    return process_stored(pk)
