"""Hold every object the sandbox returns to Stripe's shapes.

The schema of an object type comes from the installed stripe SDK, whose
classes are generated from Stripe's OpenAPI spec: each annotation says a key's
JSON type, whether it may be null (`Optional`), its enum values (`Literal`), a
nested object (an inner class), an expandable id (`Union[str, ForwardRef]`) or
a list (`ListObject`, `List`). Stripe's published fixture
(../shared/stripe/fixtures3.json) gives the keys an object always carries.

`validate(obj)` returns the problems of one object: missing keys, extra keys,
wrong JSON types and wrong enum values, each naming the object type and the
key path. `Recorder` validates every object and event the sandbox answers
during the test run (see tests/sandbox_fixtures.py).
"""

from __future__ import annotations

import decimal
import json
import os
import threading
import types
import typing
from collections import Counter
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

import stripe
from django.conf import settings
from stripe._object_classes import get_object_class
from stripe._stripe_object import StripeObject, UntypedStripeObject

FREE_FORM = {"metadata"}
JSON_TYPES = {
    type(None): "null",
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    decimal.Decimal: "string",  # Stripe's decimal_string
    dict: "object",
    list: "array",
}


@cache
def fixtures() -> dict[str, Any]:
    """Return Stripe's published fixture of every API object, by type."""
    shared = os.environ.get("SHARED_DIR") or Path(settings.BASE_DIR).parent / "shared"
    path = Path(shared) / "stripe" / "fixtures3.json"
    return json.loads(path.read_text())["resources"]


def stripe_fixture(object_type: str) -> dict[str, Any]:
    """Return Stripe's fixture object of `object_type`."""
    return fixtures()[object_type]


def sdk_type(object_type: str) -> type | None:
    """Return the SDK class of an object type, None if the SDK has none."""
    cls = get_object_class("V1", object_type)
    return None if cls is StripeObject else cls


@cache
def sdk_fields(cls: type) -> dict[str, Any]:
    """Return the keys the SDK's type declares, each with its annotation."""
    found: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        for name, hint in vars(klass).get("__annotations__", {}).items():
            if not name.startswith("_") and typing.get_origin(hint) is not (
                typing.ClassVar
            ):
                found[name] = hint
    return found


def _resolve(hint: Any) -> Any:
    if isinstance(hint, typing.ForwardRef):
        return getattr(stripe, hint.__forward_arg__, Any)
    if isinstance(hint, str):
        return getattr(stripe, hint, Any)
    return hint


