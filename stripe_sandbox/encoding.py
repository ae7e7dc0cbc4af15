"""Decode Stripe's bracketed form encoding into nested dicts and lists."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

_TOKEN = re.compile(r"\[([^\[\]]*)\]")

# Keys whose children are free-form names: `metadata[0]=x` stays a dict.
_FREE_FORM = frozenset({"metadata"})


class FormError(ValueError):
    """A form body that cannot be decoded into one consistent structure."""


def split_key(key: str) -> list[str]:
    """Split `a[b][0][c]` into `["a", "b", "0", "c"]`."""
    head, bracket, rest = key.partition("[")
    if "]" in head:
        raise FormError(f"Invalid parameter name: {key}")
    if not bracket:
        return [key]
    rest = bracket + rest
    parts = [head]
    position = 0
    for match in _TOKEN.finditer(rest):
        if match.start() != position:
            raise FormError(f"Invalid parameter name: {key}")
        parts.append(match.group(1))
        position = match.end()
    if position != len(rest):
        raise FormError(f"Invalid parameter name: {key}")
    return parts


def decode_pairs(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Build nested params from (key, value) pairs in the order given."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = split_key(key)
        node: dict[str, Any] = root
        for depth, part in enumerate(parts[:-1]):
            following = parts[depth + 1]
            child = node.get(part)
            if child is None:
                child = {}
                node[part] = child
            if not isinstance(child, dict):
                raise FormError(f"Conflicting values for parameter {key}")
            if following == "":
                # `expand[]=a&expand[]=b`: append in arrival order.
                parts[depth + 1] = str(len(child))
            node = child
        last = parts[-1]
        if last == "":
            last = str(len(node))
        if isinstance(node.get(last), dict):
            raise FormError(f"Conflicting values for parameter {key}")
        node[last] = value
    return _listify(root, parent=None)


def _listify(node: Any, parent: str | None) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _listify(value, key) for key, value in node.items()}
    if (
        converted
        and parent not in _FREE_FORM
        and all(key.isdigit() for key in converted)
    ):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


def decode(body: str) -> dict[str, Any]:
    """Decode a query string or form body such as `line_items[0][quantity]=1`."""
    return decode_pairs(parse_qsl(body, keep_blank_values=True))
