"""The base every resource builds on: who is asking, the clock, reading objects.

`SandboxCore` works on plain dicts and raises `ApiError`; each resource module
adds its behaviour as a mixin on top of it, and `sandbox.Sandbox` puts them
together. Callers hold `store.lock`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .delivery import Deliverer
from .errors import invalid, missing
from .line_items import line_items_list
from .objects import PLATFORM_ACCOUNT, list_object, public
from .params import as_int
from .store import Store


@dataclass
class Context:
    """Who is asking: the account acted on, and the API request behind it."""

    account: str = PLATFORM_ACCOUNT
    request_id: str | None = None
    idempotency_key: str | None = None
    public_url: str = ""


@dataclass
class Options:
    """Behaviour switches that tests and demos flip through the controls."""

    refunds_pending: bool = False


@dataclass
class Startup:
    """Endpoints and ids the sandbox (re)creates on start and on reset."""

    client_id: str = "ca_sandbox"
    webhook_url: str | None = None
    webhook_secret: str | None = None
    connect_webhook_secret: str | None = None
    extra_endpoints: list[tuple[str, str, bool]] = field(default_factory=list)


# An API route: method, path pattern, and a handler called with
# (sandbox, ctx, params, **path groups) that returns the JSON body.
ApiRoute = tuple[str, str, Callable[..., Any]]
# A test control under /_sandbox/ (POST): path pattern, and a handler called
# with (sandbox, params, **path groups) that returns the JSON body.
Control = tuple[str, Callable[..., Any]]


class SandboxCore:
    """State shared by every resource, and the ways to read Stripe objects."""

    def __init__(
        self,
        store: Store,
        deliverer: Deliverer,
        *,
        startup: Startup,
        options: Options | None = None,
    ) -> None:
        self.store = store
        self.deliverer = deliverer
        self.startup = startup
        self.default_options = options or Options()
        self.options = Options(**vars(self.default_options))
        self._outbox: list[dict[str, Any]] = []
        self._outbox_lock = threading.Lock()
        with store.transaction():
            self.bootstrap()

    def bootstrap(self) -> None:
        """Create what exists before any request; `sandbox.Sandbox` fills this in."""

    def now(self) -> int:
        """Return the sandbox's time: the wall clock plus any advance."""
        return int(time.time()) + int(self.store.get_meta("clock_offset", 0))

    def get(self, ctx: Context, kind: str, object_id: str) -> dict[str, Any]:
        """Return a stored object of a type on the caller's account, else 404."""
        obj = self.store.get(object_id, ctx.account)
        if obj is None or obj["object"] != kind:
            raise missing(kind, object_id)
        return obj

    def find(self, kind: str, object_id: str) -> tuple[str, dict[str, Any]]:
        """Return (account, object) for an id of a type on any account, else 404."""
        found = self.store.find(object_id)
        if found is None or found[1]["object"] != kind:
            raise missing(kind, object_id)
        return found

    def render(
        self, obj: dict[str, Any], account: str, expand: list[str] | None = None
    ) -> dict[str, Any]:
        """Return the public form of an object, with `expand` paths filled in."""
        result = public(obj)
        wanted = [path.split(".")[0] for path in expand or []]
        if obj.get("object") == "charge":
            # Since API version 2022-11-15 a Charge lists its refunds only when
            # asked with `expand[]=refunds`; otherwise the key is absent.
            result.pop("refunds", None)
        if obj.get("object") == "charge" and "refunds" in wanted:
            refunds = [
                public(r)
                for r in self.store.all("refund", account)
                if r["charge"] == obj["id"]
            ]
            result["refunds"] = {
                **list_object(f"/v1/charges/{obj['id']}/refunds", refunds[:10]),
                "has_more": len(refunds) > 10,
            }
        for path in expand or []:
            self._expand(result, obj, path.split("."), account, path)
        return result

    def _expand(
        self,
        target: dict[str, Any],
        source: dict[str, Any],
        parts: list[str],
        account: str,
        path: str,
    ) -> None:
        name, rest = parts[0], parts[1:]
        if name == "line_items" and source.get("object") == "checkout.session":
            target["line_items"] = line_items_list(source)
            return
        value = target.get(name)
        if name not in target or not isinstance(value, (str, dict)) or name == "id":
            if value is None and name in target:
                return
            raise invalid(f"This property cannot be expanded ({path}).", param="expand")
        if isinstance(value, str):
            child = self.store.get(value, account)
            if child is None:
                raise invalid(
                    f"This property cannot be expanded ({path}).", param="expand"
                )
            target[name] = self.render(child, account)
            source = child
        else:
            loaded = self.store.get(value.get("id", ""), account)
            source = loaded or value
        if rest:
            self._expand(target[name], source, rest, account, path)

    def page(
        self,
        ctx: Context,
        items: list[dict[str, Any]],
        params: dict[str, Any],
        url: str,
    ) -> dict[str, Any]:
        """Return a Stripe list page honouring limit/starting_after/ending_before."""
        limit = as_int(params.get("limit", 10), "limit")
        if not 1 <= limit <= 100:
            raise invalid("Limit must be between 1 and 100.", param="limit")
        ids = [item["id"] for item in items]
        after = params.get("starting_after")
        before = params.get("ending_before")
        if after:
            if after not in ids:
                raise missing("object", after, "starting_after")
            items = items[ids.index(after) + 1 :]
        elif before:
            if before not in ids:
                raise missing("object", before, "ending_before")
            items = items[: ids.index(before)][-limit:]
        expand = [p.removeprefix("data.") for p in params.get("expand") or []]
        return {
            "object": "list",
            "data": [self.render(item, ctx.account, expand) for item in items[:limit]],
            "has_more": len(items) > limit,
            "url": url,
        }


def retrieve(kind: str) -> Callable[..., dict[str, Any]]:
    """Return the API handler of `GET /v1/<kind>s/{id}`."""

    def handler(
        sandbox: SandboxCore, ctx: Context, params: dict[str, Any], id: str
    ) -> dict[str, Any]:
        obj = sandbox.get(ctx, kind, id)
        return sandbox.render(obj, ctx.account, params.get("expand"))

    return handler
