"""What organizers change about selling a webinar: price, tiers, discount codes.

Every rule lives here, so the console, tests and seed_demo share it. Each
operation runs in one transaction and writes a PriceChange row: the history
of who changed what, and when.
"""

import re
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from organizers.models import Account, Organizer
from payments.connect import active_connection, connection_for
from payments.models import (
    CURRENCIES,
    MAXIMUM_AMOUNT,
    MINIMUM_AMOUNTS,
    DiscountCode,
    Price,
    PriceChange,
    PriceTier,
    StripeConnection,
)
from payments.money import format_money
from webinars.models import Webinar

CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
MAX_GENERATED_CODES = 1000
# No 0/O or 1/I, so that a code read aloud or copied by hand still works.
GENERATED_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
GENERATED_LENGTH = 10


class PaymentsError(Exception):
    """A change to a webinar's selling was refused; the message is safe to show.

    `field` names the form field the message belongs beside, when there is one.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.message = message
        self.field = field
        super().__init__(message)


# -- rules shared by the forms and the services ------------------------------------


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


def last_session_end(webinar: Webinar) -> datetime | None:
    """Return when the webinar's last (not cancelled) session ends, if any."""
    return webinar.sessions.filter(cancelled_at__isnull=True).aggregate(
        end=Max("ends_at")
    )["end"]


def _locked_price(webinar: Webinar) -> Price:
    """Return the webinar's price row locked, creating it (payments off) if absent."""
    Price.objects.get_or_create(webinar=webinar)
    return Price.objects.select_for_update().get(webinar=webinar)


def _record(price: Price, user: AbstractBaseUser | None, description: str) -> None:
    PriceChange.objects.create(price=price, changed_by=user, description=description)


def _when(moment: datetime, webinar: Webinar) -> str:
    return date_format(timezone.localtime(moment, webinar.tzinfo), "DATETIME_FORMAT")


# -- price and payments on/off -----------------------------------------------------


def set_price(
    *,
    webinar: Webinar,
    amount: int,
    currency: str,
    user: AbstractBaseUser | None,
) -> Price:
    """Set the regular price; checkouts started afterwards use it."""
    check_amount(amount=amount, currency=currency)
    with transaction.atomic():
        price = _locked_price(webinar)
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
        if (price.amount, price.currency) == (amount, currency):
            return price
        was = format_money(price.amount, price.currency) if price.amount else None
        price.amount = amount
        price.currency = currency
        price.save(update_fields=["amount", "currency", "updated_at"])
        now = format_money(amount, currency)
        _record(
            price,
            user,
            _("Price changed from %(was)s to %(now)s.") % {"was": was, "now": now}
            if was
            else _("Price set to %(now)s.") % {"now": now},
        )
    return price


