"""The sandbox's Stripe behaviour: objects, validation, payments, refunds, events.

`Sandbox` works on plain dicts and raises `ApiError` / `OAuthError`; the WSGI
layer in `app.py` turns HTTP into calls here and answers with what they return.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from . import objects
from .errors import ApiError, OAuthError, invalid, missing
from .objects import DEMO_ACCOUNT, PLATFORM_ACCOUNT, public
from .store import Store
from .webhooks import Deliverer

CHECKOUT_LOCALES = frozenset(
    [
        "auto",
        "bg",
        "cs",
        "da",
        "de",
        "el",
        "en",
        "en-GB",
        "es",
        "es-419",
        "et",
        "fi",
        "fil",
        "fr",
        "fr-CA",
        "hr",
        "hu",
        "id",
        "it",
        "ja",
        "ko",
        "lt",
        "lv",
        "ms",
        "mt",
        "nb",
        "nl",
        "pl",
        "pt",
        "pt-BR",
        "ro",
        "ru",
        "sk",
        "sl",
        "sv",
        "th",
        "tr",
        "vi",
        "zh",
        "zh-HK",
        "zh-TW",
    ]
)
REFUND_REASONS = frozenset({"duplicate", "fraudulent", "requested_by_customer"})
MIN_EXPIRY = 30 * 60
MAX_EXPIRY = 24 * 60 * 60
# Seconds of slack on the lower `expires_at` bound: a client computes "now +
# 30 minutes" a moment before the request reaches the sandbox.
EXPIRY_SLACK = 60
OAUTH_CODE_LIFETIME = 300


@dataclass(frozen=True)
class Card:
    """What a test card number does on the hosted checkout page."""

    outcome: str  # "paid", "async" or "declined"
    brand: str = "visa"
    decline_code: str | None = None
    message: str | None = None


CARDS = {
    "4242424242424242": Card("paid"),
    "5555555555554444": Card("paid", brand="mastercard"),
    "4000000000000077": Card("async"),
    "4000000000000002": Card(
        "declined", decline_code="generic_decline", message="Your card was declined."
    ),
    "4000000000009995": Card(
        "declined",
        decline_code="insufficient_funds",
        message="Your card has insufficient funds.",
    ),
    "4000000000000069": Card(
        "declined", decline_code="expired_card", message="Your card has expired."
    ),
}
PAY_CARD = "4242424242424242"
DECLINE_CARD = "4000000000000002"
ASYNC_CARD = "4000000000000077"


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


def _int(value: Any, param: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    raise invalid(
        f"Invalid integer: {value}", param=param, code="parameter_invalid_integer"
    )


def _bool(value: Any, param: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise invalid(f"Invalid boolean: {value}", param=param)


def _str(params: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise invalid(
                f"Missing required param: {name}.", param=name, code="parameter_missing"
            )
        return None
    if not isinstance(value, str):
        raise invalid(f"Invalid string: {value!r}", param=name)
    return value


def _metadata(value: Any, param: str = "metadata") -> dict[str, str]:
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


def _fingerprint(card_number: str) -> str:
    return hashlib.sha256(card_number.encode()).hexdigest()[:16]


class Sandbox:
    """Stripe's behaviour on top of a `Store`; callers hold `store.lock`."""

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
            self._bootstrap()

    # -- clock, state, events ------------------------------------------------

    def now(self) -> int:
        """Return the sandbox's time: the wall clock plus any advance."""
        return int(time.time()) + int(self.store.get_meta("clock_offset", 0))

    def advance_clock(self, seconds: int) -> int:
        """Move the sandbox clock forward and expire what that makes due."""
        if seconds < 0:
            raise invalid("The clock only moves forward.", param="seconds")
        offset = int(self.store.get_meta("clock_offset", 0)) + seconds
        self.store.set_meta("clock_offset", offset)
        self.sweep()
        return self.now()

    def reset(self) -> None:
        """Forget everything and start again from the bootstrap state."""
        self.store.wipe()
        self.options = Options(**vars(self.default_options))
        self.discard_outbox()
        self.deliverer.clear()
        self._bootstrap()

    def _bootstrap(self) -> None:
        created = self.now()
        if self.store.get(PLATFORM_ACCOUNT) is None:
            platform = objects.account(
                account_id=PLATFORM_ACCOUNT,
                created=created,
                business_name=objects.PLATFORM_NAME,
                email="platform@example.com",
            )
            self.store.put(platform, PLATFORM_ACCOUNT)
        if self.store.get(DEMO_ACCOUNT) is None:
            demo = objects.account(
                account_id=DEMO_ACCOUNT,
                created=created,
                business_name=objects.DEMO_BUSINESS_NAME,
                email="demo-webinars@example.com",
                country="GB",
                default_currency="gbp",
            )
            self.store.put(demo, PLATFORM_ACCOUNT)
        endpoints = list(self.startup.extra_endpoints)
        url = self.startup.webhook_url
        if url and self.startup.webhook_secret:
            endpoints.append((url, self.startup.webhook_secret, False))
        if url and self.startup.connect_webhook_secret:
            endpoints.append((url, self.startup.connect_webhook_secret, True))
        for endpoint_url, secret, connect in endpoints:
            self.register_endpoint(url=endpoint_url, secret=secret, connect=connect)

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
                    return self.store.put(existing, PLATFORM_ACCOUNT)
        endpoint = objects.webhook_endpoint(
            created=self.now(),
            url=url,
            enabled_events=enabled_events or ["*"],
            description=description,
            metadata=metadata or {},
            secret=secret,
            connect=connect,
        )
        return self.store.put(endpoint, PLATFORM_ACCOUNT)

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
        event = objects.event(
            event_type=event_type,
            created=self.now(),
            obj=self.render(obj, account),
            account=account if connect else None,
            previous_attributes=previous,
            request_id=ctx.request_id if ctx else None,
            idempotency_key=ctx.idempotency_key if ctx else None,
            pending_webhooks=len(endpoints),
        )
        self.store.put(event, account)
        with self._outbox_lock:
            self._outbox.append(event)
        return event

    def _endpoints_for(
        self, event_type: str, *, connect: bool
    ) -> list[tuple[str, str]]:
        found = []
        for endpoint in self.store.all("webhook_endpoint", PLATFORM_ACCOUNT):
            events = endpoint["enabled_events"]
            if endpoint["_connect"] != connect or endpoint["status"] != "enabled":
                continue
            if "*" in events or event_type in events:
                found.append((endpoint["url"], endpoint["_secret"]))
        return found

    def flush_outbox(self) -> None:
        """Hand committed events to the deliverer."""
        with self._outbox_lock:
            events, self._outbox = self._outbox, []
        for event in events:
            connect = "account" in event
            self.deliverer.enqueue(
                event, self._endpoints_for(event["type"], connect=connect)
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
        found = self.store.find(event_id)
        if found is None or found[1]["object"] != "event":
            raise missing("event", event_id)
        event = found[1]
        with self._outbox_lock:
            self._outbox.append(event)
        return event

    def sweep(self) -> None:
        """Expire open Checkout Sessions whose `expires_at` has passed."""
        for session_id in self.store.expired_sessions(self.now()):
            owner, session = self.store.find(session_id) or (None, None)
            if owner is not None and session is not None:
                self._expire(session, owner, ctx=None)

    # -- accounts --------------------------------------------------------------

    def check_account(self, account_id: str) -> dict[str, Any]:
        """Return a connected account the platform may act on, else 403."""
        acct = self.store.get(account_id, PLATFORM_ACCOUNT)
        if acct is None or acct["object"] != "account" or not acct["_connected"]:
            raise ApiError(
                "The provided key 'sk_test_*****' does not have access to account "
                f"'{account_id}' (or that account does not exist). Application "
                "access may have been revoked.",
                status=403,
                code="account_invalid",
            )
        return acct

    def retrieve_account(self, ctx: Context, account_id: str | None) -> dict[str, Any]:
        """Return `/v1/account` (the caller's) or `/v1/accounts/{id}`."""
        target = account_id or ctx.account
        if ctx.account not in (PLATFORM_ACCOUNT, target):
            # A connected account sees only itself.
            raise ApiError(
                f"The account {ctx.account} cannot access account {target}.",
                status=403,
                code="account_invalid",
            )
        return self.render(self.check_account(target), PLATFORM_ACCOUNT)

    def create_account(
        self,
        *,
        business_name: str,
        email: str | None = None,
        country: str = "US",
        default_currency: str = "usd",
        charges_enabled: bool = True,
        details_submitted: bool = True,
        account_id: str | None = None,
    ) -> dict[str, Any]:
        """Create a connected test account already linked to the platform."""
        acct = objects.account(
            account_id=account_id or objects.new_id("acct_1", 16),
            created=self.now(),
            business_name=business_name,
            email=email,
            country=country,
            default_currency=default_currency,
            charges_enabled=charges_enabled,
            details_submitted=details_submitted,
        )
        return self.store.put(acct, PLATFORM_ACCOUNT)

    def update_account(
        self, account_id: str, changes: dict[str, Any]
    ) -> dict[str, Any]:
        """Change an account as its owner would, and emit `account.updated`."""
        acct = self.store.get(account_id, PLATFORM_ACCOUNT)
        if acct is None or acct["object"] != "account":
            raise missing("account", account_id)
        previous: dict[str, Any] = {}
        for name in ("charges_enabled", "details_submitted", "payouts_enabled"):
            if name in changes:
                value = _bool(changes[name], name)
                if acct[name] != value:
                    previous[name] = acct[name]
                    acct[name] = value
        if "charges_enabled" in previous:
            state = "active" if acct["charges_enabled"] else "inactive"
            previous["capabilities"] = dict(acct["capabilities"])
            acct["capabilities"] = {"card_payments": state, "transfers": state}
        if changes.get("business_name"):
            previous["business_profile"] = {"name": acct["business_profile"]["name"]}
            acct["business_profile"]["name"] = changes["business_name"]
            acct["settings"]["dashboard"]["display_name"] = changes["business_name"]
        if changes.get("email"):
            previous["email"] = acct["email"]
            acct["email"] = changes["email"]
        self.store.put(acct, PLATFORM_ACCOUNT)
        if previous:
            self.emit("account.updated", acct, account=account_id, previous=previous)
        return acct

    def deauthorize(
        self, account_id: str, ctx: Context | None = None
    ) -> dict[str, Any]:
        """Unlink an account from the platform and emit the Connect event."""
        acct = self.check_account(account_id)
        acct["_connected"] = False
        self.store.put(acct, PLATFORM_ACCOUNT)
        application = {
            "id": self.startup.client_id,
            "name": objects.PLATFORM_NAME,
            "object": "application",
        }
        self.emit(
            "account.application.deauthorized", application, account=account_id, ctx=ctx
        )
        return acct

    def display_name(self, account_id: str) -> str:
        """Return the business name shown on hosted pages."""
        acct = self.store.get(account_id)
        if acct is None:
            return objects.PLATFORM_NAME
        return acct["settings"]["dashboard"]["display_name"] or account_id

    # -- OAuth -----------------------------------------------------------------

    def check_oauth_request(self, params: dict[str, Any]) -> None:
        """Validate `/oauth/authorize` parameters before showing consent."""
        if params.get("response_type") != "code":
            raise OAuthError(
                "unsupported_response_type", "Only response_type=code is supported."
            )
        if params.get("client_id") != self.startup.client_id:
            raise OAuthError(
                "invalid_client", f"No such application: '{params.get('client_id')}'"
            )
        if params.get("scope", "read_only") not in ("read_only", "read_write"):
            raise OAuthError("invalid_scope", "Invalid scope: use read_write.")
        redirect = params.get("redirect_uri") or ""
        if not redirect.startswith(("http://", "https://")):
            raise OAuthError("invalid_request", "A valid redirect_uri is required.")

    def authorize(
        self, *, scope: str, account_id: str | None, business_name: str
    ) -> str:
        """Link an account (new, or an existing test account) and return a code."""
        if account_id:
            acct = self.store.get(account_id, PLATFORM_ACCOUNT)
            if (
                acct is None
                or acct["object"] != "account"
                or acct["id"] == PLATFORM_ACCOUNT
            ):
                raise invalid("No such account", param="account")
            acct["_connected"] = True
            self.store.put(acct, PLATFORM_ACCOUNT)
        else:
            acct = self.create_account(business_name=business_name or "Sandbox Account")
        application = {
            "id": self.startup.client_id,
            "name": objects.PLATFORM_NAME,
            "object": "application",
        }
        self.emit("account.application.authorized", application, account=acct["id"])
        code = {
            "id": objects.new_id("ac_", 32),
            "object": "oauth_code",
            "account": acct["id"],
            "scope": scope,
            "created": self.now(),
            "used": False,
        }
        self.store.put(code, PLATFORM_ACCOUNT)
        return code["id"]

    def connectable_accounts(self) -> list[dict[str, Any]]:
        """Return test accounts a person may pick on the consent page."""
        return [
            acct
            for acct in self.store.all("account", PLATFORM_ACCOUNT)
            if acct["id"] != PLATFORM_ACCOUNT
        ]

    def oauth_token(self, params: dict[str, Any]) -> dict[str, Any]:
        """Exchange an authorization code for the connected account's id."""
        if params.get("grant_type") != "authorization_code":
            raise OAuthError(
                "unsupported_grant_type",
                f"Unsupported grant type: {params.get('grant_type')}",
            )
        code_id = params.get("code") or ""
        code = self.store.get(code_id, PLATFORM_ACCOUNT)
        if code is None or code["object"] != "oauth_code":
            raise OAuthError(
                "invalid_grant", f"Authorization code does not exist: {code_id}"
            )
        if code["used"]:
            raise OAuthError(
                "invalid_grant",
                f"This authorization code has already been used: {code_id}",
            )
        if self.now() - code["created"] > OAUTH_CODE_LIFETIME:
            raise OAuthError("invalid_grant", f"Authorization code expired: {code_id}")
        code["used"] = True
        self.store.put(code, PLATFORM_ACCOUNT)
        return {
            "access_token": objects.new_id("sk_test_", 40),
            "livemode": False,
            "refresh_token": objects.new_id("rt_", 40),
            "scope": code["scope"],
            "stripe_publishable_key": objects.new_id("pk_test_", 40),
            "stripe_user_id": code["account"],
            "token_type": "bearer",
        }

    def oauth_deauthorize(self, params: dict[str, Any]) -> dict[str, Any]:
        """Unlink an account through `/oauth/deauthorize`."""
        account_id = params.get("stripe_user_id") or ""
        if params.get("client_id") != self.startup.client_id:
            raise OAuthError(
                "invalid_client",
                f"No such application: '{params.get('client_id')}'",
                status=401,
            )
        try:
            self.check_account(account_id)
        except ApiError:
            raise OAuthError(
                "invalid_client",
                f"This application is not connected to stripe account {account_id}, "
                "or that account does not exist.",
                status=401,
            ) from None
        self.deauthorize(account_id)
        return {"stripe_user_id": account_id}

    # -- reading objects -------------------------------------------------------

    def get(self, ctx: Context, kind: str, object_id: str) -> dict[str, Any]:
        """Return a stored object of a type on the caller's account, else 404."""
        obj = self.store.get(object_id, ctx.account)
        if obj is None or obj["object"] != kind:
            raise missing(kind, object_id)
        return obj

    def render(
        self, obj: dict[str, Any], account: str, expand: list[str] | None = None
    ) -> dict[str, Any]:
        """Return the public form of an object, with `expand` paths filled in."""
        result = public(obj)
        if obj.get("object") == "charge":
            refunds = [
                public(r)
                for r in self.store.all("refund", account)
                if r["charge"] == obj["id"]
            ]
            result["refunds"]["data"] = refunds[:10]
            result["refunds"]["has_more"] = len(refunds) > 10
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
            target["line_items"] = self._line_items(source)
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

    def _line_items(self, session: dict[str, Any]) -> dict[str, Any]:
        items = public(session["_line_items"])
        return {
            "object": "list",
            "data": items,
            "has_more": False,
            "url": f"/v1/checkout/sessions/{session['id']}/line_items",
        }

    def line_items(self, ctx: Context, session_id: str) -> dict[str, Any]:
        """Return `GET /v1/checkout/sessions/{id}/line_items`."""
        return self._line_items(self.get(ctx, "checkout.session", session_id))

    def page(
        self,
        ctx: Context,
        items: list[dict[str, Any]],
        params: dict[str, Any],
        url: str,
    ) -> dict[str, Any]:
        """Return a Stripe list page honouring limit/starting_after/ending_before."""
        limit = _int(params.get("limit", 10), "limit")
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

    def list_sessions(self, ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
        """Return `GET /v1/checkout/sessions`."""
        items = self.store.all("checkout.session", ctx.account)
        for name in ("payment_intent", "status", "client_reference_id"):
            if params.get(name):
                items = [s for s in items if s[name] == params[name]]
        return self.page(ctx, items, params, "/v1/checkout/sessions")

    def list_refunds(self, ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
        """Return `GET /v1/refunds`, optionally for one PaymentIntent or charge."""
        items = self.store.all("refund", ctx.account)
        for name in ("payment_intent", "charge"):
            if params.get(name):
                items = [r for r in items if r[name] == params[name]]
        return self.page(ctx, items, params, "/v1/refunds")

    def list_events(self, ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
        """Return `GET /v1/events`, filtered by `type` or `types`."""
        items = self.store.all("event", ctx.account)
        wanted = params.get("types") or ([params["type"]] if params.get("type") else [])
        if wanted:
            items = [e for e in items if _type_matches(e["type"], wanted)]
        return self.page(ctx, items, params, "/v1/events")

    # -- Checkout --------------------------------------------------------------

    def create_session(
        self, ctx: Context, params: dict[str, Any], public_url: str
    ) -> dict[str, Any]:
        """Validate like Stripe and create an open Checkout Session."""
        mode = _str(params, "mode", required=True)
        if mode != "payment":
            raise invalid(
                f"The sandbox supports only mode=payment, not {mode}.", param="mode"
            )
        now = self.now()
        line_items, currency, total = self._parse_line_items(params, now)
        minimum = objects.MINIMUM_AMOUNTS[currency]
        if total == 0:
            raise invalid(
                "A Checkout Session in payment mode needs a total amount greater "
                "than zero.",
                code="amount_too_small",
            )
        if total < minimum:
            raise invalid(
                "The Checkout Session's total amount due must add up to at least "
                f"{objects.format_amount(minimum, currency)} {currency}",
                code="amount_too_small",
            )
        if total > objects.MAXIMUM_AMOUNT:
            raise invalid(
                "The Checkout Session's total amount due must be no more than "
                f"{objects.format_amount(objects.MAXIMUM_AMOUNT, currency)} {currency}",
                code="amount_too_large",
            )
        expires_at = now + MAX_EXPIRY
        if params.get("expires_at") not in (None, ""):
            expires_at = _int(params["expires_at"], "expires_at")
            if expires_at < now + MIN_EXPIRY - EXPIRY_SLACK:
                raise invalid(
                    "The `expires_at` timestamp must be at least 30 minutes from "
                    "Checkout Session creation.",
                    param="expires_at",
                )
            if expires_at > now + MAX_EXPIRY:
                raise invalid(
                    "The `expires_at` timestamp must be less than 24 hours from "
                    "Checkout Session creation.",
                    param="expires_at",
                )
        email = _str(params, "customer_email")
        if email is not None and ("@" not in email or " " in email):
            raise invalid(f"Invalid email address: {email}", param="customer_email")
        reference = _str(params, "client_reference_id")
        if reference is not None and len(reference) > 200:
            raise invalid(
                "client_reference_id must be at most 200 characters.",
                param="client_reference_id",
            )
        locale = _str(params, "locale")
        if locale is not None and locale not in CHECKOUT_LOCALES:
            raise invalid(
                f"Invalid locale: {locale}. Must be one of "
                + ", ".join(sorted(CHECKOUT_LOCALES)),
                param="locale",
            )
        for name in ("success_url", "cancel_url"):
            url = _str(params, name)
            if url is not None and not url.startswith(("http://", "https://")):
                raise invalid("Not a valid URL", param=name)
        intent_data = self._parse_intent_data(ctx, params, total)
        session_id = objects.new_id("cs_test_a1", 58)
        session = objects.checkout_session(
            session_id=session_id,
            created=now,
            expires_at=expires_at,
            url=f"{public_url}/c/pay/{session_id}",
            line_items=line_items,
            currency=currency,
            amount_total=total,
            customer_email=email,
            client_reference_id=reference,
            metadata=_metadata(params.get("metadata")),
            success_url=_str(params, "success_url"),
            cancel_url=_str(params, "cancel_url"),
            locale=locale,
            payment_intent_data=intent_data,
        )
        self.store.put(session, ctx.account)
        return session

    def _parse_line_items(
        self, params: dict[str, Any], now: int
    ) -> tuple[list[dict[str, Any]], str, int]:
        raw = params.get("line_items")
        if not raw:
            raise invalid(
                "Missing required param: line_items.",
                param="line_items",
                code="parameter_missing",
            )
        if not isinstance(raw, list):
            raise invalid("Invalid array", param="line_items")
        items: list[dict[str, Any]] = []
        currencies = set()
        total = 0
        for index, item in enumerate(raw):
            prefix = f"line_items[{index}]"
            if not isinstance(item, dict):
                raise invalid("Invalid hash", param=prefix)
            if item.get("price"):
                raise missing("price", str(item["price"]), f"{prefix}[price]")
            data = item.get("price_data")
            if not isinstance(data, dict):
                raise invalid(
                    "You must specify either `price` or `price_data`.",
                    param=f"{prefix}[price_data]",
                    code="parameter_missing",
                )
            currency = str(data.get("currency") or "").lower()
            if not currency:
                raise invalid(
                    "Missing required param: currency.",
                    param=f"{prefix}[price_data][currency]",
                    code="parameter_missing",
                )
            if currency not in objects.MINIMUM_AMOUNTS:
                raise invalid(
                    f"Invalid currency: {currency}. The sandbox supports "
                    + ", ".join(sorted(objects.MINIMUM_AMOUNTS)),
                    param=f"{prefix}[price_data][currency]",
                )
            if data.get("unit_amount") in (None, ""):
                raise invalid(
                    "Missing required param: unit_amount.",
                    param=f"{prefix}[price_data][unit_amount]",
                    code="parameter_missing",
                )
            unit_amount = _int(
                data["unit_amount"], f"{prefix}[price_data][unit_amount]"
            )
            if unit_amount < 0:
                raise invalid(
                    "This value must be greater than or equal to 0.",
                    param=f"{prefix}[price_data][unit_amount]",
                    code="parameter_invalid_integer",
                )
            if unit_amount > objects.MAXIMUM_AMOUNT:
                raise invalid(
                    "This value must be less than or equal to "
                    f"{objects.MAXIMUM_AMOUNT}.",
                    param=f"{prefix}[price_data][unit_amount]",
                    code="parameter_invalid_integer",
                )
            product = data.get("product_data")
            name = product.get("name") if isinstance(product, dict) else None
            if not name:
                raise invalid(
                    "Missing required param: product_data[name].",
                    param=f"{prefix}[price_data][product_data][name]",
                    code="parameter_missing",
                )
            if item.get("quantity") in (None, ""):
                raise invalid(
                    "Quantity is required. Add `quantity` to `line_items[0]`",
                    param=f"{prefix}[quantity]",
                    code="parameter_missing",
                )
            quantity = _int(item["quantity"], f"{prefix}[quantity]")
            if quantity < 1:
                raise invalid(
                    "This value must be greater than or equal to 1.",
                    param=f"{prefix}[quantity]",
                )
            currencies.add(currency)
            total += unit_amount * quantity
            items.append(
                objects.line_item(
                    name=name,
                    currency=currency,
                    unit_amount=unit_amount,
                    quantity=quantity,
                    created=now,
                )
            )
        if len(currencies) > 1:
            raise invalid(
                "All line items must use the same currency.", param="line_items"
            )
        return items, currencies.pop(), total

    def _parse_intent_data(
        self, ctx: Context, params: dict[str, Any], total: int
    ) -> dict[str, Any]:
        data = params.get("payment_intent_data") or {}
        if not isinstance(data, dict):
            raise invalid("Invalid hash", param="payment_intent_data")
        fee = data.get("application_fee_amount")
        result: dict[str, Any] = {
            "metadata": _metadata(
                data.get("metadata"), "payment_intent_data[metadata]"
            ),
            "description": data.get("description") or None,
            "application_fee_amount": None,
        }
        if fee not in (None, ""):
            param = "payment_intent_data[application_fee_amount]"
            amount = _int(fee, param)
            if ctx.account == PLATFORM_ACCOUNT:
                raise invalid(
                    "Can only apply an application_fee_amount when the PaymentIntent "
                    "is attempting a direct payment (using an OAuth key or "
                    "Stripe-Account header) or destination payment (using "
                    "`transfer_data[destination]`).",
                    param=param,
                )
            if not 0 <= amount <= total:
                raise invalid(
                    "The application fee must be between 0 and the total amount.",
                    param=param,
                )
            result["application_fee_amount"] = amount
        if ctx.account != PLATFORM_ACCOUNT:
            acct = self.check_account(ctx.account)
            if not acct["charges_enabled"]:
                raise invalid(
                    f"The account {ctx.account} cannot currently make charges: "
                    "charges_enabled is false.",
                    code="account_invalid",
                )
        return result

    def expire_session(self, ctx: Context, session_id: str) -> dict[str, Any]:
        """Expire an open session (`POST /v1/checkout/sessions/{id}/expire`)."""
        session = self.get(ctx, "checkout.session", session_id)
        if session["status"] != "open":
            raise invalid(
                'Only Checkout Sessions with a status in ["open"] can be expired. '
                f'This Checkout Session has a status of "{session["status"]}".',
                param="session",
            )
        return self._expire(session, ctx.account, ctx=ctx)

    def _expire(
        self, session: dict[str, Any], account: str, *, ctx: Context | None
    ) -> dict[str, Any]:
        session["status"] = "expired"
        session["url"] = None
        self.store.put(session, account)
        self.emit("checkout.session.expired", session, account=account, ctx=ctx)
        return session

    def find_session(self, session_id: str) -> tuple[str, dict[str, Any]]:
        """Return (account, session) for the hosted page, on any account."""
        found = self.store.find(session_id)
        if found is None or found[1]["object"] != "checkout.session":
            raise missing("checkout.session", session_id)
        return found

    def pay(self, session_id: str, card_number: str) -> tuple[str, dict[str, Any]]:
        """Pay an open session with a test card; return (outcome, session).

        The outcome is "paid", "async", or a decline message for the page.
        """
        account, session = self.find_session(session_id)
        if session["status"] != "open":
            raise invalid(f"This Checkout Session is {session['status']}.")
        number = "".join(card_number.split())
        if not number:
            return "Your card number is incomplete.", session
        card = CARDS.get(number)
        if card is None:
            return "Your card number is incorrect.", session
        if card.outcome == "declined":
            return card.message or "Your card was declined.", session
        now = self.now()
        intent_data = session["_payment_intent_data"]
        amount = session["amount_total"]
        currency = session["currency"]
        fee = intent_data["application_fee_amount"]
        intent_id = objects.new_id("pi_3")
        charge_id = objects.new_id("ch_3")
        method_id = objects.new_id("pm_1")
        email = session["customer_email"]
        description = intent_data["description"]
        charge = objects.charge(
            charge_id=charge_id,
            created=now,
            amount=amount,
            currency=currency,
            status="succeeded" if card.outcome == "paid" else "pending",
            payment_intent_id=intent_id,
            payment_method=method_id,
            metadata=dict(intent_data["metadata"]),
            description=description,
            email=email,
            application_fee_amount=fee,
            balance_transaction=None,
            card={
                "brand": card.brand,
                "last4": number[-4:],
                "fingerprint": _fingerprint(number),
            },
            account_name=self.display_name(account),
        )
        intent = objects.payment_intent(
            intent_id=intent_id,
            created=now,
            amount=amount,
            currency=currency,
            status="succeeded" if card.outcome == "paid" else "processing",
            metadata=dict(intent_data["metadata"]),
            description=description,
            receipt_email=email,
            application_fee_amount=fee,
            payment_method=method_id,
            latest_charge=charge_id,
        )
        if card.outcome == "paid":
            self._settle_charge(charge, account)
        self.store.put(charge, account)
        self.store.put(intent, account)
        session.update(
            status="complete",
            payment_status="paid" if card.outcome == "paid" else "unpaid",
            payment_intent=intent_id,
            url=None,
            customer_details={
                "address": None,
                "business_name": None,
                "email": email or "customer@example.com",
                "individual_name": None,
                "name": "Sandbox Customer",
                "phone": None,
                "tax_exempt": "none",
                "tax_ids": [],
            },
            collected_information={
                "business_name": None,
                "individual_name": None,
                "shipping_details": None,
            },
        )
        self.store.put(session, account)
        if card.outcome == "paid":
            self.emit("charge.succeeded", charge, account=account)
            self.emit("payment_intent.succeeded", intent, account=account)
        else:
            self.emit("charge.pending", charge, account=account)
            self.emit("payment_intent.processing", intent, account=account)
        self.emit("checkout.session.completed", session, account=account)
        return card.outcome, session

    def _settle_charge(self, charge: dict[str, Any], account: str) -> None:
        amount = charge["amount"]
        currency = charge["currency"]
        details = [
            objects.fee_detail(
                objects.stripe_fee(amount),
                currency,
                "stripe_fee",
                "Stripe processing fees",
            )
        ]
        if charge["application_fee_amount"]:
            details.append(
                objects.fee_detail(
                    charge["application_fee_amount"],
                    currency,
                    "application_fee",
                    f"{objects.PLATFORM_NAME} application fee",
                )
            )
        txn = objects.balance_transaction(
            created=self.now(),
            amount=amount,
            currency=currency,
            source=charge["id"],
            kind="charge",
            description=charge["description"],
            fee_details=details,
        )
        self.store.put(txn, account)
        charge.update(
            status="succeeded",
            paid=True,
            captured=True,
            amount_captured=amount,
            balance_transaction=txn["id"],
        )

    def settle_payment(self, intent_id: str, outcome: str) -> dict[str, Any]:
        """Finish a processing (async) payment as succeeded or failed."""
        found = self.store.find(intent_id)
        if found is None or found[1]["object"] != "payment_intent":
            raise missing("payment_intent", intent_id)
        account, intent = found
        if intent["status"] != "processing":
            raise invalid(
                f"PaymentIntent {intent_id} is {intent['status']}, not processing."
            )
        charge = self.store.get(intent["latest_charge"], account)
        sessions = [
            s
            for s in self.store.all("checkout.session", account)
            if s["payment_intent"] == intent_id
        ]
        if charge is None:
            raise missing("charge", intent["latest_charge"])
        if outcome == "succeeded":
            self._settle_charge(charge, account)
            intent.update(status="succeeded", amount_received=intent["amount"])
            self.store.put(charge, account)
            self.store.put(intent, account)
            self.emit("charge.succeeded", charge, account=account)
            self.emit("payment_intent.succeeded", intent, account=account)
            for session in sessions:
                session["payment_status"] = "paid"
                self.store.put(session, account)
                self.emit(
                    "checkout.session.async_payment_succeeded",
                    session,
                    account=account,
                    previous={"payment_status": "unpaid"},
                )
        elif outcome == "failed":
            charge.update(
                status="failed",
                failure_code="insufficient_funds",
                failure_message="The payment could not be completed.",
            )
            charge["outcome"].update(
                network_status="declined_by_network",
                reason="insufficient_funds",
                seller_message="The bank returned the payment.",
                type="issuer_declined",
            )
            intent.update(
                status="requires_payment_method",
                last_payment_error={
                    "charge": charge["id"],
                    "code": "card_declined",
                    "decline_code": "insufficient_funds",
                    "message": "The payment could not be completed.",
                    "type": "card_error",
                },
            )
            self.store.put(charge, account)
            self.store.put(intent, account)
            self.emit("charge.failed", charge, account=account)
            self.emit("payment_intent.payment_failed", intent, account=account)
            for session in sessions:
                self.emit(
                    "checkout.session.async_payment_failed", session, account=account
                )
        else:
            raise invalid("outcome must be succeeded or failed", param="outcome")
        return intent

    # -- refunds ---------------------------------------------------------------

    def create_refund(
        self,
        ctx: Context,
        params: dict[str, Any],
        *,
        by_api: bool = True,
    ) -> dict[str, Any]:
        """Refund all or part of a charge; refuse more than remains."""
        intent_id = _str(params, "payment_intent")
        charge_id = _str(params, "charge")
        if intent_id:
            intent = self.get(ctx, "payment_intent", intent_id)
            if intent["status"] != "succeeded" or not intent["latest_charge"]:
                raise invalid(
                    f"This PaymentIntent ({intent_id}) does not have a successful "
                    "charge to refund.",
                    param="payment_intent",
                    code="payment_intent_unexpected_state",
                )
            if charge_id and charge_id != intent["latest_charge"]:
                raise invalid(
                    "The charge does not belong to this PaymentIntent.", param="charge"
                )
            charge_id = intent["latest_charge"]
        if not charge_id:
            raise invalid(
                "One of the following params should be provided for this request: "
                "payment_intent or charge.",
                code="parameter_missing",
            )
        charge = self.get(ctx, "charge", charge_id)
        if charge["status"] != "succeeded":
            raise invalid(
                f"Charge {charge_id} has not succeeded and cannot be refunded.",
                param="charge",
                code="charge_not_refundable",
            )
        if charge["disputed"]:
            raise invalid(
                f"Charge {charge_id} has been charged back; cannot issue a refund.",
                code="charge_disputed",
            )
        remaining = charge["amount"] - charge["amount_refunded"]
        if remaining <= 0:
            raise invalid(
                f"Charge {charge_id} has already been refunded.",
                code="charge_already_refunded",
            )
        amount = remaining
        if params.get("amount") not in (None, ""):
            amount = _int(params["amount"], "amount")
            if amount <= 0:
                raise invalid(
                    "Invalid positive integer",
                    param="amount",
                    code="parameter_invalid_integer",
                )
            if amount > remaining:
                currency = charge["currency"]
                raise invalid(
                    f"Refund amount ({objects.format_amount(amount, currency)}) is "
                    "greater than unrefunded amount on charge "
                    f"({objects.format_amount(remaining, currency)})",
                    param="amount",
                    code="amount_too_large",
                )
        reason = _str(params, "reason")
        if reason is not None and reason not in REFUND_REASONS:
            raise invalid(
                "Invalid reason: must be one of duplicate, fraudulent, or "
                "requested_by_customer",
                param="reason",
            )
        if params.get("refund_application_fee") not in (None, ""):
            _bool(params["refund_application_fee"], "refund_application_fee")
        pending = self.options.refunds_pending
        refund = objects.refund(
            refund_id=objects.new_id("re_3"),
            created=self.now(),
            amount=amount,
            currency=charge["currency"],
            charge_id=charge_id,
            payment_intent_id=charge["payment_intent"],
            reason=reason,
            metadata=_metadata(params.get("metadata")),
            status="pending" if pending else "succeeded",
            balance_transaction=None,
        )
        refund["_by_api"] = by_api
        if not pending:
            self._refund_balance(refund, ctx.account)
        previous = {
            "amount_refunded": charge["amount_refunded"],
            "refunded": charge["refunded"],
        }
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        self.store.put(refund, ctx.account)
        self.store.put(charge, ctx.account)
        event_ctx = ctx if by_api else None
        self.emit(
            "charge.refunded",
            charge,
            account=ctx.account,
            previous=previous,
            ctx=event_ctx,
        )
        self.emit("refund.created", refund, account=ctx.account, ctx=event_ctx)
        return refund

    def _refund_balance(self, refund: dict[str, Any], account: str) -> None:
        txn = objects.balance_transaction(
            created=self.now(),
            amount=-refund["amount"],
            currency=refund["currency"],
            source=refund["id"],
            kind="refund",
            description="REFUND FOR CHARGE",
            fee_details=[],
        )
        self.store.put(txn, account)
        refund["balance_transaction"] = txn["id"]

    def settle_refund(self, refund_id: str, outcome: str) -> dict[str, Any]:
        """Move a pending refund to succeeded or failed, emitting Stripe's events."""
        found = self.store.find(refund_id)
        if found is None or found[1]["object"] != "refund":
            raise missing("refund", refund_id)
        account, refund = found
        if refund["status"] != "pending":
            raise invalid(f"Refund {refund_id} is {refund['status']}, not pending.")
        previous = {"status": "pending"}
        if outcome == "succeeded":
            refund["status"] = "succeeded"
            self._refund_balance(refund, account)
            self.store.put(refund, account)
            self.emit("refund.updated", refund, account=account, previous=previous)
        elif outcome == "failed":
            refund["status"] = "failed"
            self.store.put(refund, account)
            charge = self.store.get(refund["charge"], account)
            if charge is not None:
                charge["amount_refunded"] -= refund["amount"]
                charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
                self.store.put(charge, account)
            self.emit("refund.updated", refund, account=account, previous=previous)
            self.emit("refund.failed", refund, account=account, previous=previous)
        else:
            raise invalid("outcome must be succeeded or failed", param="outcome")
        return refund

    def dashboard_refund(
        self, charge_or_intent: str, amount: int | None, reason: str | None
    ) -> dict[str, Any]:
        """Refund as a person would in the Stripe dashboard (no API request)."""
        found = self.store.find(charge_or_intent)
        if found is None or found[1]["object"] not in ("charge", "payment_intent"):
            raise missing("charge", charge_or_intent)
        account, obj = found
        key = "charge" if obj["object"] == "charge" else "payment_intent"
        params: dict[str, Any] = {key: charge_or_intent}
        if amount is not None:
            params["amount"] = amount
        if reason:
            params["reason"] = reason
        return self.create_refund(Context(account=account), params, by_api=False)

    # -- disputes --------------------------------------------------------------

    def open_dispute(
        self, charge_id: str, reason: str = "fraudulent"
    ) -> dict[str, Any]:
        """Open a dispute on a charge and emit `charge.dispute.created`."""
        found = self.store.find(charge_id)
        if found is None or found[1]["object"] != "charge":
            raise missing("charge", charge_id)
        account, charge = found
        if charge["status"] != "succeeded":
            raise invalid(f"Charge {charge_id} has not succeeded.")
        dispute = objects.dispute(created=self.now(), charge_obj=charge, reason=reason)
        charge["disputed"] = True
        self.store.put(charge, account)
        self.store.put(dispute, account)
        self.emit("charge.dispute.created", dispute, account=account)
        return dispute

    def close_dispute(self, dispute_id: str, status: str) -> dict[str, Any]:
        """Close a dispute as won or lost and emit `charge.dispute.closed`."""
        if status not in ("won", "lost"):
            raise invalid("status must be won or lost", param="status")
        found = self.store.find(dispute_id)
        if found is None or found[1]["object"] != "dispute":
            raise missing("dispute", dispute_id)
        account, dispute = found
        previous = {"status": dispute["status"]}
        dispute["status"] = status
        self.store.put(dispute, account)
        self.emit("charge.dispute.closed", dispute, account=account, previous=previous)
        return dispute


def _type_matches(event_type: str, wanted: list[str]) -> bool:
    for pattern in wanted:
        if pattern == event_type:
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False
