"""What organizers change about a webinar's price: amount, payments on/off, tiers.

Every rule lives here, so the console, tests and seed_demo share it. Each
operation runs in one transaction and writes a PriceChange row: the history
of who changed what, and when (discount codes write theirs too, see codes).
"""

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from payments.connect.connections import can_sell
from payments.errors import PaymentsError
from payments.history import moment_param, money_params
from payments.models import (
    CURRENCIES,
    MAXIMUM_AMOUNT,
    MINIMUM_AMOUNTS,
    Price,
    PriceChange,
    PriceTier,
)
from payments.money import format_money
from webinars.models import Webinar
from webinars.templatetags.console_time import zoned_text

# -- rules shared by the price, tier and code services ----------------------------


def check_amount(*, amount: int, currency: str, field: str = "amount") -> None:
    """Refuse an amount Stripe cannot charge in this currency."""
    if currency not in CURRENCIES:
        raise PaymentsError(
            _("Choose one of these currencies: %(list)s.")
            % {"list": ", ".join(CURRENCIES)},
            field="currency",
        )
    minimum = MINIMUM_AMOUNTS[currency]
    if amount < minimum or amount > MAXIMUM_AMOUNT:
        raise PaymentsError(
            _("Enter an amount between %(min)s and %(max)s.")
            % {
                "min": format_money(minimum, currency),
                "max": format_money(MAXIMUM_AMOUNT, currency),
            },
            field=field,
        )


def limits_text(currency: str) -> str:
    """Return the amounts Stripe accepts in `currency`, in the active language."""
    return _("Between %(min)s and %(max)s (Stripe's limits).") % {
        "min": format_money(MINIMUM_AMOUNTS[currency], currency),
        "max": format_money(MAXIMUM_AMOUNT, currency),
    }


def last_session_end(webinar: Webinar) -> datetime | None:
    """Return when the webinar's last (not cancelled) session ends, if any."""
    return webinar.sessions.filter(cancelled_at__isnull=True).aggregate(
        end=Max("ends_at")
    )["end"]


def locked_price(webinar: Webinar) -> Price:
    """Return the webinar's price row locked, creating it (payments off) if absent."""
    Price.objects.get_or_create(webinar=webinar)
    return Price.objects.select_for_update().get(webinar=webinar)


def record_change(
    price: Price,
    user: AbstractBaseUser | None,
    kind: str,
    params: dict[str, Any] | None = None,
) -> None:
    """Write who changed what about the price, for its history.

    `kind` is a `PriceChange.Kind`; `params` its values (see payments.history),
    worded in the reader's language when read.
    """
    PriceChange.objects.create(
        price=price, changed_by=user, kind=kind, params=params or {}
    )


def _when(moment: datetime, webinar: Webinar) -> str:
    return zoned_text(moment, webinar.timezone)


# -- price and payments on/off -----------------------------------------------------


def set_price(
    *,
    webinar: Webinar,
    amount: int,
    currency: str,
    user: AbstractBaseUser | None,
    turn_payments_on: bool = False,
) -> Price:
    """Set the regular price; checkouts started afterwards use it.

    With `turn_payments_on`, payments are turned on in the same transaction,
    by set_payments_enabled and under its rules: both happen, or neither.
    """
    check_amount(amount=amount, currency=currency)
    with transaction.atomic():
        price = locked_price(webinar)
        for tier in price.tiers.all():
            if tier.amount >= amount:
                raise PaymentsError(
                    _(
                        "An early-bird price (%(tier)s) would not be cheaper than "
                        "this price. Remove that tier first."
                    )
                    % {"tier": format_money(tier.amount, currency)},
                    field="amount",
                )
            check_amount(amount=tier.amount, currency=currency)
        if (price.amount, price.currency) != (amount, currency):
            params = money_params(amount, currency)
            if price.amount:
                params.update(money_params(price.amount, price.currency, prefix="was_"))
            price.amount = amount
            price.currency = currency
            price.save(update_fields=["amount", "currency", "updated_at"])
            record_change(
                price,
                user,
                PriceChange.Kind.PRICE_CHANGED
                if "was_amount" in params
                else PriceChange.Kind.PRICE_SET,
                params,
            )
        if turn_payments_on:
            price = set_payments_enabled(webinar=webinar, enabled=True, user=user)
    return price


