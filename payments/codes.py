"""What organizers do with discount codes: create, change, deactivate, generate.

A code gives a fixed price (0 = free registration) and may be limited in uses
and time; pricing.quote applies it. Each operation locks the webinar's Price
row, so codes and price changes queue behind each other, and writes a
PriceChange row.
"""

import re
import secrets
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from payments.errors import PaymentsError
from payments.history import money_params
from payments.models import MINIMUM_AMOUNTS, DiscountCode, Price, PriceChange
from payments.money import format_money
from payments.price_changes import locked_price, record_change
from webinars.models import Webinar

CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
MAX_GENERATED_CODES = 1000
# No 0/O or 1/I, so that a code read aloud or copied by hand still works.
GENERATED_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
GENERATED_LENGTH = 10


def _terms(
    amount: int,
    max_uses: int | None,
    valid_from: datetime | None,
    valid_until: datetime | None,
) -> dict[str, Any]:
    """Return a code's settings as DiscountCode field values."""
    return {
        "amount": amount,
        "max_uses": max_uses,
        "valid_from": valid_from,
        "valid_until": valid_until,
    }


def _check_terms(*, price: Price, terms: dict[str, Any], uses: int = 0) -> None:
    """Refuse code settings that do not fit the price (or the uses so far)."""
    amount, max_uses = terms["amount"], terms["max_uses"]
    valid_from, valid_until = terms["valid_from"], terms["valid_until"]
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
    terms = _terms(amount, max_uses, valid_from, valid_until)
    try:
        with transaction.atomic():
            price = locked_price(webinar)
            _check_terms(price=price, terms=terms)
            if webinar.discount_codes.filter(code__iexact=code).exists():
                raise PaymentsError(_duplicate_message(code), field="code")
            discount = DiscountCode.objects.create(
                webinar=webinar, code=code, active=active, **terms
            )
            record_change(
                price,
                user,
                PriceChange.Kind.CODE_CREATED,
                {"code": code, **money_params(amount, price.currency)},
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
    terms = _terms(amount, max_uses, valid_from, valid_until)
    try:
        with transaction.atomic():
            price = locked_price(webinar)
            locked = DiscountCode.objects.select_for_update().get(pk=code.pk)
            _check_terms(price=price, terms=terms, uses=locked.uses)
            if (
                webinar.discount_codes.filter(code__iexact=text)
                .exclude(pk=locked.pk)
                .exists()
            ):
                raise PaymentsError(_duplicate_message(text), field="code")
            was_active = locked.active
            for name, value in {**terms, "code": text, "active": active}.items():
                setattr(locked, name, value)
            locked.save()
            record_change(
                price,
                user,
                PriceChange.Kind.CODE_DEACTIVATED
                if was_active and not active
                else PriceChange.Kind.CODE_CHANGED,
                {"code": text, **money_params(amount, price.currency)},
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
    # "VIP-" and "VIP" both give VIP-XXXXXXXXXX (never VIP--XXXXXXXXXX).
    prefix = prefix.strip().rstrip("-_")
    if (prefix and not CODE_PATTERN.match(prefix)) or len(prefix) > 29:
        raise PaymentsError(
            _(
                "Use up to 29 letters, digits, hyphens (-) or underscores (_) "
                "for the prefix."
            ),
            field="prefix",
        )
    terms = _terms(amount, max_uses, valid_from, valid_until)
    with transaction.atomic():
        price = locked_price(webinar)
        _check_terms(price=price, terms=terms)
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
            DiscountCode(webinar=webinar, code=text, **terms) for text in fresh
        )
        record_change(
            price,
            user,
            PriceChange.Kind.CODES_GENERATED,
            {"count": count, **money_params(amount, price.currency)},
        )
    return codes
