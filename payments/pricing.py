"""What a registration costs now: regular price, early-bird tiers, discount codes.

The current price is derived from the time (the first tier not yet past, else
the regular price), so an early bird switches without any scheduled job.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from payments.errors import PricingError
from payments.models import DiscountCode, Price, PriceTier
from payments.money import format_money
from webinars.models import Webinar

DEFAULT_CURRENCY = "USD"


@dataclass(frozen=True)
class Quote:
    """The price one registrant pays, in minor units, and why."""

    amount: int
    currency: str
    # True when payments are enabled and there is something to pay.
    paid: bool
    discount_code: DiscountCode | None
    # When the running early-bird tier ends (None when no tier applies).
    tier_ends_at: datetime | None
    regular_amount: int


def invalid_code_message() -> str:
    """Return the one message for every kind of unusable code."""
    # One message for unknown, expired, exhausted and inactive codes, so that
    # guessing reveals nothing about which codes exist.
    return _("This discount code is not valid.")


def code_price_message(
    *, before: Quote, with_code: Quote, language: str | None = None
) -> str:
    """What a usable code tells the registrant, on the page and from the check.

    `before`: the price without the code. A code never makes it dearer (quote),
    so a code at or above the running price (an early-bird tier below the
    code's price, say) changes nothing, and says so.
    """
    if with_code.amount == 0:
        return _("This code gives free registration.")
    price = format_money(with_code.amount, with_code.currency, language)
    if with_code.amount >= before.amount:
        return _(
            "This code gives no lower price than the current one: you pay %(price)s."
        ) % {"price": price}
    return _("With this code the price is %(price)s.") % {"price": price}


def current_tier(*, tiers: list[PriceTier], at: datetime) -> PriceTier | None:
    """Return the first tier (by end) not yet past at `at`, or None."""
    for tier in sorted(tiers, key=lambda t: t.ends_at):
        if at < tier.ends_at:
            return tier
    return None


def code_is_usable(code: DiscountCode, *, at: datetime) -> bool:
    """Tell whether the code is usable at `at`: active, in its window, uses left."""
    if not code.active:
        return False
    if code.valid_from is not None and at < code.valid_from:
        return False
    if code.valid_until is not None and at >= code.valid_until:
        return False
    return code.max_uses is None or code.uses < code.max_uses


def find_code(*, webinar: Webinar, code: str) -> DiscountCode | None:
    """Return the webinar's code matching `code` whatever its case, or None."""
    code = code.strip()
    # A NUL names no code (and PostgreSQL refuses it in a query).
    if not code or len(code) > 40 or "\x00" in code:
        return None
    return DiscountCode.objects.filter(webinar=webinar, code__iexact=code).first()


def loaded_price(webinar: Webinar, *, has_tiers: bool) -> Price | None:
    """Return the webinar's price as its lock query read it, tiers loaded (or None).

    `has_tiers`: whether the price has early-bird tiers (read in the same
    statement, see registrations.start_sql); without, none are read.
    """
    try:
        price = webinar.price
    except Price.DoesNotExist:
        return None
    if not has_tiers:
        # As prefetch_related("tiers") leaves it: price.tiers.all() reads no
        # row (and, there being none, neither does a filter of it).
        tiers = PriceTier.objects.none()
        tiers._result_cache = []
        tiers._prefetch_done = True
        price._prefetched_objects_cache = {"tiers": tiers}
    return price


# quote's default `price`: read the webinar's price.
UNREAD = object()


def quote(
    *,
    webinar: Webinar,
    code: str = "",
    at: datetime | None = None,
    assume_enabled: bool = False,
    price: Price | None | object = UNREAD,
) -> Quote:
    """Return what a registration costs at `at` (now by default), with `code`.

    A free webinar (payments off, or no price set) costs 0 whatever the code;
    `assume_enabled` prices it as if payments were on (the organizer's preview).
    Raise PricingError when a code is given but cannot be used.
    """
    at = at or timezone.now()
    if price is UNREAD:
        # `price`: the webinar's price already read (load_price), or None.
        price = Price.objects.filter(webinar=webinar).first()
    if price is None or not (price.enabled or assume_enabled):
        return Quote(
            amount=0,
            currency=price.currency if price else DEFAULT_CURRENCY,
            paid=False,
            discount_code=None,
            tier_ends_at=None,
            regular_amount=price.amount if price else 0,
        )
    tier = current_tier(tiers=list(price.tiers.all()), at=at)
    amount = tier.amount if tier else price.amount
    discount = None
    if code.strip():
        discount = find_code(webinar=webinar, code=code)
        if discount is None or not code_is_usable(discount, at=at):
            raise PricingError(invalid_code_message(), field="discount_code")
        # A code never makes it dearer than the running price.
        amount = min(amount, discount.amount)
    return Quote(
        amount=amount,
        currency=price.currency,
        paid=amount > 0,
        discount_code=discount,
        # The tier's end matters only while the tier sets the price.
        tier_ends_at=tier.ends_at if tier and amount == tier.amount else None,
        regular_amount=price.amount,
    )


def reserve_code_use(*, code: DiscountCode) -> None:
    """Count one use of the code now, or raise PricingError if none is left.

    Call it inside the registration's transaction: the conditional UPDATE
    takes the row lock, so two racers for the last use cannot both win (on
    PostgreSQL the second re-checks the condition once the first commits).
    A use held by an unpaid checkout counts until release_code_use().
    """
    now = timezone.now()
    with transaction.atomic():
        updated = (
            DiscountCode.objects.filter(pk=code.pk, active=True)
            .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=now))
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now))
            .filter(Q(max_uses__isnull=True) | Q(uses__lt=F("max_uses")))
            .update(uses=F("uses") + 1)
        )
        if not updated:
            raise PricingError(invalid_code_message(), field="discount_code")
    code.refresh_from_db(fields=["uses"])


def release_code_use(*, code: DiscountCode) -> None:
    """Give back one use of the code (its checkout expired or was abandoned)."""
    DiscountCode.objects.filter(pk=code.pk, uses__gt=0).update(uses=F("uses") - 1)
    code.refresh_from_db(fields=["uses"])
