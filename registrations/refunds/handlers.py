"""Webhook handlers for refunds and disputes (registered by importing this module).

Events are routed by `event.account`: a refund or dispute on a payment of
another connected account, or on no payment of ours, is logged and ignored.
"""

import logging

from django.db import transaction

from payments.gateway import WebhookEvent
from payments.webhooks import handles
from registrations.refunds.disputes import record_dispute
from registrations.refunds.stripe_sync import sync_refund

logger = logging.getLogger(__name__)


@handles("refund.created", "refund.updated", "refund.failed")
def on_refund(event: WebhookEvent) -> None:
    """Follow one refund's status, ours or one made in the Stripe dashboard."""
    with transaction.atomic():
        sync_refund(account=event.account, stripe_refund=event.object)


@handles("charge.refunded")
def on_charge_refunded(event: WebhookEvent) -> None:
    """Record every refund listed on the charge (dashboard refunds included)."""
    charge = event.object
    listed = (charge.get("refunds") or {}).get("data") or []
    for stripe_refund in listed:
        # The charge's list omits these when Stripe sends the refund ids only.
        stripe_refund.setdefault("charge", charge.get("id"))
        stripe_refund.setdefault("payment_intent", charge.get("payment_intent"))
        with transaction.atomic():
            sync_refund(account=event.account, stripe_refund=stripe_refund)
    if (charge.get("refunds") or {}).get("has_more"):
        # The remaining refunds arrive with their own refund.* events.
        logger.info("Charge %s lists more than one page of refunds", charge.get("id"))


@handles("charge.dispute.created", "charge.dispute.updated")
def on_dispute_opened(event: WebhookEvent) -> None:
    """Flag the registrant's payment and tell the organizer."""
    with transaction.atomic():
        record_dispute(account=event.account, dispute=event.object, closed=False)


@handles("charge.dispute.closed")
def on_dispute_closed(event: WebhookEvent) -> None:
    """Record how a dispute ended (won or lost)."""
    with transaction.atomic():
        record_dispute(account=event.account, dispute=event.object, closed=True)
