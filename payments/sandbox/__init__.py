"""An offline stand-in for Stripe, spoken to through the real Stripe SDK.

Only the embedded default's URL configuration and the tests know this package;
product code reaches it through `payments.gateway` like any Stripe.
"""

from .app import SandboxApp
from .objects import DEMO_ACCOUNT, PLATFORM_ACCOUNT
from .server import SandboxServer
from .webhooks import WebhookConfig

__all__ = [
    "DEMO_ACCOUNT",
    "PLATFORM_ACCOUNT",
    "SandboxApp",
    "SandboxServer",
    "WebhookConfig",
]
