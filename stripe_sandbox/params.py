"""Read request parameters as Stripe does, answering its 400s for bad values."""

from __future__ import annotations

from typing import Any

from .errors import invalid, missing_param


def as_int(value: Any, param: str) -> int:
    """Return an integer parameter given as a number or a string of digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    raise invalid(
        f"Invalid integer: {value}", param=param, code="parameter_invalid_integer"
    )


def as_bool(value: Any, param: str) -> bool:
    """Return a boolean parameter given as a bool or as "true"/"false"."""
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise invalid(f"Invalid boolean: {value}", param=param)


def as_str(params: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    """Return a string parameter, None when absent or empty."""
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise missing_param(name)
        return None
    if not isinstance(value, str):
        raise invalid(f"Invalid string: {value!r}", param=name)
    return value


def as_metadata(value: Any, param: str = "metadata") -> dict[str, str]:
    """Return metadata within Stripe's limits, dropping keys set to ""."""
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise invalid("Invalid hash", param=param)
    result = {k: v for k, v in value.items() if v != ""}
    if len(result) > 50:
        raise invalid("Metadata can have at most 50 keys.", param=param)
    for key, item in result.items():
        if not isinstance(item, str):
            raise invalid("Invalid metadata value", param=f"{param}[{key}]")
        if len(key) > 40:
            raise invalid(
                "Metadata keys can be at most 40 characters.", param=f"{param}[{key}]"
            )
        if len(item) > 500:
            raise invalid(
                "Metadata values can be at most 500 characters.",
                param=f"{param}[{key}]",
            )
    return result


def flag(value: Any) -> bool:
    """Return a control's on/off value: a bool, or "true", "1", "yes", "on"."""
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("true", "1", "yes", "on")
