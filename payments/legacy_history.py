"""Convert history written as sentences into kinds with parameters.

Before kinds existed, price changes and refund reasons were stored as
sentences translated when written (English or French). The migrations call
these functions to recover the kind and its values: a sentence is matched
against each kind's msgid in each language, and every value read back is
checked by formatting it again exactly as the writer did. Text that matches
no kind, or whose values do not read back, stays as a legacy entry shown
verbatim.
"""

import re
import zoneinfo
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.dates import MONTHS, MONTHS_AP

from payments.history import (
    REFUND_REASON_TEXTS,
    WRITTEN_PRICE_CHANGE_TEXTS,
    moment_param,
)
from payments.models import CURRENCIES
from payments.money import MoneyError, format_money, parse_money

MONEY_NAMES = {"p": "", "now": "", "was": "was_"}
_PLACEHOLDER = re.compile(r"%\((\w+)\)([sd])")


def _pattern(template: str) -> re.Pattern[str]:
    """Return a regex matching `template` with its placeholders captured."""
    parts = []
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        parts.append(re.escape(template[position : match.start()]))
        name, conversion = match.groups()
        parts.append(rf"(?P<{name}>\d+)" if conversion == "d" else rf"(?P<{name}>.+?)")
        position = match.end()
    parts.append(re.escape(template[position:]))
    return re.compile("".join(parts))


def _same(a: str, b: str) -> bool:
    """Compare texts whatever spaces separate digits and symbols."""
    spaces = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " "})
    return a.translate(spaces).strip() == b.translate(spaces).strip()


def _money(text: str, language: str, currencies: list[str]) -> tuple[int, str] | None:
    for currency in currencies:
        try:
            amount = parse_money(text, currency, language)
        except (MoneyError, ValueError, ArithmeticError):
            continue
        if _same(format_money(amount, currency, language), text):
            return amount, currency
    return None


def _moment_candidates(text: str, language: str) -> list[tuple[int, int, int]]:
    """Return (year, month, day) the text may name; the time is checked after."""
    months = MONTHS_AP if language == "en" else MONTHS
    found = []
    with translation.override(language):
        names = {str(name).lower(): number for number, name in months.items()}
        names.update({str(n).lower(): number for number, n in MONTHS.items()})
    for match in re.finditer(r"(\d{1,2})\s+([^\W\d]+\.?)\s+(\d{4})", text):
        day, name, year = match.groups()
        if name.lower() in names:
            found.append((int(year), names[name.lower()], int(day)))
    for match in re.finditer(r"([^\W\d]+\.?)\s+(\d{1,2}),\s+(\d{4})", text):
        name, day, year = match.groups()
        if name.lower() in names:
            found.append((int(year), names[name.lower()], int(day)))
    return found


def _moment(text: str, language: str, zone: str) -> datetime | None:
    """Return the moment the writer formatted as `text` in `zone`, if exact."""
    try:
        tz = zoneinfo.ZoneInfo(zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None
    for year, month, day in _moment_candidates(text, language):
        for minute in range(0, 24 * 60):
            try:
                naive = datetime(year, month, day, minute // 60, minute % 60)
            except ValueError:
                break
            moment = timezone.make_aware(naive, tz)
            with translation.override(language):
                written = formats.date_format(moment, "DATETIME_FORMAT")
            if _same(written, text):
                return moment
    return None


def parse_price_change(
    description: str, *, currency: str, zone: str
) -> tuple[str, dict[str, Any]] | None:
    """Return the kind and params of a sentence a price change used to be, or None.

    `currency` is the price's currency, tried first for its amounts; `zone`
    the webinar's, in which moments were written.
    """
    text = description.strip()
    currencies = [currency, *(c for c in CURRENCIES if c != currency)]
    for language, _name in settings.LANGUAGES:
        for kind, msgid in WRITTEN_PRICE_CHANGE_TEXTS.items():
            with translation.override(language):
                template = translation.gettext(msgid)
            match = _pattern(template).fullmatch(text)
            if match is None:
                continue
            params = _values(match.groupdict(), language, currencies, zone)
            if params is not None:
                return kind, params
    return None


def _values(
    groups: dict[str, str], language: str, currencies: list[str], zone: str
) -> dict[str, Any] | None:
    params: dict[str, Any] = {}
    for name, value in groups.items():
        if name in MONEY_NAMES:
            money = _money(value, language, currencies)
            if money is None:
                return None
            prefix = MONEY_NAMES[name]
            params[f"{prefix}amount"], params[f"{prefix}currency"] = money
        elif name == "when":
            moment = _moment(value, language, zone)
            if moment is None:
                return None
            params["ends_at"] = moment_param(moment)
        elif name == "count":
            params["count"] = int(value)
        else:
            params[name] = value
    return params


def parse_refund_reason(reason: str) -> str | None:
    """Return the kind of a refund reason Tessera wrote, in any language, or None."""
    text = reason.strip()
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for kind, msgid in REFUND_REASON_TEXTS.items():
                if text == translation.gettext(msgid):
                    return kind
    return None


def convert_price_changes(price_change_model: Any) -> int:
    """Give every legacy price change whose sentence is recognised its kind.

    Return how many rows were converted. Takes the model (the migration's
    historical one, or the real one in tests).
    """
    converted = 0
    rows = price_change_model.objects.filter(kind="legacy").select_related(
        "price__webinar"
    )
    for row in rows.iterator():
        parsed = parse_price_change(
            row.description,
            currency=row.price.currency,
            zone=row.price.webinar.timezone,
        )
        if parsed is None:
            continue
        row.kind, row.params = parsed
        row.save(update_fields=["kind", "params"])
        converted += 1
    return converted


def convert_refund_reasons(refund_model: Any) -> int:
    """Give every refund whose reason Tessera wrote its kind; typed ones stay."""
    converted = 0
    for row in refund_model.objects.filter(reason_kind="text").exclude(reason=""):
        kind = parse_refund_reason(row.reason)
        if kind is None:
            continue
        row.reason_kind = kind
        row.reason = ""
        row.save(update_fields=["reason_kind", "reason"])
        converted += 1
    return converted
