"""Events and webhook endpoints: recording events, queueing them for delivery.

An event is stored when its change is made and queued in an outbox; the app
hands the outbox to `delivery.Deliverer` only once the request's transaction
commits, and drops it when the transaction rolls back.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .core import ApiRoute, Context, Control, SandboxCore, retrieve
from .delivery import Endpoint
from .errors import invalid, missing_param
from .objects import API_VERSION, PLATFORM_ACCOUNT, new_id, public
from .params import as_int, flag

# Stripe's API versions: a date, and since 2024-09-30 a release name after it.
_VERSION = re.compile(r"\d{4}-\d{2}-\d{2}(\.[a-z]+)?")


def webhook_endpoint(
    *,
    created: int,
    url: str,
    enabled_events: list[str],
    description: str | None,
    metadata: dict[str, str],
    secret: str,
    connect: bool,
    api_version: str,
) -> dict[str, Any]:
    """Return a webhook endpoint; the secret is kept for signing deliveries."""
    return {
        "api_version": api_version,
        "application": None,
        "created": created,
        "description": description,
        "enabled_events": enabled_events,
        "id": new_id("we_1"),
        "livemode": False,
        "metadata": metadata,
        "object": "webhook_endpoint",
        "status": "enabled",
        "url": url,
        "_secret": secret,
        "_connect": connect,
    }


def event(
    *,
    event_type: str,
    created: int,
    obj: dict[str, Any],
    account: str | None,
    previous_attributes: dict[str, Any] | None,
    request_id: str | None,
    idempotency_key: str | None,
    pending_webhooks: int,
) -> dict[str, Any]:
    """Return an event; Connect events carry `account`, as Stripe's do."""
    data: dict[str, Any] = {"object": public(obj)}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    result: dict[str, Any] = {
        "api_version": API_VERSION,
        "created": created,
        "data": data,
        "id": new_id("evt_3"),
        "livemode": False,
        "object": "event",
        "pending_webhooks": pending_webhooks,
        "request": {"id": request_id, "idempotency_key": idempotency_key},
        "type": event_type,
    }
    if account is not None:
        result["account"] = account
    return result


def _type_matches(event_type: str, wanted: list[str]) -> bool:
    for pattern in wanted:
        if pattern == event_type:
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


def _api_version(value: Any) -> str:
    """Return an endpoint's API version: a dated Stripe version, else the SDK's."""
    if value in (None, ""):
        return API_VERSION
    if not isinstance(value, str) or not _VERSION.fullmatch(value):
        raise invalid(f"Invalid API version: {value}", param="api_version")
    return value


_CREATED_BOUNDS = {
    "gt": lambda created, bound: created > bound,
    "gte": lambda created, bound: created >= bound,
    "lt": lambda created, bound: created < bound,
    "lte": lambda created, bound: created <= bound,
}


def _created_filter(created: Any) -> Callable[[dict[str, Any]], bool]:
    """Return the test of `created=<ts>` or `created[gt|gte|lt|lte]=<ts>`."""
    if not isinstance(created, dict):
        exact = as_int(created, "created")
        return lambda obj: obj["created"] == exact
    bounds = []
    for name, bound in created.items():
        if name not in _CREATED_BOUNDS:
            raise invalid(
                f"Received unknown parameter: created[{name}]",
                param=f"created[{name}]",
                code="parameter_unknown",
            )
        bounds.append((_CREATED_BOUNDS[name], as_int(bound, f"created[{name}]")))
    return lambda obj: all(test(obj["created"], limit) for test, limit in bounds)


def _with_secret(endpoint: dict[str, Any]) -> dict[str, Any]:
    # As on Stripe, the signing secret is shown only when it is created.
    return {**public(endpoint), "secret": endpoint["_secret"]}


