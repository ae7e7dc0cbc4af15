"""Ending a connection: stop its checkouts, unlink it, make its webinars free."""

import logging

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from payments import gateway
from payments.connect.connections import open_paid_webinars
from payments.errors import ConnectError
from payments.models import (
    Payment,
    Price,
    PriceChange,
    StripeConnection,
    StripeDisconnection,
)

logger = logging.getLogger(__name__)


def disconnect_stripe(
    *, connection: StripeConnection, user: AbstractBaseUser | None
) -> StripeDisconnection:
    """Stop open checkouts, unlink at Stripe, then make its paid webinars free.

    Stripe goes first: if it fails, nothing changes here and the call can be
    repeated (expiring a session twice is harmless).
    """
    if not connection.is_active:
        raise ConnectError(_("This Stripe account is already disconnected."))
    expired = unlink_at_stripe(connection)
    with transaction.atomic():
        record = record_disconnection(
            connection=connection,
            user=user,
            source=StripeDisconnection.Source.CONSOLE,
            expired_sessions=expired,
        )
    if record is None:
        # The deauthorization webhook got there first and recorded it.
        record = StripeDisconnection.objects.filter(connection=connection).first()
        assert record is not None  # noqa: S101 - a disconnected row has a record
    return record


def unlink_at_stripe(connection: StripeConnection) -> int:
    """Expire the connection's open Checkout Sessions and deauthorize it."""
    payments = Payment.objects.filter(
        account=connection.account,
        stripe_account_id=connection.stripe_account_id,
        status__in=[Payment.Status.OPEN, Payment.Status.CREATED],
        checkout_session_id__isnull=False,
    ).exclude(checkout_session_id="")
    expired = 0
    try:
        for payment in payments.iterator():
            try:
                gateway.expire_checkout_session(
                    account=connection.stripe_account_id,
                    session_id=payment.checkout_session_id,
                )
                expired += 1
            except gateway.InvalidRequest:
                # Already expired or completed at Stripe: nothing left to stop.
                continue
        gateway.oauth_deauthorize(account=connection.stripe_account_id)
    except gateway.AccountDisconnected:
        # Unlinked from Stripe's dashboard already: nothing left to do there.
        logger.info("Stripe account %s already unlinked", connection.stripe_account_id)
    except gateway.GatewayError as failure:
        raise ConnectError(
            _(
                "Stripe is unavailable right now, so the account is still connected "
                "and nothing was changed. Please try again in a few minutes."
            )
        ) from failure
    return expired


def record_disconnection(
    *,
    connection: StripeConnection,
    user: AbstractBaseUser | None,
    source: str,
    expired_sessions: int = 0,
) -> StripeDisconnection | None:
    """Mark the connection ended and make its open paid webinars free.

    Run inside transaction.atomic(). Return None when the connection had
    already ended (a concurrent webhook).
    """
    locked = (
        StripeConnection.objects.select_for_update()
        .select_related("account")
        .get(pk=connection.pk)
    )
    if locked.disconnected_at is not None:
        return None
    webinars = list(open_paid_webinars(locked))
    now = timezone.now()
    locked.disconnected_at = now
    locked.disconnected_by = user
    locked.save(update_fields=["disconnected_at", "disconnected_by"])
    connection.disconnected_at = now
    connection.disconnected_by = user
    prices = Price.objects.filter(webinar__in=webinars, enabled=True)
    PriceChange.objects.bulk_create(
        PriceChange(
            price=price,
            changed_by=user,
            kind=PriceChange.Kind.STRIPE_DISCONNECTED,
            params={"account": locked.masked_id},
        )
        for price in prices
    )
    # The amounts stay: reconnecting and turning payments on restores them.
    prices.update(enabled=False, updated_at=now)
    record = StripeDisconnection.objects.create(
        connection=locked,
        account=locked.account,
        stripe_account_id=locked.stripe_account_id,
        source=source,
        disconnected_by=user,
        webinar_titles=[webinar.title for webinar in webinars],
        expired_sessions=expired_sessions,
    )
    record.webinars.set(webinars)
    return record
