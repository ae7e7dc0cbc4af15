"""Checkout line items: validating `line_items[]` and building the `item`s."""

from __future__ import annotations

from typing import Any

from .errors import invalid, missing, missing_param
from .objects import MAXIMUM_AMOUNT, MINIMUM_AMOUNTS, list_object, new_id, public
from .params import as_int


def line_item(
    *, name: str, currency: str, unit_amount: int, quantity: int, created: int
) -> dict[str, Any]:
    """Return a Checkout line item (`item`) built from inline `price_data`."""
    price_id = new_id("price_1")
    total = unit_amount * quantity
    return {
        "adjustable_quantity": None,
        "amount_discount": 0,
        "amount_subtotal": total,
        "amount_tax": 0,
        "amount_total": total,
        "currency": currency,
        "description": name,
        "id": new_id("li_1"),
        "metadata": {},
        "object": "item",
        "price": {
            "active": False,
            "billing_scheme": "per_unit",
            "created": created,
            "currency": currency,
            "custom_unit_amount": None,
            "id": price_id,
            "livemode": False,
            "lookup_key": None,
            "metadata": {},
            "nickname": None,
            "object": "price",
            "product": new_id("prod_", 14),
            "recurring": None,
            "tax_behavior": "unspecified",
            "tiers_mode": None,
            "transform_quantity": None,
            "type": "one_time",
            "unit_amount": unit_amount,
            "unit_amount_decimal": str(unit_amount),
        },
        "quantity": quantity,
    }


def parse_line_items(
    params: dict[str, Any], now: int
) -> tuple[list[dict[str, Any]], str, int]:
    """Validate `line_items` like Stripe; return (items, currency, total)."""
    raw = params.get("line_items")
    if not raw:
        raise missing_param("line_items")
    if not isinstance(raw, list):
        raise invalid("Invalid array", param="line_items")
    items: list[dict[str, Any]] = []
    currencies = set()
    total = 0
    for index, item in enumerate(raw):
        prefix = f"line_items[{index}]"
        if not isinstance(item, dict):
            raise invalid("Invalid hash", param=prefix)
        if item.get("price"):
            raise missing("price", str(item["price"]), f"{prefix}[price]")
        data = item.get("price_data")
        if not isinstance(data, dict):
            raise invalid(
                "You must specify either `price` or `price_data`.",
                param=f"{prefix}[price_data]",
                code="parameter_missing",
            )
        currency = str(data.get("currency") or "").lower()
        if not currency:
            raise missing_param("currency", param=f"{prefix}[price_data][currency]")
        if currency not in MINIMUM_AMOUNTS:
            raise invalid(
                f"Invalid currency: {currency}. The sandbox supports "
                + ", ".join(sorted(MINIMUM_AMOUNTS)),
                param=f"{prefix}[price_data][currency]",
            )
        if data.get("unit_amount") in (None, ""):
            raise missing_param(
                "unit_amount", param=f"{prefix}[price_data][unit_amount]"
            )
        unit_amount = as_int(data["unit_amount"], f"{prefix}[price_data][unit_amount]")
        if unit_amount < 0:
            raise invalid(
                "This value must be greater than or equal to 0.",
                param=f"{prefix}[price_data][unit_amount]",
                code="parameter_invalid_integer",
            )
        if unit_amount > MAXIMUM_AMOUNT:
            raise invalid(
                f"This value must be less than or equal to {MAXIMUM_AMOUNT}.",
                param=f"{prefix}[price_data][unit_amount]",
                code="parameter_invalid_integer",
            )
        product = data.get("product_data")
        name = product.get("name") if isinstance(product, dict) else None
        if not name:
            raise missing_param(
                "product_data[name]",
                param=f"{prefix}[price_data][product_data][name]",
            )
        if item.get("quantity") in (None, ""):
            raise invalid(
                "Quantity is required. Add `quantity` to `line_items[0]`",
                param=f"{prefix}[quantity]",
                code="parameter_missing",
            )
        quantity = as_int(item["quantity"], f"{prefix}[quantity]")
        if quantity < 1:
            raise invalid(
                "This value must be greater than or equal to 1.",
                param=f"{prefix}[quantity]",
            )
        currencies.add(currency)
        total += unit_amount * quantity
        items.append(
            line_item(
                name=name,
                currency=currency,
                unit_amount=unit_amount,
                quantity=quantity,
                created=now,
            )
        )
    if len(currencies) > 1:
        raise invalid("All line items must use the same currency.", param="line_items")
    return items, currencies.pop(), total


def line_items_list(session: dict[str, Any]) -> dict[str, Any]:
    """Return a Checkout Session's line items as Stripe lists them."""
    return list_object(
        f"/v1/checkout/sessions/{session['id']}/line_items",
        public(session["_line_items"]),
    )
