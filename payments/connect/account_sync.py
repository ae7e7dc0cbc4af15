"""Keeping connections as Stripe reports them: account updates and deauthorizations."""

import logging
from datetime import datetime

from celery import shared_task
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from payments import gateway
from payments.connect.connections import Target, open_paid_webinars
from payments.connect.disconnect import record_disconnection
from payments.connect.notices import send_charges_disabled_emails
from payments.errors import ConnectError
from payments.gateway_types import AccountInfo
from payments.models import StripeConnection, StripeDisconnection

logger = logging.getLogger(__name__)


def unavailable_message() -> str:
    """Return the message for a Stripe outage while connecting or refreshing."""
    return _(
        "Stripe is unavailable right now. Nothing was changed; please try again in "
        "a few minutes."
    )


def store_new_connection(
    *, target: Target, info: AccountInfo, livemode: bool, user: AbstractBaseUser
) -> StripeConnection:
    """Store the link to a Stripe account as the target's live connection."""
    try:
        with transaction.atomic():
            return StripeConnection.objects.create(
                account=target.account,
                organizer=target.organizer,
                stripe_account_id=info.id,
                livemode=livemode,
                charges_enabled=info.charges_enabled,
                details_submitted=info.details_submitted,
                business_name=(info.business_name or "")[:200],
                connected_by=user,
                synced_at=timezone.now(),
            )
    except IntegrityError as failure:
        # Two requests for the same target at once: the other one won.
        raise ConnectError(
            _(
                "Another Stripe account was connected at the same time. Nothing was "
                "changed; reload the page."
            )
        ) from failure


def sync_account(
    *,
    stripe_account_id: str,
    charges_enabled: bool,
    details_submitted: bool,
    business_name: str | None = None,
    at: datetime | None = None,
) -> list[StripeConnection]:
    """Store what Stripe says of an account; tell organizers if charges stopped.

    `at` is when Stripe said it (an event's `created`); an older statement than
    the stored one is ignored, since events arrive in any order.
    """
    updated = []
    with transaction.atomic():
        connections = StripeConnection.objects.select_for_update().filter(
            stripe_account_id=stripe_account_id, disconnected_at__isnull=True
        )
        for connection in connections:
            # Events carry whole seconds: one from the second of the last sync
            # may be newer than it, so only a strictly earlier second is stale.
            synced = connection.synced_at
            if at is not None and synced and at < synced.replace(microsecond=0):
                continue
            was_enabled = connection.charges_enabled
            connection.charges_enabled = charges_enabled
            connection.details_submitted = details_submitted
            if business_name:
                connection.business_name = business_name[:200]
            connection.synced_at = at or timezone.now()
            connection.save(
                update_fields=[
                    "charges_enabled",
                    "details_submitted",
                    "business_name",
                    "synced_at",
                ]
            )
            updated.append(connection)
            if was_enabled and not charges_enabled:
                webinar_ids = list(
                    open_paid_webinars(connection).values_list("pk", flat=True)
                )
                if webinar_ids:
                    transaction.on_commit(
                        lambda ids=webinar_ids, pk=connection.pk: (
                            send_charges_disabled_emails(
                                connection_id=pk, webinar_ids=ids
                            )
                        ),
                        robust=True,
                    )
    return updated


def store_account_info(
    connection: StripeConnection, *, info: AccountInfo
) -> StripeConnection:
    """Store a freshly retrieved account state; return the connection updated."""
    result = sync_account(
        stripe_account_id=connection.stripe_account_id,
        charges_enabled=info.charges_enabled,
        details_submitted=info.details_submitted,
        business_name=info.business_name,
    )
    return next((c for c in result if c.pk == connection.pk), connection)


def refresh_connection(*, connection: StripeConnection) -> StripeConnection:
    """Ask Stripe for the account's state now and store it."""
    if not connection.is_active:
        raise ConnectError(_("This Stripe account is disconnected."))
    try:
        info = gateway.retrieve_account(account=connection.stripe_account_id)
    except gateway.AccountDisconnected as failure:
        raise ConnectError(
            _(
                "Stripe says this account is no longer connected to Tessera. "
                "Disconnect it here and connect again."
            )
        ) from failure
    except gateway.GatewayError as failure:
        raise ConnectError(unavailable_message()) from failure
    return store_account_info(connection, info=info)


def sync_connections() -> int:
    """Refresh every active connection's flags from Stripe; return how many.

    Webhooks can be lost and `account.updated` is not sent for every change,
    so the flags that open and close sales are read back on a schedule.
    """
    synced = 0
    ids = StripeConnection.objects.filter(disconnected_at__isnull=True).values_list(
        "stripe_account_id", flat=True
    )
    for stripe_account_id in sorted(set(ids)):
        try:
            info = gateway.retrieve_account(account=stripe_account_id)
        except gateway.StripeUnavailable:
            logger.warning("Stripe unavailable; connection sync stopped")
            break
        except gateway.GatewayError as failure:
            # A revoked account is closed by account.application.deauthorized.
            logger.warning(
                "Stripe account %s not synced: %s", stripe_account_id, failure
            )
            continue
        synced += len(
            sync_account(
                stripe_account_id=info.id,
                charges_enabled=info.charges_enabled,
                details_submitted=info.details_submitted,
                business_name=info.business_name,
            )
        )
    return synced


@shared_task(name="payments.connect.sync_connections", ignore_result=True)
def sync_connections_task() -> int:
    """Refresh the connections' charges and details flags (every 10 minutes)."""
    return sync_connections()


def handle_deauthorized(
    *, stripe_account_id: str, at: datetime | None = None
) -> list[StripeDisconnection]:
    """Apply a disconnection made from Stripe's side (no call to Stripe)."""
    records = []
    connections = StripeConnection.objects.filter(
        stripe_account_id=stripe_account_id, disconnected_at__isnull=True
    )
    for connection in connections:
        # A late event about an earlier link must not end a newer connection.
        if at is not None and connection.connected_at.replace(microsecond=0) > at:
            continue
        with transaction.atomic():
            record = record_disconnection(
                connection=connection,
                user=None,
                source=StripeDisconnection.Source.STRIPE,
            )
        if record is not None:
            records.append(record)
    return records
