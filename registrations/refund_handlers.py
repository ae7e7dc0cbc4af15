"""Webhook handlers for refunds and disputes (registered by importing this module).

Events are routed by `event.account`: a refund or dispute on a payment of
another connected account, or on no payment of ours, is logged and ignored.
"""

import logging

from django.db import transaction

from payments.gateway import WebhookEvent
from payments.webhooks import handles
from registrations import refunds

logger = logging.getLogger(__name__)


@handles("refund.created", "refund.updated", "refund.failed")
def on_refund(event: WebhookEvent) -> None:
    """Follow one refund's status, ours or one made in the Stripe dashboard."""
    with transaction.atomic():
        refunds.sync_refund(account=event.account, stripe_refund=event.object)


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
            refunds.sync_refund(account=event.account, stripe_refund=stripe_refund)
    if (charge.get("refunds") or {}).get("has_more"):
        # The remaining refunds arrive with their own refund.* events.
        logger.info("Charge %s lists more than one page of refunds", charge.get("id"))


@handles("charge.dispute.created", "charge.dispute.updated")
def on_dispute_opened(event: WebhookEvent) -> None:
    """Flag the registrant's payment and tell the organizer."""
    with transaction.atomic():
        refunds.record_dispute(
            account=event.account, dispute=event.object, closed=False
        )


@handles("charge.dispute.closed")
def on_dispute_closed(event: WebhookEvent) -> None:
    """Record how a dispute ended (won or lost)."""
    with transaction.atomic():
        refunds.record_dispute(account=event.account, dispute=event.object, closed=True)


def register() -> None:
    """Plug refunds into the console, the dashboard, seed_demo and Celery."""
    from registrations import (
        tasks_refunds,  # noqa: F401 - registers the tasks
        views_refunds,
    )
    from webinars import hooks as webinar_hooks

    webinar_hooks.webinar_panels.register(views_refunds.refunds_panel)
    webinar_hooks.dashboard_warning_providers.register(refunds.refund_warnings)
    webinar_hooks.seed_demo_extensions.register(refunds.seed_demo_policy)
