"""Stripe webhook events: stored once, deduplicated, handed to one handler per type.

Apps higher up the ladder register handlers in their AppConfig.ready():

    from payments.webhooks import handles

    @handles("checkout.session.completed")
    def on_completed(event: WebhookEvent) -> None: ...

A handler runs outside any transaction and opens its own after reading what it
needs from Stripe; it must be idempotent. An exception leaves the event
unprocessed and the endpoint answers 500: Stripe retries, except
`AccountDisconnected`: a revoked account answers 403 for ever, so the event is
recorded with the error and answered 200.
"""

import logging
from collections import defaultdict
from collections.abc import Callable

from django.conf import settings
from django.utils import timezone

from payments.gateway import AccountDisconnected
from payments.gateway_types import WebhookEvent
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
    stored, _ = StripeEvent.objects.get_or_create(
        event_id=event.id,
        defaults={
            "type": event.type,
            "stripe_account_id": event.account or "",
            "livemode": event.livemode,
            "payload": payload,
        },
    )
    if stored.processed_at is not None:
        return 200
    if event.livemode != settings.STRIPE_LIVEMODE:
        # A live Connect endpoint also receives connected accounts' test-mode
        # events; a test deauthorization must not unlink the live connection.
        StripeEvent.objects.filter(pk=stored.pk).update(
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
        StripeEvent.objects.filter(pk=stored.pk).update(
            processed_at=timezone.now(), error=f"account disconnected: {error}"[:2000]
        )
        return 200
    except Exception as error:
        logger.exception("Stripe event %s (%s) failed", event.id, event.type)
        StripeEvent.objects.filter(pk=stored.pk).update(
            error=f"{error.__class__.__name__}: {error}"[:2000]
        )
        return 500
    StripeEvent.objects.filter(pk=stored.pk).update(
        processed_at=timezone.now(), error=""
    )
    return 200