def set_payments_enabled(
    *, webinar: Webinar, enabled: bool, user: AbstractBaseUser | None
) -> Price:
    """Turn payments on or off; off makes the webinar free but keeps its prices."""
    if enabled and webinar.cancelled_at is not None:
        raise PaymentsError(
            _("This webinar is cancelled: payments cannot be turned on."),
            field="enabled",
        )
    if enabled and not can_sell(webinar):
        raise PaymentsError(
            _(
                "Payments need a connected Stripe account with charges enabled. "
                "Connect Stripe in the Payments settings first."
            ),
            field="enabled",
        )
    with transaction.atomic():
        price = locked_price(webinar)
        if enabled:
            check_amount(amount=price.amount, currency=price.currency)
        if price.enabled == enabled:
            return price
        price.enabled = enabled
        price.save(update_fields=["enabled", "updated_at"])
        record_change(
            price,
            user,
            PriceChange.Kind.PAYMENTS_ON if enabled else PriceChange.Kind.PAYMENTS_OFF,
        )
    return price


# -- early-bird tiers --------------------------------------------------------------


def add_tier(
    *,
    webinar: Webinar,
    amount: int,
    ends_at: datetime,
    user: AbstractBaseUser | None,
) -> PriceTier:
    """Add a scheduled price valid until `ends_at`, cheaper than what follows it."""
    if ends_at <= timezone.now():
        raise PaymentsError(_("The tier must end in the future."), field="ends_at")
    end = last_session_end(webinar)
    if end is not None and ends_at > end:
        raise PaymentsError(
            _("The tier must end before the webinar's last session ends (%(end)s).")
            % {"end": _when(end, webinar)},
            field="ends_at",
        )
    with transaction.atomic():
        price = locked_price(webinar)
        if not price.amount:
            raise PaymentsError(_("Set the regular price first."), field="amount")
        check_amount(amount=amount, currency=price.currency)
        if amount >= price.amount:
            raise PaymentsError(
                _("An early-bird price must be cheaper than the regular price (%(p)s).")
                % {"p": format_money(price.amount, price.currency)},
                field="amount",
            )
        for tier in price.tiers.all():
            if tier.ends_at == ends_at:
                raise PaymentsError(
                    _("Another tier already ends at that moment."), field="ends_at"
                )
            if tier.ends_at > ends_at and tier.amount <= amount:
                raise PaymentsError(
                    _(
                        "Tiers must get dearer over time: this one must be cheaper "
                        "than the tier ending later (%(p)s)."
                    )
                    % {"p": format_money(tier.amount, price.currency)},
                    field="amount",
                )
            if tier.ends_at < ends_at and tier.amount >= amount:
                raise PaymentsError(
                    _(
                        "Tiers must get dearer over time: this one must cost more "
                        "than the tier ending earlier (%(p)s)."
                    )
                    % {"p": format_money(tier.amount, price.currency)},
                    field="amount",
                )
        tier = PriceTier.objects.create(price=price, amount=amount, ends_at=ends_at)
        record_change(
            price,
            user,
            PriceChange.Kind.TIER_ADDED,
            {
                **money_params(amount, price.currency),
                "ends_at": moment_param(ends_at),
            },
        )
    return tier


def remove_tier(
    *, webinar: Webinar, tier_id: int, user: AbstractBaseUser | None
) -> None:
    """Remove one of the webinar's tiers."""
    with transaction.atomic():
        price = locked_price(webinar)
        tier = price.tiers.filter(pk=tier_id).first()
        if tier is None:
            raise PaymentsError(_("This tier no longer exists."))
        tier.delete()
        record_change(
            price,
            user,
            PriceChange.Kind.TIER_REMOVED,
            {
                **money_params(tier.amount, price.currency),
                "ends_at": moment_param(tier.ends_at),
            },
        )
