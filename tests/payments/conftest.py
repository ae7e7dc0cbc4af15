"""Fixtures shared by the payments tests."""

import pytest


@pytest.fixture
def connect_events(stripe_sandbox, webhook_receiver):
    """Receive the sandbox's Connect events as Stripe would send them."""
    stripe_sandbox.register_webhook(
        webhook_receiver.url, "whsec_sandbox_connect", connect=True
    )

    def received(event_type: str) -> list:
        stripe_sandbox.drain_webhooks()
        return [
            delivery
            for delivery in webhook_receiver.deliveries
            if delivery.json()["type"] == event_type
        ]

    return received
