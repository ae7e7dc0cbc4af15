"""Pytest plugin: the Stripe sandbox on a loopback port, and a handle to drive it.

Loaded from tests/conftest.py with `pytest_plugins = ["tests.sandbox_fixtures"]`.

- `stripe_sandbox_server` (session): one real HTTP sandbox for the whole run.
- `stripe_sandbox` (function): resets the sandbox, points Django's Stripe
  settings at it, and returns a `SandboxHandle` with the test controls.
- `webhook_receiver` (function): a tiny HTTP server that records deliveries.

Every object and event the sandbox server answers or delivers is validated
against Stripe's shapes (tests/stripe_sandbox/conformance.py); a problem fails
the run, and the terminal summary shows the figures per type.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import stripe

from stripe_sandbox.app import SandboxApp
from stripe_sandbox.delivery import WebhookConfig
from stripe_sandbox.objects import DEMO_ACCOUNT
from stripe_sandbox.server import SandboxServer
from tests.stripe_sandbox.conformance import Recorder

SANDBOX_KEY = "sk_test_sandbox"
CONFORMANCE = Recorder()
PAY_CARD = "4242 4242 4242 4242"
DECLINE_CARD = "4000 0000 0000 0002"
ASYNC_CARD = "4000 0000 0000 0077"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


# Loopback only: never through a proxy from the environment, never follow
# redirects (tests look at the Location a page answers with).
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


@dataclass
class HttpResult:
    """A plain HTTP answer."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()

    @property
    def location(self) -> str | None:
        return self.headers.get("location")

    @property
    def redirect_params(self) -> dict[str, str]:
        """Return the query parameters of the redirect's Location."""
        query = urllib.parse.urlsplit(self.location or "").query
        return {k: v[0] for k, v in urllib.parse.parse_qs(query).items()}

    def json(self) -> Any:
        return json.loads(self.body)


