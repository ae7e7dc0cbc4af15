"""The sandbox as a plain WSGI application: Stripe's HTTP API, pages, controls."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
import wsgiref.util
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from . import pages
from .api import ASYNC_CARD, DECLINE_CARD, PAY_CARD, Context, Options, Sandbox, Startup
from .encoding import FormError, decode
from .errors import ApiError, OAuthError, invalid, missing
from .objects import PLATFORM_ACCOUNT, PLATFORM_NAME, new_id, public
from .store import Store
from .webhooks import Deliverer, WebhookConfig

logger = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
Environ = dict[str, Any]

FAULT_KINDS = ("500", "429", "rate_limit", "timeout")


@dataclass
class Response:
    """A status, headers and body, turned into a WSGI answer by `SandboxApp`."""

    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0


@dataclass
class Fault:
    """A failure the next `count` API requests answer with."""

    kind: str
    count: int
    delay: float


def json_response(
    status: int, body: Any, headers: list[tuple[str, str]] | None = None
) -> Response:
    """Return a JSON response such as Stripe's API sends."""
    payload = json.dumps(body, indent=2).encode()
    return Response(
        status, payload, [("Content-Type", "application/json"), *(headers or [])]
    )


def html_response(status: int, text: str) -> Response:
    """Return an HTML page."""
    return Response(
        status, text.encode(), [("Content-Type", "text/html; charset=utf-8")]
    )


def redirect(url: str, status: int = 303) -> Response:
    """Return a redirect to `url`."""
    return Response(status, b"", [("Location", url)])


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = "&".join(filter(None, [parts.query, urlencode(params)]))
    return urlunsplit(parts._replace(query=query))


_REASONS = {
    200: "OK",
    302: "Found",
    303: "See Other",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Request Failed",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    500: "Internal Server Error",
}


