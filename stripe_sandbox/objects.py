"""Ids, constants and shapes shared by several Stripe resources.

Each resource module builds its own objects with exactly the keys of Stripe's
fixtures.

Keys starting with `_` are the sandbox's own bookkeeping; `public()` strips
them before anything leaves the sandbox.
"""

from __future__ import annotations

import copy
import secrets
import string
from typing import Any

API_VERSION = "2026-10-28.endive"
PLATFORM_ACCOUNT = "acct_1TesseraPlatform"
PLATFORM_NAME = "Tessera (sandbox platform)"
DEMO_ACCOUNT = "acct_1TesseraDemo0001"
DEMO_BUSINESS_NAME = "Demo Webinars Ltd"

# Stripe's minimum charge per currency, in minor units; all ten are two-decimal.
MINIMUM_AMOUNTS = {
    "usd": 50,
    "aud": 50,
    "cad": 50,
    "chf": 50,
    "dkk": 250,
    "eur": 50,
    "gbp": 30,
    "mxn": 1000,
    "nok": 300,
    "sek": 300,
}
MAXIMUM_AMOUNT = 99_999_999

_ALPHABET = string.ascii_letters + string.digits
# Random bytes to id characters: byte b is _ALPHABET[b % 62] for b below 248
# (four times 62) and dropped above, so every character is equally likely.
_KEPT = 4 * len(_ALPHABET)
_TO_CHARACTER = bytes(ord(_ALPHABET[b % len(_ALPHABET)]) for b in range(_KEPT)).ljust(
    256, b"-"
)
_DROPPED = bytes(range(_KEPT, 256))
# Values public() hands out as they are: nothing in them can be mutated.
_IMMUTABLE = (str, int, float, bool, type(None))


def new_id(prefix: str, length: int = 24) -> str:
    """Return a random Stripe-looking id such as `pi_3Q...`.

    From the system's secure random source, as secrets.choice per character
    was (at a tenth of its CPU: ids are made for every object).
    """
    drawn = b""
    while len(drawn) < length:
        drawn += secrets.token_bytes(length).translate(_TO_CHARACTER, _DROPPED)
    return prefix + drawn[:length].decode("ascii")


def public(obj: Any) -> Any:
    """Return a deep copy without the sandbox's `_` bookkeeping keys."""
    if isinstance(obj, dict):
        return {k: public(v) for k, v in obj.items() if not k.startswith("_")}
    if isinstance(obj, list):
        return [public(v) for v in obj]
    if isinstance(obj, _IMMUTABLE):
        return obj
    return copy.deepcopy(obj)


def format_amount(amount: int, currency: str) -> str:
    """Format minor units for the hosted pages, e.g. `$50.00` or `CHF 50.00`."""
    symbols = {"usd": "$", "aud": "A$", "cad": "CA$", "eur": "€", "gbp": "£"}
    symbols["mxn"] = "MX$"
    major = f"{amount / 100:,.2f}"
    symbol = symbols.get(currency)
    return f"{symbol}{major}" if symbol else f"{currency.upper()} {major}"


def address() -> dict[str, Any]:
    """Return an empty postal address."""
    return dict.fromkeys(("city", "country", "line1", "line2", "postal_code", "state"))


def list_object(url: str, data: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Return a one-page Stripe list."""
    return {"object": "list", "data": data or [], "has_more": False, "url": url}
