"""The payments app's facts for the console dashboard: price state and revenue."""

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.db.models import Sum, prefetch_related_objects
from django.utils import timezone

from organizers.models import Account
from payments.models import Payment, Price, StripeConnection
from payments.money import format_money
from payments.pricing import quote
from webinars.models import Webinar


def selling_states(webinars: list[Webinar]) -> dict[int, str]:
    """Return connections.selling_state of many webinars in two queries."""
    if not webinars:
        return {}
    ids = [w.pk for w in webinars]
    prices = {p.webinar_id: p for p in Price.objects.filter(webinar_id__in=ids)}
    accounts = {w.account_id for w in webinars}
    sellers = set()
    for connection in StripeConnection.objects.filter(
        account_id__in=accounts, disconnected_at__isnull=True
    ).select_related("account"):
        if not connection.is_usable:
            continue
        per_organizer = connection.account.stripe_scope == Account.StripeScope.ORGANIZER
        if per_organizer and connection.organizer_id:
            sellers.add((connection.account_id, connection.organizer_id))
        elif not per_organizer and connection.organizer_id is None:
            sellers.add((connection.account_id, None))
    states = {}
    for webinar in webinars:
        price = prices.get(webinar.pk)
        webinar.dashboard_price = price
        if price is None or not price.enabled:
            states[webinar.pk] = "free"
        elif {(webinar.account_id, None), (webinar.account_id, webinar.owner_id)} & (
            sellers
        ):
            states[webinar.pk] = "paid"
        else:
            states[webinar.pk] = "unavailable"
    return states


def dashboard_facts(webinars: list[Webinar]) -> dict[int, dict[str, Any]]:
    """webinars.dashboard_facts_providers: price, selling state, net revenue.

    Three queries whatever the number of webinars. Revenue is net of refunds,
    one amount per currency (never added across currencies).
    """
    if not webinars:
        return {}
    ids = [w.pk for w in webinars]
    states = selling_states(webinars)
    revenue: dict[int, list[str]] = defaultdict(list)
    rows = (
        Payment.objects.filter(webinar_id__in=ids, paid_at__isnull=False)
        .order_by()
        .values("webinar_id", "currency")
        .annotate(gross=Sum("amount"), refunded=Sum("amount_refunded"))
        .order_by("webinar_id", "currency")
    )
    for row in rows:
        revenue[row["webinar_id"]].append(
            format_money(row["gross"] - row["refunded"], row["currency"])
        )
    facts: dict[int, dict[str, Any]] = {}
    # The running early bird: every selling price's tiers in one query.
    selling = [w.dashboard_price for w in webinars if states[w.pk] == "paid"]
    prefetch_related_objects(selling, "tiers")
    now = timezone.now()
    for webinar in webinars:
        facts[webinar.pk] = {
            "price_state": states[webinar.pk],
            **price_facts(webinar, webinar.dashboard_price, at=now),
            "revenue": revenue.get(webinar.pk, []),
        }
    return facts


def price_facts(webinar: Webinar, price: Price | None, *, at: datetime) -> dict:
    """Return what a registrant pays at `at` and, during an early bird, until when.

    "price": the running price (pricing.quote, the price the registration
    page asks); "price_until": when its early-bird tier ends, else None;
    "regular_price": the price after it ("" when no tier runs).
    """
    if price is None or not price.amount:
        return {"price": "", "price_until": None, "regular_price": ""}
    if not price.enabled:
        return {
            "price": format_money(price.amount, price.currency),
            "price_until": None,
            "regular_price": "",
        }
    now = quote(webinar=webinar, price=price, at=at)
    return {
        "price": format_money(now.amount, now.currency),
        "price_until": now.tier_ends_at,
        "regular_price": format_money(now.regular_amount, now.currency)
        if now.tier_ends_at
        else "",
    }