class SandboxApp:
    """Serve the Stripe sandbox as a WSGI application.

    `public_url` is the address clients reach this app at (the SDK's base
    address); it builds Checkout URLs. Without it the request's own host is used.
    """

    def __init__(
        self,
        *,
        store_dir: Path | None = None,
        public_url: str | None = None,
        client_id: str = "ca_sandbox",
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        connect_webhook_secret: str | None = None,
        webhook_config: WebhookConfig | None = None,
        options: Options | None = None,
        sweep_interval: float | None = 5.0,
    ) -> None:
        self.public_url = public_url.rstrip("/") if public_url else None
        self.store = Store(store_dir)
        self.default_webhook_config = webhook_config or WebhookConfig()
        self.deliverer = Deliverer(WebhookConfig(**vars(self.default_webhook_config)))
        self.sandbox = Sandbox(
            self.store,
            self.deliverer,
            startup=Startup(
                client_id=client_id,
                webhook_url=webhook_url,
                webhook_secret=webhook_secret,
                connect_webhook_secret=connect_webhook_secret,
            ),
            options=options,
        )
        self._faults: list[Fault] = []
        self._faults_lock = threading.Lock()
        self._routes = self._build_routes()
        self._stop = threading.Event()
        if sweep_interval:
            threading.Thread(
                target=self._sweep_forever,
                args=(sweep_interval,),
                name="stripe-sandbox-sweeper",
                daemon=True,
            ).start()

    # -- WSGI --------------------------------------------------------------------

    def __call__(
        self, environ: Environ, start_response: StartResponse
    ) -> Iterable[bytes]:
        """Answer one request."""
        request_id = "req_" + new_id("", 14)
        environ["sandbox.request_id"] = request_id
        try:
            response = self._dispatch(environ)
        except ApiError as error:
            response = json_response(
                error.status, error.body(), list(error.headers.items())
            )
        except OAuthError as error:
            response = json_response(error.status, error.body())
        except Exception:
            logger.exception("Stripe sandbox failed on %s", environ.get("PATH_INFO"))
            response = json_response(
                500,
                ApiError(
                    "An unknown error occurred", status=500, error_type="api_error"
                ).body(),
            )
        if response.delay:
            # A "timeout" fault: the work is done, the answer comes too late.
            time.sleep(response.delay)
        headers = [
            *response.headers,
            ("Request-Id", request_id),
            ("Content-Length", str(len(response.body))),
        ]
        reason = _REASONS.get(response.status, "Unknown")
        start_response(f"{response.status} {reason}", headers)
        return [response.body]

    def close(self) -> None:
        """Stop background threads and close the store."""
        self._stop.set()
        self.deliverer.stop()
        self.store.close()

    def _sweep_forever(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                self.run(lambda: self.sandbox.sweep())
            except Exception:
                logger.exception("Stripe sandbox sweep failed")

    def run(self, operation: Callable[[], Any]) -> Any:
        """Run an operation in one transaction, then deliver its events."""
        with self.store.lock:
            mark = self.sandbox.outbox_mark()
            try:
                with self.store.transaction():
                    result = operation()
            except BaseException:
                self.sandbox.discard_outbox(mark)
                raise
        self.sandbox.flush_outbox()
        return result

    def _dispatch(self, environ: Environ) -> Response:
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if path.startswith("/v1/") or path in ("/oauth/token", "/oauth/deauthorize"):
            return self._api(environ, method, path)
        if path.startswith("/_sandbox/"):
            return self._control(environ, method, path)
        if path.startswith("/c/pay/"):
            return self._checkout_page(environ, method, path.removeprefix("/c/pay/"))
        if path == "/oauth/authorize":
            return self._consent_page(environ, method)
        if path == "/":
            return html_response(200, pages.index(self._public_url(environ)))
        raise ApiError(f"Unrecognized request URL ({method}: {path}).", status=404)

    def _public_url(self, environ: Environ) -> str:
        return self.public_url or wsgiref.util.application_uri(environ).rstrip("/")

    # -- request parsing ---------------------------------------------------------

    @staticmethod
    def _params(environ: Environ) -> dict[str, Any]:
        try:
            params = decode(environ.get("QUERY_STRING", ""))
            body = SandboxApp._body(environ)
            if body:
                if environ.get("CONTENT_TYPE", "").startswith("application/json"):
                    params.update(json.loads(body))
                else:
                    params.update(decode(body.decode()))
        except (FormError, ValueError) as error:
            raise invalid(str(error)) from None
        return params

    @staticmethod
    def _body(environ: Environ) -> bytes:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length <= 0:
            return b""
        return environ["wsgi.input"].read(length)

    @staticmethod
    def _check_key(environ: Environ) -> None:
        header = environ.get("HTTP_AUTHORIZATION", "")
        key = (
            header.removeprefix("Bearer ").strip()
            if header.startswith("Bearer ")
            else ""
        )
        if not key:
            raise ApiError(
                "You did not provide an API key. You need to provide your API key "
                "in the Authorization header, using Bearer auth (e.g. "
                "'Authorization: Bearer YOUR_SECRET_KEY').",
                status=401,
            )
        if not key.startswith("sk_test_"):
            raise ApiError(
                f"Invalid API Key provided: {key[:8]}{'*' * 4}{key[-4:]}",
                status=401,
                code="api_key_invalid",
            )

    # -- faults --------------------------------------------------------------------

    def add_fault(self, kind: str, count: int, delay: float) -> None:
        """Make the next `count` API requests fail with `kind`."""
        if kind not in FAULT_KINDS:
            raise invalid(f"kind must be one of {', '.join(FAULT_KINDS)}", param="kind")
        with self._faults_lock:
            self._faults.append(Fault(kind, count, delay))

    def _take_fault(self) -> Fault | None:
        with self._faults_lock:
            while self._faults and self._faults[0].count <= 0:
                self._faults.pop(0)
            if not self._faults:
                return None
            fault = self._faults[0]
            fault.count -= 1
            return fault

    @staticmethod
    def _fault_response(fault: Fault) -> Response | None:
        if fault.kind == "500":
            error = ApiError(
                "An unknown error occurred", status=500, error_type="api_error"
            )
            return json_response(500, error.body())
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
            error = ApiError(
                "Request rate limit exceeded.", status=429, code="rate_limit"
            )
            return json_response(429, error.body())
        return None

    # -- the API -----------------------------------------------------------------

    def _build_routes(self) -> list[tuple[str, re.Pattern[str], Callable[..., Any]]]:
        s = self.sandbox
        table: list[tuple[str, str, Callable[..., Any]]] = [
            ("POST", r"/v1/checkout/sessions", self._create_session),
            ("GET", r"/v1/checkout/sessions", lambda c, p: s.list_sessions(c, p)),
            (
                "GET",
                r"/v1/checkout/sessions/(?P<id>[^/]+)",
                self._retrieve("checkout.session"),
            ),
            (
                "POST",
                r"/v1/checkout/sessions/(?P<id>[^/]+)/expire",
                lambda c, p, id: s.render(s.expire_session(c, id), c.account),
            ),
            (
                "GET",
                r"/v1/checkout/sessions/(?P<id>[^/]+)/line_items",
                lambda c, p, id: s.line_items(c, id),
            ),
            (
                "GET",
                r"/v1/payment_intents/(?P<id>[^/]+)",
                self._retrieve("payment_intent"),
            ),
            ("GET", r"/v1/charges/(?P<id>[^/]+)", self._retrieve("charge")),
            (
                "GET",
                r"/v1/balance_transactions/(?P<id>[^/]+)",
                self._retrieve("balance_transaction"),
            ),
            ("GET", r"/v1/disputes/(?P<id>[^/]+)", self._retrieve("dispute")),
            (
                "POST",
                r"/v1/refunds",
                lambda c, p: s.render(
                    s.create_refund(c, p), c.account, p.get("expand")
                ),
            ),
            ("GET", r"/v1/refunds", lambda c, p: s.list_refunds(c, p)),
            ("GET", r"/v1/refunds/(?P<id>[^/]+)", self._retrieve("refund")),
            ("GET", r"/v1/events", lambda c, p: s.list_events(c, p)),
            ("GET", r"/v1/events/(?P<id>[^/]+)", self._retrieve("event")),
            ("GET", r"/v1/account", lambda c, p: s.retrieve_account(c, None)),
            (
                "GET",
                r"/v1/accounts/(?P<id>[^/]+)",
                lambda c, p, id: s.retrieve_account(c, id),
            ),
            ("POST", r"/v1/webhook_endpoints", self._create_endpoint),
            ("GET", r"/v1/webhook_endpoints", self._list_endpoints),
            (
                "GET",
                r"/v1/webhook_endpoints/(?P<id>[^/]+)",
                self._retrieve("webhook_endpoint"),
            ),
            ("DELETE", r"/v1/webhook_endpoints/(?P<id>[^/]+)", self._delete_endpoint),
            ("POST", r"/oauth/token", lambda c, p: s.oauth_token(p)),
            ("POST", r"/oauth/deauthorize", lambda c, p: s.oauth_deauthorize(p)),
        ]
        return [(m, re.compile(pattern + r"/?\Z"), h) for m, pattern, h in table]

    def _retrieve(self, kind: str) -> Callable[..., dict[str, Any]]:
        def handler(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
            obj = self.sandbox.get(ctx, kind, id)
            return self.sandbox.render(obj, ctx.account, params.get("expand"))

        return handler

    def _create_session(self, ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
        session = self.sandbox.create_session(ctx, params, ctx.public_url)
        return self.sandbox.render(session, ctx.account, params.get("expand"))

    def _create_endpoint(self, ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
        if ctx.account != PLATFORM_ACCOUNT:
            raise invalid("Webhook endpoints belong to the platform account.")
        url = params.get("url") or ""
        events = params.get("enabled_events")
        if not events:
            raise invalid(
                "Missing required param: enabled_events.",
                param="enabled_events",
                code="parameter_missing",
            )
        connect = str(params.get("connect", "false")) == "true"
        endpoint = self.sandbox.register_endpoint(
            url=url,
            secret="whsec_" + new_id("", 32),
            connect=connect,
            enabled_events=list(events),
            description=params.get("description") or None,
            metadata=params.get("metadata") or {},
            replace=False,
        )
        # As on Stripe, the signing secret is shown only when it is created.
        return {**public(endpoint), "secret": endpoint["_secret"]}

    def _list_endpoints(self, ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
        items = self.store.all("webhook_endpoint", PLATFORM_ACCOUNT)
        return self.sandbox.page(ctx, items, params, "/v1/webhook_endpoints")

    def _delete_endpoint(
        self, ctx: Context, params: dict[str, Any], id: str
    ) -> dict[str, Any]:
        endpoint = self.sandbox.get(Context(), "webhook_endpoint", id)
        endpoint["status"] = "disabled"
        endpoint["url"] = "http://deleted.invalid/"
        self.store.put(endpoint, PLATFORM_ACCOUNT)
        return {"id": id, "object": "webhook_endpoint", "deleted": True}

    def _api(self, environ: Environ, method: str, path: str) -> Response:
        fault = self._take_fault()
        if fault is not None:
            failure = self._fault_response(fault)
            if failure is not None:
                return failure
        self._check_key(environ)
        for route_method, pattern, route_handler in self._routes:
            match = pattern.match(path)
            if match and route_method == method:
                handler = route_handler
                break
        else:
            raise ApiError(f"Unrecognized request URL ({method}: {path}).", status=404)
        params = self._params(environ)
        key = environ.get("HTTP_IDEMPOTENCY_KEY") if method == "POST" else None
        account = environ.get("HTTP_STRIPE_ACCOUNT") or PLATFORM_ACCOUNT
        ctx = Context(
            account=account,
            idempotency_key=key,
            public_url=self._public_url(environ),
        )
        fingerprint = hashlib.sha256(
            json.dumps([method, path, params], sort_keys=True).encode()
        ).hexdigest()

        self.run(self.sandbox.sweep)

        def operation() -> Response:
            if account != PLATFORM_ACCOUNT:
                self.sandbox.check_account(account)
            if key:
                stored = self.store.idempotent(account, key)
                if stored is not None:
                    if stored["fingerprint"] != fingerprint:
                        raise ApiError(
                            "Keys for idempotent requests can only be used with the "
                            "same parameters they were first used with. Try using a "
                            "key other than "
                            f"'{key}' if you meant to execute a different request.",
                            error_type="idempotency_error",
                        )
                    return Response(
                        stored["status"],
                        stored["body"].encode(),
                        [
                            ("Content-Type", "application/json"),
                            ("Idempotent-Replayed", "true"),
                            ("Original-Request", stored["request_id"]),
                        ],
                    )
            request_id = environ["sandbox.request_id"]
            ctx.request_id = request_id
            mark = self.sandbox.outbox_mark()
            try:
                with self.store.transaction():
                    response = json_response(
                        200, self._call(handler, ctx, params, match)
                    )
            except (ApiError, OAuthError) as error:
                self.sandbox.discard_outbox(mark)
                headers = list(getattr(error, "headers", {}).items())
                response = json_response(error.status, error.body(), headers)
            if key and response.status < 500 and response.status != 429:
                self.store.remember(
                    account=account,
                    key=key,
                    fingerprint=fingerprint,
                    status=response.status,
                    body=response.body.decode(),
                    request_id=request_id,
                )
            return response

        response = self.run(operation)
        if fault is not None and fault.kind == "timeout":
            response.delay = fault.delay
        return response

    @staticmethod
    def _call(
        handler: Callable[..., Any],
        ctx: Context,
        params: dict[str, Any],
        match: re.Match[str],
    ) -> Any:
        return handler(ctx, params, **match.groupdict())

    # -- hosted pages --------------------------------------------------------------

    def _checkout_page(
        self, environ: Environ, method: str, session_id: str
    ) -> Response:
        params = self._params(environ) if method == "POST" else {}

        def operation() -> Response:
            self.sandbox.sweep()
            try:
                account, session = self.sandbox.find_session(session_id)
            except ApiError:
                return html_response(
                    404, pages.message("Not found", "No such checkout session.")
                )
            if session["status"] != "open":
                return html_response(200, pages.closed(session))
            name = self.sandbox.display_name(account)
            if method != "POST":
                return html_response(200, pages.checkout(session, business_name=name))
            if params.get("action") == "cancel":
                if session["cancel_url"]:
                    return redirect(session["cancel_url"])
                return html_response(
                    200, pages.message("Cancelled", "You can close this page.")
                )
            outcome, session = self.sandbox.pay(
                session_id, str(params.get("card_number", ""))
            )
            if outcome not in ("paid", "async"):
                page = pages.checkout(session, business_name=name, error=outcome)
                return html_response(200, page)
            if session["success_url"]:
                url = session["success_url"].replace(
                    "{CHECKOUT_SESSION_ID}", session_id
                )
                return redirect(url)
            return html_response(
                200, pages.message("Thank you", "Your payment went through.")
            )

        return self.run(operation)

    def _consent_page(self, environ: Environ, method: str) -> Response:
        params = self._params(environ)
        try:
            self.sandbox.check_oauth_request(params)
        except OAuthError as error:
            return html_response(
                400, pages.message("Connect failed", error.description)
            )
        if method != "POST":
            accounts = self.run(self.sandbox.connectable_accounts)
            page = pages.consent(params, platform_name=PLATFORM_NAME, accounts=accounts)
            return html_response(200, page)
        state = {"state": params["state"]} if params.get("state") else {}
        if params.get("decision") != "authorize":
            return redirect(
                _with_query(
                    params["redirect_uri"],
                    {
                        "error": "access_denied",
                        "error_description": "The user denied your request",
                        **state,
                    },
                ),
                302,
            )
        code = self.run(
            lambda: self.sandbox.authorize(
                scope=params.get("scope", "read_only"),
                account_id=params.get("account") or None,
                business_name=params.get("business_name") or "",
            )
        )
        query = {"code": code, "scope": params.get("scope", "read_only"), **state}
        return redirect(_with_query(params["redirect_uri"], query), 302)

    # -- controls ------------------------------------------------------------------

    def _control(self, environ: Environ, method: str, path: str) -> Response:
        self._check_key(environ)
        params = self._params(environ)
        name = path.removeprefix("/_sandbox/").strip("/")
        s = self.sandbox
        parts = name.split("/")

        if method == "GET" and name == "state":
            return json_response(200, self._state())
        if method == "GET" and name == "webhooks/attempts":
            return json_response(200, {"data": self.deliverer.attempts()})
        if method == "GET" and len(parts) == 2 and parts[0] == "objects":
            found = self.store.find(parts[1])
            if found is None:
                raise missing("object", parts[1])
            return json_response(200, {"account": found[0], "object": public(found[1])})
        if method != "POST":
            raise ApiError(f"Unrecognized control ({method}: {path}).", status=404)
        if name == "webhooks/drain":
            drained = self.deliverer.drain(float(params.get("timeout", 10)))
            return json_response(
                200, {"drained": drained, "held": self.deliverer.held_count()}
            )
        if name == "webhooks/hold":
            self.deliverer.hold()
            return json_response(200, {"held": self.deliverer.held_count()})
        if name == "webhooks/release":
            try:
                released = self.deliverer.release(str(params.get("order", "in_order")))
            except ValueError as error:
                raise invalid(str(error), param="order") from None
            return json_response(200, {"released": released})
        if name == "faults":
            self.add_fault(
                str(params.get("kind", "500")),
                int(params.get("count", 1)),
                float(params.get("delay", 2.0)),
            )
            return json_response(200, {"ok": True})
        if name == "config":
            return json_response(200, self._configure(params))
        if name == "reset":
            with self._faults_lock:
                self._faults.clear()
            self.deliverer.config = WebhookConfig(**vars(self.default_webhook_config))
            self.run(s.reset)
            return json_response(200, self._state())
        result = self.run(lambda: self._mutating_control(parts, params))
        return json_response(200, result)

    def _mutating_control(self, parts: list[str], params: dict[str, Any]) -> Any:
        s = self.sandbox
        match parts:
            case ["clock", "advance"]:
                return {"now": s.advance_clock(int(params.get("seconds", 0)))}
            case ["accounts"]:
                acct = s.create_account(
                    business_name=str(params.get("business_name") or "Sandbox Account"),
                    email=params.get("email") or None,
                    country=str(params.get("country") or "US"),
                    default_currency=str(params.get("default_currency") or "usd"),
                    charges_enabled=_flag(params.get("charges_enabled", True)),
                    details_submitted=_flag(params.get("details_submitted", True)),
                    account_id=params.get("id") or None,
                )
                return public(acct)
            case ["accounts", account_id]:
                return public(s.update_account(account_id, params))
            case ["accounts", account_id, "deauthorize"]:
                return public(s.deauthorize(account_id))
            case ["checkout", "sessions", session_id, "complete"]:
                return self._complete(session_id, params)
            case ["checkout", "sessions", session_id, "expire"]:
                account, session = s.find_session(session_id)
                if session["status"] != "open":
                    raise invalid(f"Session {session_id} is {session['status']}.")
                return public(s._expire(session, account, ctx=None))
            case ["payment_intents", intent_id, "settle"]:
                return public(s.settle_payment(intent_id, str(params.get("outcome"))))
            case ["refunds", refund_id, "settle"]:
                return public(s.settle_refund(refund_id, str(params.get("outcome"))))
            case ["dashboard_refunds"]:
                target = params.get("charge") or params.get("payment_intent") or ""
                amount = params.get("amount")
                return public(
                    s.dashboard_refund(
                        str(target),
                        int(amount) if amount not in (None, "") else None,
                        params.get("reason") or None,
                    )
                )
            case ["charges", charge_id, "dispute"]:
                return public(
                    s.open_dispute(charge_id, str(params.get("reason") or "fraudulent"))
                )
            case ["disputes", dispute_id, "close"]:
                return public(s.close_dispute(dispute_id, str(params.get("status"))))
            case ["webhook_endpoints"]:
                endpoint = s.register_endpoint(
                    url=str(params.get("url") or ""),
                    secret=str(params.get("secret") or "whsec_" + new_id("", 32)),
                    connect=_flag(params.get("connect", False)),
                    enabled_events=list(params.get("enabled_events") or ["*"]),
                )
                return {**public(endpoint), "secret": endpoint["_secret"]}
            case ["events", event_id, "redeliver"]:
                return public(s.redeliver(event_id))
        raise ApiError(f"Unrecognized control: /_sandbox/{'/'.join(parts)}", status=404)

    def _complete(self, session_id: str, params: dict[str, Any]) -> dict[str, Any]:
        outcome = str(params.get("outcome") or "paid")
        cards = {"paid": PAY_CARD, "declined": DECLINE_CARD, "async": ASYNC_CARD}
        card = params.get("card") or cards.get(outcome)
        if card is None:
            raise invalid("outcome must be paid, declined or async", param="outcome")
        result, session = self.sandbox.pay(session_id, str(card))
        declined = result not in ("paid", "async")
        return {
            "outcome": "declined" if declined else result,
            "message": result if declined else None,
            "session": public(session),
        }

    def _configure(self, params: dict[str, Any]) -> dict[str, Any]:
        config = self.deliverer.config
        if "refunds_pending" in params:
            self.sandbox.options.refunds_pending = _flag(params["refunds_pending"])
        if "webhook_retry_delays" in params:
            config.retry_delays = tuple(
                float(d) for d in params["webhook_retry_delays"]
            )
        if "webhook_max_attempts" in params:
            config.max_attempts = int(params["webhook_max_attempts"])
        if "webhook_timeout" in params:
            config.timeout = float(params["webhook_timeout"])
        return self._state()

    def _state(self) -> dict[str, Any]:
        config = self.deliverer.config
        return {
            "now": self.sandbox.now(),
            "held": self.deliverer.held_count(),
            "refunds_pending": self.sandbox.options.refunds_pending,
            "webhook_retry_delays": list(config.retry_delays),
            "webhook_max_attempts": config.max_attempts,
            "webhook_timeout": config.timeout,
        }


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("true", "1", "yes", "on")
