"""Injected failures: the next API requests answer 500, 429 or too late.

A failure may be limited to one route: ``method`` (``POST``...) and ``path``,
a prefix of the request path (``/v1/refunds``); other requests pass through
and do not use it up.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from .errors import ApiError, invalid
from .web import Response, json_response

FAULT_KINDS = ("500", "429", "rate_limit", "timeout")


@dataclass
class Fault:
    """A failure the next `count` API requests answer with."""

    kind: str
    count: int
    delay: float
    method: str = ""
    path: str = ""

    def matches(self, method: str, path: str) -> bool:
        """Tell whether this failure applies to the request."""
        if self.method and self.method != method.upper():
            return False
        return path.startswith(self.path)


def server_error() -> ApiError:
    """Return Stripe's 500 `api_error`."""
    return ApiError("An unknown error occurred", status=500, error_type="api_error")


class Faults:
    """The queue of failures the test controls asked for, oldest first."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(
        self, kind: str, count: int, delay: float, method: str = "", path: str = ""
    ) -> None:
        """Make the next `count` API requests (on the route, if given) fail."""
        if kind not in FAULT_KINDS:
            raise invalid(f"kind must be one of {', '.join(FAULT_KINDS)}", param="kind")
        if path and not path.startswith("/"):
            raise invalid("path must start with /", param="path")
        with self._lock:
            self._faults.append(Fault(kind, count, delay, method.upper(), path))

    def clear(self) -> None:
        """Forget every queued failure."""
        with self._lock:
            self._faults.clear()

    def take(self, method: str = "", path: str = "") -> Fault | None:
        """Return the failure the current request answers with, if any.

        The oldest failure that applies to the request is used up by one.
        """
        with self._lock:
            self._faults = [fault for fault in self._faults if fault.count > 0]
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.count -= 1
                    return fault
            return None


def fault_response(fault: Fault) -> Response | None:
    """Return the answer of a failure; None for a timeout, which answers late."""
    if fault.kind == "500":
        return json_response(500, server_error().body())
    if fault.kind == "429":
        # Stripe answers a lock timeout with 429 and asks the SDK to retry.
        error = ApiError(
            "This object cannot be accessed right now because another API "
            "request or Stripe process is currently accessing it.",
            status=429,
            code="lock_timeout",
        )
        return json_response(429, error.body(), [("Stripe-Should-Retry", "true")])
    if fault.kind == "rate_limit":
        error = ApiError("Request rate limit exceeded.", status=429, code="rate_limit")
        return json_response(429, error.body())
    return None
