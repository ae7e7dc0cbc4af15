"""Injected failures: the next API requests answer 500, 429 or too late."""

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


def server_error() -> ApiError:
    """Return Stripe's 500 `api_error`."""
    return ApiError("An unknown error occurred", status=500, error_type="api_error")


class Faults:
    """The queue of failures the test controls asked for, oldest first."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, kind: str, count: int, delay: float) -> None:
        """Make the next `count` API requests fail with `kind`."""
        if kind not in FAULT_KINDS:
            raise invalid(f"kind must be one of {', '.join(FAULT_KINDS)}", param="kind")
        with self._lock:
            self._faults.append(Fault(kind, count, delay))

    def clear(self) -> None:
        """Forget every queued failure."""
        with self._lock:
            self._faults.clear()

    def take(self) -> Fault | None:
        """Return the failure the current request answers with, if any."""
        with self._lock:
            while self._faults and self._faults[0].count <= 0:
                self._faults.pop(0)
            if not self._faults:
                return None
            fault = self._faults[0]
            fault.count -= 1
            return fault


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