def http(
    method: str,
    url: str,
    *,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> HttpResult:
    """Send one HTTP request and return the answer, whatever its status."""
    request = urllib.request.Request(  # noqa: S310 - loopback http only
        url, data=data, method=method, headers=headers or {}
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return HttpResult(
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read(),
            )
    except urllib.error.HTTPError as error:
        return HttpResult(
            error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()
        )


class SandboxError(AssertionError):
    """A control call the sandbox refused."""


class SandboxHandle:
    """Drive the sandbox's test controls over HTTP (routes under `/_sandbox/`)."""

    demo_account = DEMO_ACCOUNT

    def __init__(self, url: str, key: str = SANDBOX_KEY) -> None:
        self.url = url
        self.key = key

    def _control(
        self, method: str, name: str, body: dict[str, Any] | None = None
    ) -> Any:
        result = http(
            method,
            f"{self.url}/_sandbox/{name}",
            data=json.dumps(body or {}).encode() if method == "POST" else None,
            headers={
                "Authorization": f"Bearer {self.key}",
                "Content-Type": "application/json",
            },
        )
        if result.status != 200:
            raise SandboxError(
                f"{method} /_sandbox/{name}: {result.status} {result.text}"
            )
        return result.json()

    # State -------------------------------------------------------------------

    def reset(self) -> dict[str, Any]:
        """Forget every object, event, fault and held delivery."""
        return self._control("POST", "reset")

    def state(self) -> dict[str, Any]:
        """Return the clock, held deliveries and options."""
        return self._control("GET", "state")

    def configure(self, **options: Any) -> dict[str, Any]:
        """Set options: refunds_pending, webhook_retry_delays, webhook_max_attempts."""
        return self._control("POST", "config", options)

    def object(self, object_id: str) -> dict[str, Any]:
        """Return any stored object, whatever account it lives on."""
        return self._control("GET", f"objects/{object_id}")["object"]

    def advance_clock(self, seconds: int) -> int:
        """Move the sandbox clock; sessions past `expires_at` expire with events."""
        return self._control("POST", "clock/advance", {"seconds": seconds})["now"]

    # Accounts ----------------------------------------------------------------

    def create_account(
        self,
        *,
        business_name: str = "Sandbox Webinars",
        email: str | None = "owner@example.com",
        charges_enabled: bool = True,
        country: str = "US",
        default_currency: str = "usd",
        settlement_currency: str | None = None,
    ) -> str:
        """Create a connected account linked to the platform; return its id.

        With `settlement_currency`, charges in any other currency settle
        converted to it at the sandbox's fixed rate (see stripe_sandbox.balance).
        """
        body = {
            "business_name": business_name,
            "email": email,
            "charges_enabled": charges_enabled,
            "country": country,
            "default_currency": default_currency,
            "settlement_currency": settlement_currency,
        }
        return self._control("POST", "accounts", body)["id"]

    def update_account(self, account: str, **changes: Any) -> dict[str, Any]:
        """Change charges_enabled, details_submitted, business_name or email."""
        return self._control("POST", f"accounts/{account}", changes)

    def deauthorize(self, account: str) -> dict[str, Any]:
        """Unlink an account as its owner would from their Stripe dashboard."""
        return self._control("POST", f"accounts/{account}/deauthorize")

    # Checkout ----------------------------------------------------------------

    def checkout_url(self, session_id: str) -> str:
        """Return the hosted page of a session."""
        return f"{self.url}/c/pay/{session_id}"

    def pay(self, session_id: str, card: str = PAY_CARD) -> HttpResult:
        """Submit the hosted checkout page with a card, as a person would."""
        form = urllib.parse.urlencode({"card_number": card, "action": "pay"})
        return http(
            "POST",
            self.checkout_url(session_id),
            data=form.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )

    def cancel(self, session_id: str) -> HttpResult:
        """Press Cancel on the hosted checkout page."""
        form = urllib.parse.urlencode({"action": "cancel"})
        return http(
            "POST",
            self.checkout_url(session_id),
            data=form.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )

    def complete(self, session_id: str, outcome: str = "paid") -> dict[str, Any]:
        """Complete a session with outcome "paid", "declined" or "async"."""
        path = f"checkout/sessions/{session_id}/complete"
        return self._control("POST", path, {"outcome": outcome})

    def settle_payment(self, payment_intent: str, outcome: str = "succeeded") -> dict:
        """Finish an async (processing) payment: "succeeded" or "failed"."""
        path = f"payment_intents/{payment_intent}/settle"
        return self._control("POST", path, {"outcome": outcome})

    def expire(self, session_id: str) -> dict[str, Any]:
        """Expire an open session now, as Stripe does at `expires_at`."""
        return self._control("POST", f"checkout/sessions/{session_id}/expire")

    # Refunds and disputes ----------------------------------------------------

    def refunds_pending(self, pending: bool = True) -> None:
        """Make new refunds start `pending` (settle them with `settle_refund`)."""
        self.configure(refunds_pending=pending)

    def settle_refund(self, refund_id: str, outcome: str = "succeeded") -> dict:
        """Move a pending refund to "succeeded" or "failed"."""
        return self._control(
            "POST", f"refunds/{refund_id}/settle", {"outcome": outcome}
        )

    def dashboard_refund(
        self,
        *,
        charge: str | None = None,
        payment_intent: str | None = None,
        amount: int | None = None,
        reason: str | None = None,
    ) -> dict[str, Any]:
        """Refund as someone would in the Stripe dashboard, outside the API."""
        body = {
            "charge": charge,
            "payment_intent": payment_intent,
            "amount": amount,
            "reason": reason,
        }
        return self._control("POST", "dashboard_refunds", body)

    def dispute(self, charge: str, reason: str = "fraudulent") -> dict[str, Any]:
        """Open a dispute on a charge (`charge.dispute.created`)."""
        return self._control("POST", f"charges/{charge}/dispute", {"reason": reason})

    def close_dispute(self, dispute_id: str, status: str = "lost") -> dict[str, Any]:
        """Close a dispute as "won" or "lost" (`charge.dispute.closed`)."""
        return self._control("POST", f"disputes/{dispute_id}/close", {"status": status})

    # Connect -----------------------------------------------------------------

    def consent(
        self, authorize_url: str, decision: str = "authorize", **fields: str
    ) -> HttpResult:
        """Press Authorize or Deny on the OAuth consent page of `authorize_url`.

        fields: `business_name` for a new account, or `account` to link an
        existing one.
        """
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(authorize_url).query)
        form = {key: values[0] for key, values in query.items()}
        form.update(decision=decision, **fields)
        return http(
            "POST",
            authorize_url.split("?")[0],
            data=urllib.parse.urlencode(form).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )

    # Webhooks ----------------------------------------------------------------

    def register_webhook(
        self,
        url: str,
        secret: str,
        *,
        connect: bool = False,
        enabled_events: list[str] | None = None,
        api_version: str | None = None,
    ) -> dict[str, Any]:
        """Register an endpoint signed with `secret` (Connect events if `connect`).

        Its events carry `api_version` (the stripe SDK's version by default).
        """
        body = {
            "url": url,
            "secret": secret,
            "connect": connect,
            "enabled_events": enabled_events or ["*"],
            "api_version": api_version,
        }
        return self._control("POST", "webhook_endpoints", body)

    def register_app_webhooks(self, url: str) -> None:
        """Register the app's endpoint for platform and Connect events."""
        self.register_webhook(url, "whsec_sandbox")
        self.register_webhook(url, "whsec_sandbox_connect", connect=True)

    def drain_webhooks(self, timeout: float = 10) -> None:
        """Wait until every queued delivery (and retry) has been attempted."""
        result = self._control("POST", "webhooks/drain", {"timeout": timeout})
        if not result["drained"]:
            raise TimeoutError(f"webhook deliveries still pending after {timeout}s")

    def webhook_attempts(self) -> list[dict[str, Any]]:
        """Return every delivery attempt: event, type, url, attempt, status, ok."""
        return self._control("GET", "webhooks/attempts")["data"]

    def redeliver(self, event_id: str) -> dict[str, Any]:
        """Deliver an event again: a duplicate with the same id."""
        return self._control("POST", f"events/{event_id}/redeliver")

    def drop_deliveries(self, count: int | str = "all") -> dict[str, Any]:
        """Lose the next `count` deliveries ("all": every one; 0: stop losing)."""
        return self._control("POST", "webhooks/drop", {"count": count})

    def hold_deliveries(self) -> None:
        """Hold new deliveries back until `release`."""
        self._control("POST", "webhooks/hold")

    def release(self, order: str = "in_order") -> int:
        """Send held deliveries "in_order", in "reverse" or "shuffle"d."""
        return self._control("POST", "webhooks/release", {"order": order})["released"]

    # Faults ------------------------------------------------------------------

    def inject_fault(
        self,
        kind: str,
        count: int = 1,
        delay: float = 2.0,
        *,
        method: str = "",
        path: str = "",
    ) -> None:
        """Fail the next `count` API requests (on one route if given).

        kind: "500"; "429" (lock_timeout, Stripe-Should-Retry: true, the SDK
        retries); "rate_limit" (429 the SDK does not retry); "timeout" (the
        request is processed, the answer waits `delay` seconds). `method` and
        `path` (a prefix such as "/v1/refunds") limit it to those requests.
        """
        self._control(
            "POST",
            "faults",
            {
                "kind": kind,
                "count": count,
                "delay": delay,
                "method": method,
                "path": path,
            },
        )


@pytest.fixture(scope="session")
def stripe_sandbox_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[SandboxServer]:
    """Serve one sandbox over HTTP on a free loopback port for the test run."""
    app = SandboxApp(
        store_dir=Path(tmp_path_factory.mktemp("stripe-sandbox")),
        api_keys=[SANDBOX_KEY],
        webhook_config=WebhookConfig(
            retry_delays=(0.02, 0.05, 0.1), max_attempts=4, timeout=5
        ),
        sweep_interval=None,
    )
    enqueue = app.deliverer.enqueue

    def record_and_enqueue(event: dict[str, Any], endpoints: list) -> None:
        if endpoints:
            CONFORMANCE.record(event, f"webhook {event.get('type')}")
        enqueue(event, endpoints)

    app.deliverer.enqueue = record_and_enqueue  # type: ignore[method-assign]
    server = SandboxServer(CONFORMANCE.wrap(app)).start()
    yield server
    server.stop()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    CONFORMANCE.current_test = item.nodeid


def pytest_sessionfinish(session: pytest.Session) -> None:
    # Also under -x: a shape problem fails the run whatever the tests said.
    if CONFORMANCE.problems:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not CONFORMANCE.objects and not CONFORMANCE.problems:
        return
    for problem, seen in sorted(CONFORMANCE.problems.items()):
        terminalreporter.write_line(f"Stripe conformance: {problem} ({seen})", red=True)
    terminalreporter.write_line(CONFORMANCE.summary())


def session_params(
    *,
    amount: int = 5000,
    currency: str = "usd",
    name: str = "Intro to Webinars",
    expires_in: int = 31 * 60,
    now: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Return Checkout Session create params as the product sends them."""
    start = int(time.time()) if now is None else now
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {
                    "currency": currency,
                    "unit_amount": amount,
                    "product_data": {"name": name},
                },
                "quantity": 1,
            }
        ],
        "customer_email": "ada@example.com",
        "client_reference_id": "registrant-1",
        "metadata": {"registrant": "1"},
        "success_url": "http://app.test/paid/?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://app.test/cancelled/",
        "expires_at": start + expires_in,
    }
    params.update(extra)
    return params


@pytest.fixture
def stripe_sdk(stripe_sandbox: SandboxHandle) -> stripe.StripeClient:
    """Return a StripeClient on the sandbox, without retries."""
    return stripe.StripeClient(
        SANDBOX_KEY,
        base_addresses={"api": stripe_sandbox.url, "connect": stripe_sandbox.url},
        client_id="ca_sandbox",
        http_client=stripe.RequestsClient(timeout=10),
    )


@pytest.fixture
def stripe_sandbox(
    stripe_sandbox_server: SandboxServer, settings: Any
) -> SandboxHandle:
    """Reset the sandbox and point the app's Stripe settings at it."""
    handle = SandboxHandle(stripe_sandbox_server.url)
    handle.reset()
    settings.STRIPE_API_BASE = stripe_sandbox_server.url
    settings.STRIPE_SECRET_KEY = SANDBOX_KEY
    settings.STRIPE_WEBHOOK_SECRET = "whsec_sandbox"
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = "whsec_sandbox_connect"
    settings.STRIPE_CONNECT_CLIENT_ID = "ca_sandbox"
    return handle


@dataclass
class Delivery:
    """One request the receiver got."""

    headers: dict[str, str]
    body: bytes
    status: int

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """Record webhook deliveries; fail the first N on demand."""

    url: str = ""
    deliveries: list[Delivery] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, count: int = 1, status: int = 500) -> None:
        """Answer the next `count` deliveries with `status`."""
        with self.lock:
            self.failures.extend([status] * count)

    def events(self) -> list[dict[str, Any]]:
        """Return the bodies of successful deliveries, in arrival order."""
        with self.lock:
            return [d.json() for d in self.deliveries if d.status == 200]


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """Serve a recording webhook endpoint on a free loopback port."""
    receiver = WebhookReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with receiver.lock:
                status = receiver.failures.pop(0) if receiver.failures else 200
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.deliveries.append(Delivery(headers, body, status))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output clean."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_port}/stripe/webhook/"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()
