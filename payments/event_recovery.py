"""Recover lost webhooks: read every account's recent Stripe events each minute.

A webhook can be lost (endpoint down, network, a misconfigured secret). Every
minute this sweep lists the events of the platform and of each connected
account created since the newest one it processed (an `EventCursor` per
account), and hands each to `payments.webhooks.process_event`, the webhook
endpoint's own path. An event already delivered is known by its id and does
nothing; one whose handler fails stays unprocessed, and the cursor waits
before it, so the next run meets it again.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from celery import shared_task
from django.utils import timezone

from payments import gateway, webhooks
from payments.gateway_types import WebhookEvent
from payments.models import EventCursor, StripeConnection, StripeEvent

logger = logging.getLogger(__name__)

# Seconds re-read before the cursor: events of the same second, and events
# Stripe lists a little after their `created`, are not skipped (ids dedup them).
OVERLAP = 60
# How far back an account's first run reads.
FIRST_LOOKBACK = 3600
# A failing event holds its account's cursor back this long at most, as long
# as Stripe itself retries a webhook; later it waits for an operator.
RETRY_FOR = 3 * 24 * 3600
PLATFORM = ""


@dataclass
class _Run:
    """What one account's run found: events newly processed, and the cursor."""

    processed: int = 0
    cursor: WebhookEvent | None = None
    held: bool = False


def recover_events(*, now: datetime | None = None) -> int:
    """Process the platform's and each connected account's unseen events.

    Return how many events were processed by this run (not by a webhook).
    """
    now_ts = int((now or timezone.now()).timestamp())
    # The types the product handles (13 today; Stripe takes at most 20).
    types = sorted(kind for kind, found in webhooks.handlers.items() if found)
    accounts = StripeConnection.objects.filter(disconnected_at__isnull=True)
    account_ids = sorted(set(accounts.values_list("stripe_account_id", flat=True)))
    processed = 0
    for account in [PLATFORM, *account_ids]:
        try:
            processed += recover_account_events(
                account=account, types=types, now_ts=now_ts
            )
        except gateway.AccountDisconnected:
            logger.info("Events of %s not readable: account disconnected", account)
        except gateway.GatewayError as error:
            logger.warning("Events of %s not read: %s", account or "platform", error)
    return processed


def recover_account_events(*, account: str, types: list[str], now_ts: int) -> int:
    """Process one account's events since its cursor, oldest first; return count."""
    cursor = EventCursor.objects.filter(stripe_account_id=account).first()
    since = cursor.last_created - OVERLAP if cursor else now_ts - FIRST_LOOKBACK
    run = _Run()
    for event, payload in _events_since(account=account, since=since, types=types):
        done_before = StripeEvent.objects.filter(
            event_id=event.id, processed_at__isnull=False
        ).exists()
        ok = webhooks.process_event(event, payload) == 200
        run.processed += ok and not done_before
        # Past a failing event the cursor stays put, so it is listed again.
        run.held = run.held or (not ok and event.created > now_ts - RETRY_FOR)
        if not run.held:
            run.cursor = event
    if run.cursor is not None and (
        cursor is None or run.cursor.created > cursor.last_created
    ):
        EventCursor.objects.update_or_create(
            stripe_account_id=account,
            defaults={
                "last_created": run.cursor.created,
                "last_event_id": run.cursor.id,
            },
        )
    return run.processed


def _events_since(
    *, account: str, since: int, types: list[str]
) -> list[tuple[WebhookEvent, dict]]:
    """Return every event created after `since`, oldest first, with its payload."""
    found: list[tuple[WebhookEvent, dict]] = []
    starting_after = None
    while True:
        page = gateway.list_events(
            account=account or None,
            created_after=since,
            types=types,
            starting_after=starting_after,
        )
        found.extend(zip(page.events, page.payloads, strict=True))
        if not page.has_more or not page.events:
            break
        starting_after = page.events[-1].id
    # Stripe lists newest first; handlers see events in the order they happened.
    found.reverse()
    return found


@shared_task(name="payments.events.recover_events", ignore_result=True)
def recover_events_task() -> int:
    """List recent Stripe events and process those no webhook brought (every minute)."""
    return recover_events()