def set_payments_enabled(
    *, webinar: Webinar, enabled: bool, user: AbstractBaseUser | None
) -> Price:
    """Turn payments on or off; off makes the webinar free but keeps its prices."""
    if enabled:
        connection = connection_for(webinar)
        if connection is None or not connection.is_usable:
            raise PaymentsError(
                _(
                    "Payments need a connected Stripe account with charges enabled. "
                    "Connect Stripe in the Payments settings first."
                ),
                field="enabled",
            )
    with transaction.atomic():
        price = _locked_price(webinar)
        if enabled:
            check_amount(amount=price.amount, currency=price.currency)
        if price.enabled == enabled:
            return price
        price.enabled = enabled
        price.save(update_fields=["enabled", "updated_at"])
        _record(
            price,
            user,
            _("Payments turned on.") if enabled else _("Payments turned off."),
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
        price = _locked_price(webinar)
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
        _record(
            price,
            user,
            _("Early-bird price %(p)s added (until %(when)s).")
            % {
                "p": format_money(amount, price.currency),
                "when": _when(ends_at, webinar),
            },
        )
    return tier


def remove_tier(
    *, webinar: Webinar, tier_id: int, user: AbstractBaseUser | None
) -> None:
    """Remove one of the webinar's tiers."""
    with transaction.atomic():
        price = _locked_price(webinar)
        tier = price.tiers.filter(pk=tier_id).first()
        if tier is None:
            raise PaymentsError(_("This tier no longer exists."))
        tier.delete()
        _record(
            price,
            user,
            _("Early-bird price %(p)s until %(when)s removed.")
            % {
                "p": format_money(tier.amount, price.currency),
                "when": _when(tier.ends_at, webinar),
            },
        )


# -- discount codes ----------------------------------------------------------------


def _check_code_settings(
    *,
    price: Price,
    amount: int,
    max_uses: int | None,
    valid_from: datetime | None,
    valid_until: datetime | None,
    uses: int = 0,
) -> None:
    if not price.amount:
        raise PaymentsError(
            _("Set the regular price before creating discount codes."),
            field="amount",
        )
    if amount > price.amount:
        raise PaymentsError(
            _("The price with the code cannot be above the regular price (%(p)s).")
            % {"p": format_money(price.amount, price.currency)},
            field="amount",
        )
    if 0 < amount < MINIMUM_AMOUNTS[price.currency]:
        raise PaymentsError(
            _("Enter 0 (free) or at least %(min)s.")
            % {"min": format_money(MINIMUM_AMOUNTS[price.currency], price.currency)},
            field="amount",
        )
    if max_uses is not None and max_uses < 1:
        raise PaymentsError(_("Maximum uses must be at least 1."), field="max_uses")
    if max_uses is not None and max_uses < uses:
        raise PaymentsError(
            _("Maximum uses cannot be below the uses so far (%(uses)d).")
            % {"uses": uses},
            field="max_uses",
        )
    if valid_from and valid_until and valid_until <= valid_from:
        raise PaymentsError(
            _("“Valid until” must be after “valid from”."), field="valid_until"
        )


def _check_code_text(code: str) -> str:
    code = code.strip()
    if not CODE_PATTERN.match(code):
        raise PaymentsError(
            _(
                "Use 1 to 40 letters, digits, hyphens (-) or underscores (_), "
                "without spaces."
            ),
            field="code",
        )
    return code


def _duplicate_message(code: str) -> str:
    return _("The code %(code)s already exists for this webinar (in any case).") % {
        "code": code
    }


def create_code(
    *,
    webinar: Webinar,
    code: str,
    amount: int,
    max_uses: int | None = None,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    active: bool = True,
    user: AbstractBaseUser | None,
) -> DiscountCode:
    """Create a discount code giving `amount` (0 = free registration)."""
    code = _check_code_text(code)
    try:
        with transaction.atomic():
            price = _locked_price(webinar)
            _check_code_settings(
                price=price,
                amount=amount,
                max_uses=max_uses,
                valid_from=valid_from,
                valid_until=valid_until,
            )
            if webinar.discount_codes.filter(code__iexact=code).exists():
                raise PaymentsError(_duplicate_message(code), field="code")
            discount = DiscountCode.objects.create(
                webinar=webinar,
                code=code,
                amount=amount,
                max_uses=max_uses,
                valid_from=valid_from,
                valid_until=valid_until,
                active=active,
            )
            _record(
                price,
                user,
                _("Discount code %(code)s created at %(p)s.")
                % {"code": code, "p": format_money(amount, price.currency)},
            )
    except IntegrityError as error:
        # Created at the same moment by someone else: the unique constraint held.
        raise PaymentsError(_duplicate_message(code), field="code") from error
    return discount


def update_code(
    *,
    code: DiscountCode,
    new_code: str | None = None,
    amount: int,
    max_uses: int | None,
    valid_from: datetime | None,
    valid_until: datetime | None,
    active: bool,
    user: AbstractBaseUser | None,
) -> DiscountCode:
    """Change a code's settings; its uses so far stay."""
    text = _check_code_text(new_code if new_code is not None else code.code)
    webinar = code.webinar
    try:
        with transaction.atomic():
            price = _locked_price(webinar)
            locked = DiscountCode.objects.select_for_update().get(pk=code.pk)
            _check_code_settings(
                price=price,
                amount=amount,
                max_uses=max_uses,
                valid_from=valid_from,
                valid_until=valid_until,
                uses=locked.uses,
            )
            if (
                webinar.discount_codes.filter(code__iexact=text)
                .exclude(pk=locked.pk)
                .exists()
            ):
                raise PaymentsError(_duplicate_message(text), field="code")
            was_active = locked.active
            locked.code = text
            locked.amount = amount
            locked.max_uses = max_uses
            locked.valid_from = valid_from
            locked.valid_until = valid_until
            locked.active = active
            locked.save()
            if was_active and not active:
                description = _("Discount code %(code)s deactivated.")
            else:
                description = _("Discount code %(code)s changed (%(p)s).")
            _record(
                price,
                user,
                description % {"code": text, "p": format_money(amount, price.currency)},
            )
    except IntegrityError as error:
        raise PaymentsError(_duplicate_message(text), field="code") from error
    return locked


def deactivate_code(
    *, code: DiscountCode, user: AbstractBaseUser | None
) -> DiscountCode:
    """Stop a code from being used; its uses so far stay counted."""
    return update_code(
        code=code,
        amount=code.amount,
        max_uses=code.max_uses,
        valid_from=code.valid_from,
        valid_until=code.valid_until,
        active=False,
        user=user,
    )


def random_code(prefix: str = "") -> str:
    """Return an unguessable code, e.g. PREFIX-7KQ2M9XH3D."""
    body = "".join(secrets.choice(GENERATED_ALPHABET) for _ in range(GENERATED_LENGTH))
    return f"{prefix}-{body}" if prefix else body


def generate_codes(
    *,
    webinar: Webinar,
    count: int,
    amount: int,
    max_uses: int | None = 1,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    prefix: str = "",
    user: AbstractBaseUser | None,
) -> list[DiscountCode]:
    """Create `count` random codes with the same settings."""
    if count < 1 or count > MAX_GENERATED_CODES:
        raise PaymentsError(
            _("Generate between 1 and %(max)d codes.") % {"max": MAX_GENERATED_CODES},
            field="count",
        )
    prefix = prefix.strip()
    if (prefix and not CODE_PATTERN.match(prefix)) or len(prefix) > 29:
        raise PaymentsError(
            _(
                "Use up to 29 letters, digits, hyphens (-) or underscores (_) "
                "for the prefix."
            ),
            field="prefix",
        )
    with transaction.atomic():
        price = _locked_price(webinar)
        _check_code_settings(
            price=price,
            amount=amount,
            max_uses=max_uses,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        taken = {
            c.upper() for c in webinar.discount_codes.values_list("code", flat=True)
        }
        fresh: list[str] = []
        while len(fresh) < count:
            candidate = random_code(prefix)
            if candidate.upper() not in taken:
                taken.add(candidate.upper())
                fresh.append(candidate)
        codes = DiscountCode.objects.bulk_create(
            DiscountCode(
                webinar=webinar,
                code=text,
                amount=amount,
                max_uses=max_uses,
                valid_from=valid_from,
                valid_until=valid_until,
            )
            for text in fresh
        )
        _record(
            price,
            user,
            _("%(count)d discount codes generated at %(p)s.")
            % {"count": count, "p": format_money(amount, price.currency)},
        )
    return codes


# -- demo data ---------------------------------------------------------------------

DEMO_WEBINAR = "Project management for beginners"


def ensure_demo_connection(*, account: Account, admin: Organizer) -> None:
    """Link the demo account to the sandbox's Stripe account unless linked already.

    The connect extension may have done it; the partial unique constraint on
    active account-wide connections keeps a concurrent second one out.
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
    ensure_demo_connection(account=account, admin=admin)
    connection = connection_for(webinar)
    if not price.enabled and connection is not None and connection.is_usable:
        set_payments_enabled(webinar=webinar, enabled=True, user=user)
