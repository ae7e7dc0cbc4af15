"""Money: integers of minor units plus a currency code, formatted by Babel."""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import format_currency, get_currency_precision
from django.utils.translation import get_language, to_locale
from django.utils.translation import gettext as _

# International English, so that US dollars read "US$", never a bare "$" that
# could be any of the dollars Tessera sells in.
LOCALES = {"en": "en_001", "fr": "fr_FR"}

# Spaces people (and Babel) use to group digits: space, no-break space,
# narrow no-break space, thin space; apostrophes as in Swiss usage.
GROUP_SEPARATORS = " \u00a0\u202f\u2009'\u2019"
_NUMBER = re.compile(r"^\d+(?:[.,]\d+)*$")


class MoneyError(ValueError):
    """Text that is not an amount of money; the message is safe to show."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def babel_locale(language: str | None = None) -> str:
    language = (language or get_language() or "en").split("-")[0]
    return LOCALES.get(language, to_locale(language))


def to_decimal(amount: int, currency: str) -> Decimal:
    """Return the amount in major units, exactly."""
    return Decimal(amount).scaleb(-get_currency_precision(currency.upper()))


def convert(amount: int, rate: Decimal) -> int:
    """Return minor units times an exchange rate, rounded half up.

    Every currency Tessera sells in has two decimals, so minor units convert
    to minor units.
    """
    return int((amount * rate).to_integral_value(rounding=ROUND_HALF_UP))


def format_money(amount: int, currency: str, language: str | None = None) -> str:
    """Format minor units for the active (or given) language: US$100.00, 100,00 $US."""
    return format_currency(
        to_decimal(amount, currency),
        currency.upper(),
        locale=babel_locale(language),
        currency_digits=True,
    )


class MoneyText:
    """An object's amount attribute as text in its `currency` ("" for None).

    Declared as `refunded_display = MoneyText()`: it reads `refunded`. With
    `currency="fee_currency"`, the currency comes from that attribute when it
    is set (a fee taken in the settlement currency), else from `currency`.
    """

    def __init__(self, *, currency: str = "currency") -> None:
        self.currency = currency

    def __set_name__(self, owner: type, name: str) -> None:
        self.amount = name.removesuffix("_display")

    def __get__(self, obj: object, owner: type | None = None) -> "str | MoneyText":
        if obj is None:
            return self
        amount = getattr(obj, self.amount)
        currency = getattr(obj, self.currency) or obj.currency
        return "" if amount is None else format_money(amount, currency)


def format_amount(amount: int, currency: str, language: str | None = None) -> str:
    """Format minor units as a bare number to put back in a form: 1,200.50."""
    precision = get_currency_precision(currency.upper())
    value = to_decimal(amount, currency)
    text = f"{value:.{precision}f}"
    if (language or get_language() or "en").split("-")[0] == "fr":
        return text.replace(".", ",")
    return text


def parse_money(text: str, currency: str, language: str | None = None) -> int:
    """Return minor units from an amount written the way people write it.

    Accept "49.00", "49,00", "1 200,50", "1,200.50" and Babel's own output
    with or without the currency symbol. Raise MoneyError otherwise.
    """
    precision = get_currency_precision(currency.upper())
    cleaned = (text or "").strip()
    for symbol in _currency_symbols(currency, language):
        cleaned = cleaned.replace(symbol, "")
    cleaned = cleaned.strip()
    if not cleaned:
        raise MoneyError(_("Enter an amount."))
    if cleaned.startswith("-") or cleaned.startswith("\u2212"):
        raise MoneyError(_("The amount cannot be negative."))
    for separator in GROUP_SEPARATORS:
        cleaned = re.sub(rf"(?<=\d){re.escape(separator)}(?=\d{{3}})", "", cleaned)
    if not _NUMBER.match(cleaned):
        raise MoneyError(_("Enter an amount such as 49.00."))
    number = _normalise(cleaned, language)
    try:
        value = Decimal(number)
    except InvalidOperation as error:
        raise MoneyError(_("Enter an amount such as 49.00.")) from error
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > precision:
        raise MoneyError(
            _("Use at most %(digits)d decimals for %(currency)s.")
            % {"digits": precision, "currency": currency.upper()}
        )
    return int(value.scaleb(precision))


def _normalise(number: str, language: str | None) -> str:
    """Turn "1.200,50" / "1,200.50" / "49,00" into "1200.50" / "49.00"."""
    dots, commas = number.count("."), number.count(",")
    if dots and commas:
        # The rightmost separator is the decimal one, the other groups.
        decimal_mark = "." if number.rfind(".") > number.rfind(",") else ","
    elif dots + commas == 0:
        return number
    else:
        mark = "." if dots else ","
        last_group = number.rsplit(mark, 1)[1]
        if dots + commas > 1:
            # "1,200,000" or "1.200.000": only grouping.
            decimal_mark = "," if mark == "." else "."
        elif len(last_group) == 3 and _groups_with(mark, language):
            # "1,200" in English, "1.200" in French: a thousands separator.
            decimal_mark = "," if mark == "." else "."
        else:
            decimal_mark = mark
    group_mark = "," if decimal_mark == "." else "."
    parts = number.split(decimal_mark)
    if len(parts) > 2:
        raise MoneyError(_("Enter an amount such as 49.00."))
    integer = parts[0]
    if group_mark in integer and not re.fullmatch(
        rf"\d{{1,3}}(?:{re.escape(group_mark)}\d{{3}})+", integer
    ):
        raise MoneyError(_("Enter an amount such as 49.00."))
    integer = integer.replace(group_mark, "")
    if len(parts) == 2:
        if group_mark in parts[1]:
            raise MoneyError(_("Enter an amount such as 49.00."))
        return f"{integer}.{parts[1]}"
    return integer


def _groups_with(mark: str, language: str | None) -> bool:
    """Tell whether the language uses `mark` to group thousands."""
    language = (language or get_language() or "en").split("-")[0]
    if language == "fr":
        return mark == "."
    return mark == ","


def _currency_symbols(currency: str, language: str | None) -> list[str]:
    """Return the symbols Babel may write for the currency, longest first."""
    from babel.numbers import get_currency_symbol

    code = currency.upper()
    symbols = {code}
    for locale in {babel_locale(language), "en_001", "en_US", "fr_FR"}:
        symbols.add(get_currency_symbol(code, locale=locale))
    return sorted(symbols, key=len, reverse=True)


# Every CSV of the console writes amounts the same way: a decimal number in
# the currency's major units ("100.00" is one hundred euros), "." as the
# decimal mark, no grouping, and the currency in its own column; the column
# names end with CSV_AMOUNT_SUFFIX so that the header says it.
CSV_AMOUNT_SUFFIX = "_major_units"


def csv_amount(amount: int, currency: str) -> str:
    """Return an amount (minor units) as the console's CSVs write it: "100.00"."""
    return str(to_decimal(amount, currency))


def csv_amount_column(name: str) -> str:
    """Return the header of an amount column, e.g. "amount_major_units"."""
    return f"{name}{CSV_AMOUNT_SUFFIX}"
