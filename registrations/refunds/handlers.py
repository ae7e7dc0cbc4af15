"""Webhook handlers for refunds and disputes (registered by importing this module).

Events are routed by `event.account`: a refund or dispute on a payment of
another connected account, or on no payment of ours, is logged and ignored.
"""

import logging

from django.db import transaction

from payments import gateway
from payments.gateway import WebhookEvent
from payments.webhooks import handles
from registrations.refunds.disputes import record_dispute
from registrations.refunds.ledger import find_payment
from registrations.refunds.stripe_sync import as_refund_dict, sync_refund

logger = logging.getLogger(__name__)


@handles("refund.created", "refund.updated", "refund.failed")
def on_refund(event: WebhookEvent) -> None:
    """Follow one refund's status, ours or one made in the Stripe dashboard."""
    with transaction.atomic():
        sync_refund(account=event.account, stripe_refund=event.object)


@handles("charge.refunded")
def on_charge_refunded(event: WebhookEvent) -> None:
    """Record every refund of the charge (dashboard refunds included).

    The event's Charge carries no refund list (Stripe stopped including it in
    API version 2022-11-15), so the refunds are listed from Stripe; a failure
    to reach Stripe answers 500 and Stripe sends the event again.
    """
    charge = event.object
    payment = find_payment(
        account=event.account,
        payment_intent=charge.get("payment_intent"),
        charge=charge["id"],
    )
    if payment is None:
        logger.info("Charge %s is no payment of ours", charge["id"])
        return
    try:
        listed = gateway.list_refunds(account=event.account, charge=charge["id"])
    except gateway.AccountDisconnected:
        # Nothing can be read for an account that left; answering 500 would
        # only make Stripe retry for days.
        logger.warning("Charge %s: its account is disconnected", charge["id"])
        return
    for result in listed:
        with transaction.atomic():
            sync_refund(account=event.account, stripe_refund=as_refund_dict(result))


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
