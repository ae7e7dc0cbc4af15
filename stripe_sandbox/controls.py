"""The test controls under `/_sandbox/`: state, clock, faults, webhook delivery.

Tests and demos drive through these what a person or the card network would
do on Stripe. Each resource declares its own controls (`CONTROLS` in its
module); this module answers the rest and routes to those.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .delivery import ALL, WebhookConfig
from .errors import ApiError, invalid, missing
from .faults import Faults
from .objects import public
from .params import flag
from .sandbox import CONTROLS, Sandbox
from .web import Response, json_response

_CONTROLS = [(re.compile(pattern + r"\Z"), handler) for pattern, handler in CONTROLS]


class Controls:
    """Answer `/_sandbox/...` requests for one `SandboxApp`."""

    def __init__(
        self,
        sandbox: Sandbox,
        faults: Faults,
        default_webhook_config: WebhookConfig,
        run: Callable[[Callable[[], Any]], Any],
    ) -> None:
        self.sandbox = sandbox
        self.faults = faults
        self.default_webhook_config = default_webhook_config
        self.run = run

    def answer(self, method: str, path: str, params: dict[str, Any]) -> Response:
        """Answer one control request; `path` starts with `/_sandbox/`."""
        name = path.removeprefix("/_sandbox/").strip("/")
        s = self.sandbox
        deliverer = s.deliverer
        parts = name.split("/")

        if method == "GET" and name == "state":
            return json_response(200, self.state())
        if method == "GET" and name == "webhooks/attempts":
            return json_response(200, {"data": deliverer.attempts()})
        if method == "GET" and len(parts) == 2 and parts[0] == "objects":
            found = s.store.find(parts[1])
            if found is None:
                raise missing("object", parts[1])
            return json_response(200, {"account": found[0], "object": public(found[1])})
        if method != "POST":
            raise ApiError(f"Unrecognized control ({method}: {path}).", status=404)
        if name == "webhooks/drain":
            drained = deliverer.drain(float(params.get("timeout", 10)))
            return json_response(
                200, {"drained": drained, "held": deliverer.held_count()}
            )
        if name == "webhooks/hold":
            deliverer.hold()
            return json_response(200, {"held": deliverer.held_count()})
        if name == "webhooks/release":
            try:
                released = deliverer.release(str(params.get("order", "in_order")))
            except ValueError as error:
                raise invalid(str(error), param="order") from None
            return json_response(200, {"released": released})
        if name == "webhooks/drop":
            count = params.get("count", "all")
            try:
                deliverer.drop(ALL if count == "all" else int(count))
            except ValueError as error:
                raise invalid(str(error), param="count") from None
            return json_response(200, self.state())
        if name == "faults":
            self.faults.add(
                str(params.get("kind", "500")),
                int(params.get("count", 1)),
                float(params.get("delay", 2.0)),
                str(params.get("method", "")),
                str(params.get("path", "")),
            )
            return json_response(200, {"ok": True})
        if name == "config":
            return json_response(200, self._configure(params))
        if name == "reset":
            self.faults.clear()
            deliverer.config = WebhookConfig(**vars(self.default_webhook_config))
            self.run(s.reset)
            return json_response(200, self.state())
        return json_response(200, self.run(lambda: self._resource(name, params)))

    def _resource(self, name: str, params: dict[str, Any]) -> Any:
        for pattern, handler in _CONTROLS:
            match = pattern.match(name)
            if match:
                return handler(self.sandbox, params, **match.groupdict())
        raise ApiError(f"Unrecognized control: /_sandbox/{name}", status=404)

    def _configure(self, params: dict[str, Any]) -> dict[str, Any]:
        config = self.sandbox.deliverer.config
        if "refunds_pending" in params:
            self.sandbox.options.refunds_pending = flag(params["refunds_pending"])
        if "webhook_retry_delays" in params:
            config.retry_delays = tuple(
                float(d) for d in params["webhook_retry_delays"]
            )
        if "webhook_max_attempts" in params:
            config.max_attempts = int(params["webhook_max_attempts"])
        if "webhook_timeout" in params:
            config.timeout = float(params["webhook_timeout"])
        return self.state()

    def state(self) -> dict[str, Any]:
        """Return the sandbox's clock, switches and webhook settings."""
        deliverer = self.sandbox.deliverer
        config = deliverer.config
        to_drop, dropped = deliverer.drop_counts()
        return {
            "now": self.sandbox.now(),
            "held": deliverer.held_count(),
            "drop_deliveries": "all" if to_drop == ALL else to_drop,
            "dropped": dropped,
            "refunds_pending": self.sandbox.options.refunds_pending,
            "webhook_retry_delays": list(config.retry_delays),
            "webhook_max_attempts": config.max_attempts,
            "webhook_timeout": config.timeout,
        }
