"""Stripe webhook events: stored once, deduplicated, handed to one handler per type.

Apps higher up the ladder register handlers in their AppConfig.ready():

    from payments.webhooks import handles

    @handles("checkout.session.completed")
    def on_completed(event: WebhookEvent) -> None: ...

A handler runs inside the transaction that marks the event processed, so an
exception rolls both back and the endpoint answers 500: Stripe retries.
"""

import logging
from collections import defaultdict
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from payments.gateway import WebhookEvent
from payments.models import StripeEvent

logger = logging.getLogger(__name__)

Handler = Callable[[WebhookEvent], None]
handlers: dict[str, list[Handler]] = defaultdict(list)


def handles(*event_types: str) -> Callable[[Handler], Handler]:
    """Register the decorated function for these event types."""

    def register(handler: Handler) -> Handler:
        for event_type in event_types:
            if handler not in handlers[event_type]:
                handlers[event_type].append(handler)
        return handler

    return register


def process_event(event: WebhookEvent, payload: dict) -> int:
    """Store and process one verified event; return the HTTP status to answer."""
    StripeEvent.objects.get_or_create(
        event_id=event.id,
        defaults={
            "type": event.type,
            "stripe_account_id": event.account or "",
            "livemode": event.livemode,
            "payload": payload,
        },
    )
    try:
        with transaction.atomic():
            # The row lock makes concurrent duplicate deliveries wait for each other.
            stored = StripeEvent.objects.select_for_update().get(event_id=event.id)
            if stored.processed_at is not None:
                return 200
            for handler in handlers.get(event.type, []):
                handler(event)
            stored.processed_at = timezone.now()
            stored.error = ""
            stored.save(update_fields=["processed_at", "error"])
    except Exception as error:
        logger.exception("Stripe event %s (%s) failed", event.id, event.type)
        StripeEvent.objects.filter(event_id=event.id).update(
            error=f"{error.__class__.__name__}: {error}"[:2000]
        )
        return 500
    return 200
