"""Stripe's bracketed form encoding, decoded by the sandbox."""

from urllib.parse import urlencode

import pytest
from stripe._encode import _api_encode

from stripe_sandbox.encoding import FormError, decode


def test_nested_lists_and_dicts_are_rebuilt():
    body = (
        "line_items[0][price_data][currency]=usd"
        "&line_items[0][price_data][unit_amount]=5000"
        "&line_items[0][quantity]=1"
        "&line_items[1][quantity]=2"
        "&metadata[registrant]=12"
        "&expand[0]=payment_intent"
    )

    assert decode(body) == {
        "line_items": [
            {"price_data": {"currency": "usd", "unit_amount": "5000"}, "quantity": "1"},
            {"quantity": "2"},
        ],
        "metadata": {"registrant": "12"},
        "expand": ["payment_intent"],
    }


def test_what_the_sdk_encodes_decodes_back():
    params = {
        "line_items": [
            {"price_data": {"product_data": {"name": "A & B = C"}}, "quantity": 1}
        ],
        "metadata": {"0": "first", "key": "value"},
        "expand": ["payment_intent", "payment_intent.latest_charge"],
        "flag": True,
    }

    decoded = decode(urlencode(list(_api_encode(params))))

    assert decoded["line_items"][0]["price_data"]["product_data"]["name"] == "A & B = C"
    assert decoded["metadata"] == {"0": "first", "key": "value"}
    assert decoded["expand"] == ["payment_intent", "payment_intent.latest_charge"]
    assert decoded["flag"] == "true"


def test_empty_brackets_append_in_order():
    assert decode("expand[]=a&expand[]=b") == {"expand": ["a", "b"]}


def test_lists_are_ordered_by_index_not_arrival():
    assert decode("a[1]=second&a[0]=first") == {"a": ["first", "second"]}


def test_empty_values_are_kept():
    assert decode("metadata[note]=&description=") == {
        "metadata": {"note": ""},
        "description": "",
    }


@pytest.mark.parametrize("body", ["a=1&a[b]=2", "a[b]=1&a=2", "a[b=1", "a]x[=1"])
def test_inconsistent_or_malformed_keys_are_refused(body):
    with pytest.raises(FormError):
        decode(body)
