"""Demo data for seed_demo: the sandbox's Stripe connection and a priced webinar.

Registered in PaymentsConfig.ready() on webinars.hooks.seed_demo_extensions
and seed_demo_report. Every step is idempotent: seed_demo may run again.
"""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from organizers.models import Account, Organizer
from payments.codes import create_code
from payments.connect.connections import active_connection, can_sell
from payments.models import Price, StripeConnection
from payments.price_changes import (
    add_tier,
    last_session_end,
    set_payments_enabled,
    set_price,
)
from webinars.models import Webinar

DEMO_WEBINAR = "Project management for beginners"


def connect_demo_account(
    *,
    account: Account,
    admin: Organizer,
    organizer: Organizer | None = None,
    webinars: dict[str, Webinar] | None = None,
) -> None:
    """Link the demo account to the sandbox's fixed Stripe account unless linked.

    The partial unique constraint on active account-wide connections keeps a
    concurrent second one out.
    """
    if (
        not settings.STRIPE_SANDBOX
        or account.stripe_scope != Account.StripeScope.ACCOUNT
    ):
        return
    if active_connection(account=account) is not None:
        return
    try:
        with transaction.atomic():
            StripeConnection.objects.create(
                account=account,
                stripe_account_id=settings.DEMO_STRIPE_ACCOUNT,
                livemode=False,
                charges_enabled=True,
                details_submitted=True,
                business_name="Demo Webinars Ltd",
                connected_by=admin.user,
                synced_at=timezone.now(),
            )
    except IntegrityError:
        # Someone linked one at the same moment: theirs is the connection.
        return


def seed_demo_pricing(
    *,
    account: Account,
    admin: Organizer,
    organizer: Organizer,
    webinars: dict[str, Webinar],
) -> None:
    """Price the demo webinar: USD 100.00, an early bird, codes FREE and EARLY."""
    webinar = webinars.get(DEMO_WEBINAR)
    if webinar is None:
        return
    user = organizer.user
    price = Price.objects.filter(webinar=webinar).first()
    if price is None or not price.amount:
        set_price(webinar=webinar, amount=10000, currency="USD", user=user)
    price = Price.objects.get(webinar=webinar)
    end = last_session_end(webinar)
    early_end = timezone.now().replace(second=0, microsecond=0) + timedelta(days=3)
    if not price.tiers.exists() and (end is None or early_end <= end):
        add_tier(webinar=webinar, amount=8000, ends_at=early_end, user=user)
    for code, amount in (("FREE", 0), ("EARLY", 5000)):
        if not webinar.discount_codes.filter(code__iexact=code).exists():
            create_code(webinar=webinar, code=code, amount=amount, user=user)
    connect_demo_account(account=account, admin=admin)
    if not price.enabled and can_sell(webinar):
        set_payments_enabled(webinar=webinar, enabled=True, user=user)


def report_demo_account(*, account: Account) -> list[str]:
    """Return the line seed_demo prints about the demo's Stripe account."""
    connection = active_connection(account=account)
    if connection is None:
        return ["Stripe account: not connected"]
    return [f"Stripe account: {connection.stripe_account_id}"]