def _alternatives(hint: Any) -> list[Any]:
    if isinstance(hint, list):  # the item types of a List[...] or ListObject[...]
        return [alt for arg in hint for alt in _alternatives(arg)] or [Any]
    hint = _resolve(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return [alt for arg in typing.get_args(hint) for alt in _alternatives(arg)]
    return [hint]


def _kind(hint: Any) -> str:
    """Return the JSON type an SDK annotation stands for ("any" if free)."""
    origin = typing.get_origin(hint)
    if hint is Any or isinstance(hint, typing.TypeVar):
        return "any"
    if origin is typing.Literal:
        return JSON_TYPES.get(type(typing.get_args(hint)[0]), "any")
    if origin in (list, typing.List):  # noqa: UP006 - the SDK's spelling
        return "array"
    if origin in (dict, typing.Dict) or isinstance(hint, type):  # noqa: UP006
        if isinstance(hint, type) and hint in JSON_TYPES:
            return JSON_TYPES[hint]
        return "object"
    if origin is not None and isinstance(origin, type):
        return "object"  # ListObject[...], UntypedStripeObject[...]
    return "any"


def _json_type(value: Any) -> str:
    return JSON_TYPES.get(type(value), type(value).__name__)


class Validator:
    """Collect the problems of one object tree."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.counts: Counter[str] = Counter()

    def object(
        self, obj: dict[str, Any], where: str, cls: type | None = None, sample=None
    ) -> None:
        """Check a typed object: by its `object` key, else as `cls`."""
        kind = obj.get("object")
        if isinstance(kind, str):
            if kind == "list":
                self._list(obj, where, None)
                return
            self.counts[kind] += 1
            named = sdk_type(kind)
            if named is None and cls is None:
                self.problems.append(
                    f"{where}: object type {kind!r} unknown to the SDK"
                )
                return
            cls = named or cls
            if sample is None or not isinstance(sample, dict):
                sample = fixtures().get(kind)
            where = where or kind
        self._fields(obj, where, cls, sample)

    def _fields(self, obj: dict, where: str, cls: type, sample: Any) -> None:
        fields = sdk_fields(cls)
        prefix = f"{where}: " if ":" not in where else f"{where}."
        if isinstance(sample, dict):
            for key in sample:
                if key not in obj and not _includable(fields.get(key)):
                    self.problems.append(f"{prefix}missing key {key!r}".rstrip())
        for key, value in obj.items():
            if key == "object" and isinstance(value, str):
                continue  # the type name; an event's data.object is checked
            if key not in fields:
                self.problems.append(f"{prefix}extra key {key!r}")
                continue
            child = sample.get(key) if isinstance(sample, dict) else None
            self.value(value, fields[key], f"{prefix}{key}", child, cls, key)

    def value(
        self, value: Any, hint: Any, path: str, sample: Any, owner=None, key=None
    ) -> None:
        """Check one value against its SDK annotation."""
        alts = _alternatives(hint)
        kinds = {_kind(alt) for alt in alts}
        got = _json_type(value)
        if got == "integer" and "number" in kinds:
            got = "number"
        if "any" not in kinds and got not in kinds:
            wanted = " or ".join(sorted(kinds))
            self.problems.append(f"{path}: {got} where the SDK expects {wanted}")
            return
        if key in FREE_FORM or value is None:
            return
        if isinstance(value, str):
            self._enum(value, alts, path)
        elif isinstance(value, dict):
            self._nested(value, alts, path, sample, owner, key)
        elif isinstance(value, list):
            items = [a for alt in alts for a in typing.get_args(alt)]
            first = sample[0] if isinstance(sample, list) and sample else None
            for index, item in enumerate(value):
                self.value(
                    item,
                    items,
                    f"{path}[{index}]",
                    first,
                    owner,
                    key,
                )

    def _enum(self, value: str, alts: list[Any], path: str) -> None:
        allowed = [
            arg
            for alt in alts
            if typing.get_origin(alt) is typing.Literal
            for arg in typing.get_args(alt)
        ]
        # `Union[Literal[...], str]` only keeps old SDKs working with new values:
        # the sandbox must use one the installed SDK knows.
        if allowed and value not in allowed:
            self.problems.append(f"{path}: {value!r} not one of {allowed}")

    def _nested(self, value: dict, alts, path: str, sample, owner, key) -> None:
        if value.get("object") == "list":
            item = next(
                (typing.get_args(a)[0] for a in alts if typing.get_args(a)), None
            )
            self._list(value, path, item)
            return
        classes = [
            a for a in alts if isinstance(a, type) and issubclass(a, StripeObject)
        ]
        inner = getattr(owner, "_inner_class_types", {}).get(key)
        cls = inner or next(iter(classes), None)
        if (
            cls is None
            or cls is UntypedStripeObject
            or (typing.get_origin(cls) is not None)
        ):
            if isinstance(value.get("object"), str):
                self.object(value, "")  # e.g. an event's data.object
            return
        self.object(value, path, cls, sample)

    def _list(self, value: dict, path: str, item: Any) -> None:
        for key in set(value) - {"object", "data", "has_more", "url"}:
            self.problems.append(f"{path or 'list'}: extra key {key!r}")
        for index, entry in enumerate(value.get("data", [])):
            cls = _resolve(item) if item is not None else None
            where = f"{path}.data[{index}]" if path else ""
            if isinstance(cls, type) and issubclass(cls, StripeObject):
                self.object(entry, where, cls)
            else:
                self.object(entry, where)


def _includable(hint: Any) -> bool:
    """Say if a key is a list Stripe returns only when asked with `expand`."""
    return any(
        getattr(typing.get_origin(alt), "__name__", "") == "ListObject"
        for alt in _alternatives(hint)
    )


def validate(obj: dict[str, Any]) -> list[str]:
    """Return what differs between an object (or list) and Stripe's shapes."""
    validator = Validator()
    validator.object(obj, "")
    return validator.problems


def drift(obj: dict[str, Any], fixture: Any, cls: type) -> list[str]:
    """Return what differs from the fixture's keys and the SDK type `cls`."""
    validator = Validator()
    validator.object(obj, "", cls, fixture)
    return validator.problems


class Recorder:
    """Validate each object and event the sandbox answers; keep the figures."""

    def __init__(self) -> None:
        self.objects: Counter[str] = Counter()
        self.events: Counter[str] = Counter()
        # problem -> the request or event, and the test, that first showed it
        self.problems: dict[str, str] = {}
        self.current_test = ""
        self._lock = threading.Lock()

    def record(self, obj: Any, origin: str) -> None:
        """Validate one JSON answer or event; errors and non-objects are skipped."""
        if not isinstance(obj, dict) or not isinstance(obj.get("object"), str):
            return
        validator = Validator()
        try:
            validator.object(obj, "")
        except Exception as error:  # noqa: BLE001 - report, never break the sandbox
            validator.problems.append(f"{origin}: validator failed: {error!r}")
        events = self._events(obj)
        with self._lock:
            self.objects.update(validator.counts)
            self.events.update(events)
            for problem in validator.problems:
                self.problems.setdefault(
                    problem, f"{origin} in {self.current_test or '?'}"
                )

    @staticmethod
    def _events(obj: dict[str, Any]) -> list[str]:
        found = obj.get("data", []) if obj["object"] == "list" else [obj]
        return [
            item["type"]
            for item in found
            if isinstance(item, dict) and item.get("object") == "event"
        ]

    def wrap(self, app: Any) -> Any:
        """Return `app` (a SandboxApp) recording the JSON it answers on /v1/."""
        return _RecordingApp(app, self)

    def summary(self) -> str:
        """Return the figures in one line."""
        objects = ", ".join(f"{k} {n}" for k, n in sorted(self.objects.items()))
        events = ", ".join(f"{k} {n}" for k, n in sorted(self.events.items()))
        return (
            f"Stripe conformance: {sum(self.objects.values())} objects validated"
            f" ({objects}); {sum(self.events.values())} events ({events});"
            f" {len(self.problems)} problems"
        )


class _RecordingApp:
    """A WSGI app that hands each /v1/ JSON answer to a `Recorder`."""

    def __init__(self, app: Any, recorder: Recorder) -> None:
        self._app = app
        self._recorder = recorder

    def __getattr__(self, name: str) -> Any:
        return getattr(self._app, name)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        body = b"".join(self._app(environ, start_response))
        path = environ.get("PATH_INFO", "")
        if path.startswith("/v1/"):
            try:
                answer = json.loads(body)
            except ValueError:
                answer = None
            self._recorder.record(answer, f"{environ.get('REQUEST_METHOD')} {path}")
        return [body]
