"""Webhook handlers for Connect events about linked Stripe accounts.

Imported from PaymentsConfig.ready() so that @handles registers them. Like
every handler (see payments.webhooks.process_event), they run outside any
transaction; the services they call open their own. They only touch the
database, with no call to Stripe, and are idempotent.
"""

from datetime import UTC, datetime

from payments.connect.account_sync import handle_deauthorized, sync_account
from payments.gateway_types import WebhookEvent
from payments.webhooks import handles


def _created(event: WebhookEvent) -> datetime:
    return datetime.fromtimestamp(int(event.created), tz=UTC)


@handles("account.application.deauthorized")
def on_deauthorized(event: WebhookEvent) -> None:
    """Disconnect locally: the account owner unlinked Tessera from Stripe."""
    if event.account:
        handle_deauthorized(stripe_account_id=event.account, at=_created(event))


@handles("account.updated")
def on_account_updated(event: WebhookEvent) -> None:
    """Store charges enabled and details submitted as Stripe now reports them."""
    account = event.object
    stripe_account_id = event.account or account.get("id")
    if not stripe_account_id:
        return
    profile = account.get("business_profile") or {}
    sync_account(
        stripe_account_id=stripe_account_id,
        charges_enabled=bool(account.get("charges_enabled")),
        details_submitted=bool(account.get("details_submitted")),
        business_name=profile.get("name") if isinstance(profile, dict) else None,
        at=_created(event),
    )
