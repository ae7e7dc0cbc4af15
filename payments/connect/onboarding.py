"""Creating a Stripe account for an organizer and onboarding it through Account Links.

Stripe's recommended way for an organizer without a Stripe account: the
platform creates a Standard account, sends the organizer to Stripe's hosted
onboarding, and sells only once Stripe reports `details_submitted` and
`charges_enabled` (the return URL, `account.updated` and the scheduled sync
store them). Linking an account the organizer already has stays in oauth.py.
"""

import uuid

from django.conf import settings
from django.utils.translation import gettext as _

from organizers.models import Organizer
from payments import gateway
from payments.connect.account_sync import store_new_connection, unavailable_message
from payments.connect.connections import connection_target
from payments.errors import ConnectError
from payments.models import Installation, StripeConnection


def create_stripe_account(*, organizer: Organizer) -> StripeConnection:
    """Create a Stripe account for the organizer's scope and store its connection.

    An unfinished account (onboarding not submitted) is kept and returned, so
    starting again resumes it; a finished one must be disconnected first.
    """
    target = connection_target(organizer)
    if target is None:
        raise ConnectError(_("Only an account admin can connect Stripe."))
    current = target.current()
    if current is not None:
        if not current.details_submitted:
            return current
        raise ConnectError(
            _(
                "A Stripe account is already connected. Disconnect it before "
                "creating a new one."
            )
        )
    # A fresh key per attempt; the SDK reuses it on its own network retries.
    key = Installation.idempotency_key(f"account-create-{uuid.uuid4().hex}")
    try:
        info = gateway.create_account(
            email=organizer.user.email or None, country=None, idempotency_key=key
        )
    except gateway.GatewayError as failure:
        raise ConnectError(unavailable_message()) from failure
    return store_new_connection(
        target=target,
        info=info,
        livemode=settings.STRIPE_LIVEMODE,
        user=organizer.user,
    )


def onboarding_link(
    *, connection: StripeConnection, refresh_url: str, return_url: str
) -> str:
    """Return a fresh single-use URL to Stripe's onboarding for the connection."""
    if not connection.is_active:
        raise ConnectError(_("This Stripe account is disconnected."))
    try:
        link = gateway.create_account_link(
            account=connection.stripe_account_id,
            refresh_url=refresh_url,
            return_url=return_url,
        )
    except gateway.GatewayError as failure:
        raise ConnectError(unavailable_message()) from failure
    return link.url


def onboarding_message(connection: StripeConnection) -> str:
    """Say where onboarding stands after the organizer came back from Stripe."""
    if connection.is_usable:
        return _("Stripe account %(account)s is ready: paid webinars can sell.") % {
            "account": connection.masked_id
        }
    if not connection.details_submitted:
        return _(
            "Stripe onboarding is not finished: paid webinars cannot sell until "
            "you complete it."
        )
    return _(
        "Stripe is still reviewing this account: paid webinars can sell once "
        "Stripe enables charges."
    )