class EventsMixin(SandboxCore):
    """Record events, keep the outbox, and manage webhook endpoints."""

    def emit(
        self,
        event_type: str,
        obj: dict[str, Any],
        *,
        account: str,
        previous: dict[str, Any] | None = None,
        ctx: Context | None = None,
    ) -> dict[str, Any]:
        """Record an event and queue it for delivery once the request commits."""
        connect = account != PLATFORM_ACCOUNT
        endpoints = self._endpoints_for(event_type, connect=connect)
        created = event(
            event_type=event_type,
            created=self.now(),
            obj=self.render(obj, account),
            account=account if connect else None,
            previous_attributes=previous,
            request_id=ctx.request_id if ctx else None,
            idempotency_key=ctx.idempotency_key if ctx else None,
            pending_webhooks=len(endpoints),
        )
        self.store.put(created, account)
        with self._outbox_lock:
            self._outbox.append(created)
        return created

    def _endpoints_for(self, event_type: str, *, connect: bool) -> list[Endpoint]:
        found = []
        for endpoint in self.store.all("webhook_endpoint", PLATFORM_ACCOUNT):
            events = endpoint["enabled_events"]
            if endpoint["_connect"] != connect or endpoint["status"] != "enabled":
                continue
            if "*" in events or event_type in events:
                version = endpoint.get("api_version") or API_VERSION
                found.append((endpoint["url"], endpoint["_secret"], version))
        return found

    def flush_outbox(self) -> None:
        """Hand committed events to the deliverer."""
        with self._outbox_lock:
            events, self._outbox = self._outbox, []
        for queued in events:
            connect = "account" in queued
            self.deliverer.enqueue(
                queued, self._endpoints_for(queued["type"], connect=connect)
            )

    def discard_outbox(self, mark: int = 0) -> None:
        """Drop events queued after `mark` (from `outbox_mark`): they rolled back."""
        with self._outbox_lock:
            del self._outbox[mark:]

    def outbox_mark(self) -> int:
        """Return a mark to roll queued events back to."""
        with self._outbox_lock:
            return len(self._outbox)

    def redeliver(self, event_id: str) -> dict[str, Any]:
        """Deliver a stored event again: a duplicate with the same id."""
        _, stored = self.find("event", event_id)
        with self._outbox_lock:
            self._outbox.append(stored)
        return stored

    def list_events(self, ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
        """Return `GET /v1/events`, filtered by `type` or `types`."""
        items = self.store.all("event", ctx.account)
        wanted = params.get("types") or ([params["type"]] if params.get("type") else [])
        if wanted:
            items = [e for e in items if _type_matches(e["type"], wanted)]
        if params.get("created") not in (None, ""):
            items = list(filter(_created_filter(params["created"]), items))
        return self.page(ctx, items, params, "/v1/events")

    def register_endpoint(
        self,
        *,
        url: str,
        secret: str,
        connect: bool,
        enabled_events: list[str] | None = None,
        description: str | None = None,
        metadata: dict[str, str] | None = None,
        replace: bool = True,
        api_version: str = API_VERSION,
    ) -> dict[str, Any]:
        """Add an endpoint, or update the secret of the same URL and kind."""
        if not url.startswith(("http://", "https://")):
            raise invalid(
                "Invalid URL: must start with http:// or https://", param="url"
            )
        if replace:
            for existing in self.store.all("webhook_endpoint", PLATFORM_ACCOUNT):
                if existing["url"] == url and existing["_connect"] == connect:
                    existing["_secret"] = secret
                    existing["enabled_events"] = enabled_events or ["*"]
                    existing["api_version"] = api_version
                    return self.store.put(existing, PLATFORM_ACCOUNT)
        endpoint = webhook_endpoint(
            created=self.now(),
            url=url,
            enabled_events=enabled_events or ["*"],
            description=description,
            metadata=metadata or {},
            secret=secret,
            connect=connect,
            api_version=api_version,
        )
        return self.store.put(endpoint, PLATFORM_ACCOUNT)

    def create_endpoint(self, ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
        """Return `POST /v1/webhook_endpoints`, with the new signing secret."""
        if ctx.account != PLATFORM_ACCOUNT:
            raise invalid("Webhook endpoints belong to the platform account.")
        url = params.get("url") or ""
        events = params.get("enabled_events")
        if not events:
            raise missing_param("enabled_events")
        endpoint = self.register_endpoint(
            url=url,
            secret="whsec_" + new_id("", 32),
            connect=str(params.get("connect", "false")) == "true",
            enabled_events=list(events),
            description=params.get("description") or None,
            metadata=params.get("metadata") or {},
            replace=False,
            api_version=_api_version(params.get("api_version")),
        )
        return _with_secret(endpoint)

    def list_endpoints(self, ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
        """Return `GET /v1/webhook_endpoints`."""
        items = self.store.all("webhook_endpoint", PLATFORM_ACCOUNT)
        return self.page(ctx, items, params, "/v1/webhook_endpoints")

    def delete_endpoint(self, endpoint_id: str) -> dict[str, Any]:
        """Return `DELETE /v1/webhook_endpoints/{id}`: the endpoint stops receiving."""
        endpoint = self.get(Context(), "webhook_endpoint", endpoint_id)
        endpoint["status"] = "disabled"
        endpoint["url"] = "http://deleted.invalid/"
        self.store.put(endpoint, PLATFORM_ACCOUNT)
        return {"id": endpoint_id, "object": "webhook_endpoint", "deleted": True}


API_ROUTES: list[ApiRoute] = [
    ("GET", r"/v1/events", lambda s, c, p: s.list_events(c, p)),
    ("GET", r"/v1/events/(?P<id>[^/]+)", retrieve("event")),
    ("POST", r"/v1/webhook_endpoints", lambda s, c, p: s.create_endpoint(c, p)),
    ("GET", r"/v1/webhook_endpoints", lambda s, c, p: s.list_endpoints(c, p)),
    ("GET", r"/v1/webhook_endpoints/(?P<id>[^/]+)", retrieve("webhook_endpoint")),
    (
        "DELETE",
        r"/v1/webhook_endpoints/(?P<id>[^/]+)",
        lambda s, c, p, id: s.delete_endpoint(id),
    ),
]


def _control_endpoint(sandbox: EventsMixin, params: dict[str, Any]) -> dict[str, Any]:
    endpoint = sandbox.register_endpoint(
        url=str(params.get("url") or ""),
        secret=str(params.get("secret") or "whsec_" + new_id("", 32)),
        connect=flag(params.get("connect", False)),
        enabled_events=list(params.get("enabled_events") or ["*"]),
        api_version=_api_version(params.get("api_version")),
    )
    return _with_secret(endpoint)


CONTROLS: list[Control] = [
    (r"webhook_endpoints", _control_endpoint),
    (r"events/(?P<id>[^/]*)/redeliver", lambda s, p, id: public(s.redeliver(id))),
]
