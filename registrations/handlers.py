"""Webhook handlers for Checkout Sessions (registered by importing this module).

Each handler re-reads the session from Stripe through `fulfil_checkout`, so
duplicates and any order of delivery end in the state Stripe is in. Events are
routed by `event.account`: a session of another account, or unknown here, is
logged and ignored (200).
"""

from payments.gateway import WebhookEvent
from payments.webhooks import handles
from registrations.fulfilment import fulfil_checkout


@handles(
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
)
def on_checkout_session(event: WebhookEvent) -> None:
    """Fulfil, mark processing, or release, as the session now stands."""
    session_id = event.object.get("id")
    if not isinstance(session_id, str) or not session_id:
        return
    fulfil_checkout(
        checkout_session_id=session_id, account=event.account, hint=event.object
    )
