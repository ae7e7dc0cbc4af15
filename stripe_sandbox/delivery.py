"""Sign and deliver events to webhook endpoints on a background thread."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

# Loopback deliveries must never go through an HTTP proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# Where an event goes: url, signing secret, API version.
Endpoint = tuple[str, str, str]
# `Deliverer.drop(ALL)`: lose every delivery until told otherwise.
ALL = -1


def sign(payload: str, secret: str, timestamp: int) -> str:
    """Return a `Stripe-Signature` header exactly as Stripe computes it."""
    signed = f"{timestamp}.{payload}".encode()
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass
class Delivery:
    """One event on its way to one endpoint."""

    event: dict[str, Any]
    url: str
    secret: str
    attempt: int = 1
    due: float = 0.0


@dataclass
class WebhookConfig:
    """Retry policy; tests make the delays tiny."""

    retry_delays: tuple[float, ...] = (2.0, 10.0, 60.0, 300.0, 1800.0)
    max_attempts: int = 6
    timeout: float = 10.0


@dataclass
class _State:
    queue: deque[Delivery] = field(default_factory=deque)
    held: list[Delivery] | None = None
    active: int = 0
    log: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=2000))
    # Deliveries still to lose (`ALL`: every one), and how many were lost.
    to_drop: int = 0
    dropped: int = 0


class Deliverer:
    """Deliver events one at a time, in arrival order, retrying failures.

    One worker keeps "in order" meaningful; a failed delivery is put back with
    a due time, so a later event may overtake it, as on Stripe.
    """

    def __init__(self, config: WebhookConfig) -> None:
        self.config = config
        self._state = _State()
        self._cond = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(
            target=self._run, name="stripe-sandbox-webhooks", daemon=True
        )
        self._thread.start()

    def enqueue(self, event: dict[str, Any], endpoints: list[Endpoint]) -> None:
        """Queue an event for each endpoint, in that endpoint's API version."""
        with self._cond:
            for url, secret, api_version in endpoints:
                # Stripe renders an event in the version of the endpoint it
                # goes to; the sandbox knows one shape, so only the label moves.
                rendered = {**event, "api_version": api_version}
                delivery = Delivery(event=rendered, url=url, secret=secret)
                if self._state.to_drop:
                    # Lost for good, as if Stripe never reached the endpoint.
                    self._state.to_drop -= self._state.to_drop != ALL
                    self._state.dropped += 1
                elif self._state.held is not None:
                    self._state.held.append(delivery)
                else:
                    self._state.queue.append(delivery)
            self._cond.notify_all()

    def drop(self, count: int) -> None:
        """Lose the next `count` deliveries (`ALL`: every one; 0: stop losing)."""
        if count < 0 and count != ALL:
            raise ValueError(f"Invalid count: {count}")
        with self._cond:
            self._state.to_drop = count

    def drop_counts(self) -> tuple[int, int]:
        """Return (deliveries still to lose, deliveries lost so far)."""
        with self._cond:
            return self._state.to_drop, self._state.dropped

    def hold(self) -> None:
        """Keep new deliveries back until `release`."""
        with self._cond:
            if self._state.held is None:
                self._state.held = []

    def release(self, order: str = "in_order") -> int:
        """Queue held deliveries in order, reversed, or shuffled; return how many."""
        with self._cond:
            held = self._state.held or []
            self._state.held = None
            if order == "reverse":
                held.reverse()
            elif order == "shuffle":
                random.shuffle(held)
            elif order != "in_order":
                raise ValueError(f"Unknown order: {order}")
            self._state.queue.extend(held)
            self._cond.notify_all()
            return len(held)

    def held_count(self) -> int:
        """Return the number of deliveries held back."""
        with self._cond:
            return len(self._state.held or [])

    def drain(self, timeout: float) -> bool:
        """Wait until nothing is queued or in flight; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._state.queue or self._state.active:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def attempts(self) -> list[dict[str, Any]]:
        """Return the log of delivery attempts, oldest first."""
        with self._cond:
            return list(self._state.log)

    def clear(self) -> None:
        """Forget queued, held and logged deliveries."""
        with self._cond:
            self._state = _State()
            self._cond.notify_all()

    def stop(self) -> None:
        """Stop the worker thread."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        self._thread.join(timeout=5)

    def _next(self) -> tuple[Delivery, _State] | None:
        with self._cond:
            while not self._stopped:
                now = time.monotonic()
                ready = next((d for d in self._state.queue if d.due <= now), None)
                if ready is not None:
                    self._state.queue.remove(ready)
                    self._state.active += 1
                    return ready, self._state
                wait = min((d.due for d in self._state.queue), default=now + 60) - now
                self._cond.wait(max(wait, 0.001))
            return None

    def _run(self) -> None:
        while True:
            taken = self._next()
            if taken is None:
                return
            delivery, state = taken
            try:
                ok, status = self._post(delivery)
            except Exception:  # a bug here must not kill the worker
                logger.exception("Webhook delivery crashed")
                ok, status = False, None
            with self._cond:
                if state is self._state:
                    self._finish(delivery, ok, status)
                state.active -= 1
                self._cond.notify_all()

    def _finish(self, delivery: Delivery, ok: bool, status: int | None) -> None:
        self._state.log.append(
            {
                "event": delivery.event["id"],
                "type": delivery.event["type"],
                "url": delivery.url,
                "attempt": delivery.attempt,
                "status": status,
                "ok": ok,
            }
        )
        if ok or delivery.attempt >= self.config.max_attempts:
            return
        delays = self.config.retry_delays or (0.0,)
        delay = delays[min(delivery.attempt - 1, len(delays) - 1)]
        delivery.attempt += 1
        delivery.due = time.monotonic() + delay
        self._state.queue.append(delivery)

    def _post(self, delivery: Delivery) -> tuple[bool, int | None]:
        payload = json.dumps(delivery.event, indent=2)
        # Stripe signs with the wall clock at delivery, not the event's time.
        header = sign(payload, delivery.secret, int(time.time()))
        request = urllib.request.Request(  # noqa: S310 - http(s) endpoints only
            delivery.url,
            data=payload.encode(),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": header,
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            },
        )
        try:
            with _OPENER.open(request, timeout=self.config.timeout) as response:
                response.read()
                return 200 <= response.status < 300, response.status
        except urllib.error.HTTPError as error:
            error.read()
            return False, error.code
        except (OSError, ValueError) as error:
            logger.info("Webhook delivery to %s failed: %s", delivery.url, error)
            return False, None
