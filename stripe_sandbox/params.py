"""Read request parameters as Stripe does, answering its 400s for bad values."""

from __future__ import annotations

from typing import Any

from .errors import ApiError, invalid, missing_param


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


# A parameter shape, as routes declare what they accept (see `accepted`):
# SCALAR a string, number or boolean; FREE a hash of free-form keys (metadata);
# a dict a hash of those keys; a one-item list an array of that shape; a tuple
# any one of its shapes (`created=1` or `created[gt]=1`).
SCALAR = "scalar"
FREE = "free"
Shape = Any


def check_known(params: dict[str, Any], shape: dict[str, Shape]) -> None:
    """Refuse the first parameter the shape does not declare, as Stripe does."""
    _check_hash(params, shape, "")


def unknown_param(path: str) -> ApiError:
    """Return Stripe's 400 `parameter_unknown` for a parameter path."""
    return invalid(
        f"Received unknown parameter: {path}", param=path, code="parameter_unknown"
    )


def _name(prefix: str, key: str) -> str:
    return f"{prefix}[{key}]" if prefix else key


def _check_hash(value: dict[str, Any], shape: dict[str, Shape], prefix: str) -> None:
    for key, child in value.items():
        path = _name(prefix, key)
        if key not in shape:
            raise unknown_param(path)
        _check(child, shape[key], path)


def _check(value: Any, shape: Shape, path: str) -> None:
    if isinstance(shape, tuple):
        errors = []
        for option in shape:
            try:
                _check(value, option, path)
            except ApiError as error:
                errors.append(error)
            else:
                return
        raise errors[-1]
    if shape == FREE or value == "":
        # Stripe reads an empty value as "unset" for any parameter.
        return
    if shape == SCALAR:
        if isinstance(value, dict):
            raise unknown_param(_name(path, next(iter(value), "")))
        if isinstance(value, list):
            raise unknown_param(f"{path}[0]")
        return
    if isinstance(shape, list):
        if not isinstance(value, list):
            raise invalid("Invalid array", param=path)
        for index, item in enumerate(value):
            _check(item, shape[0], f"{path}[{index}]")
        return
    if not isinstance(value, dict):
        raise invalid("Invalid hash", param=path)
    _check_hash(value, shape, path)
