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
from pathlib import Path
from typing import Any

from . import pages
from .accepted import ACCEPTED
from .checkout_page import checkout_page
from .controls import Controls
from .core import Context, Options, Startup
from .delivery import Deliverer, WebhookConfig
from .errors import ApiError, OAuthError
from .faults import Faults, fault_response, server_error
from .oauth import consent_page
from .objects import PLATFORM_ACCOUNT, new_id
from .onboarding import ONBOARDING_PATH, onboarding_page
from .params import Shape, check_known
from .sandbox import API_ROUTES, Sandbox
from .store import Store
from .web import (
    REASONS,
    Environ,
    Response,
    StartResponse,
    check_key,
    check_secret,
    error_response,
    html_response,
    json_response,
    read_params,
)

logger = logging.getLogger(__name__)

DEFAULT_API_KEY = "sk_test_sandbox"  # noqa: S105 - the sandbox's public test key


def _compile_routes() -> list[tuple[str, re.Pattern[str], Any, dict[str, Shape]]]:
    undeclared = [(m, p) for m, p, _ in API_ROUTES if (m, p) not in ACCEPTED]
    if undeclared:
        raise RuntimeError(f"Declare the parameters of {undeclared} in accepted.py")
    return [
        (m, re.compile(pattern + r"/?\Z"), h, ACCEPTED[(m, pattern)])
        for m, pattern, h in API_ROUTES
    ]


_ROUTES = _compile_routes()


class SandboxApp:
    """Serve the Stripe sandbox as a WSGI application.

    `public_url` is the address clients reach this app at (the SDK's base
    address); it builds Checkout URLs. Without it the request's own host is used.
    Only the secret keys in `api_keys` authenticate, as only an account's own
    keys do on Stripe.
    """

    def __init__(
        self,
        *,
        store_dir: Path | None = None,
        public_url: str | None = None,
        client_id: str = "ca_sandbox",
        api_keys: Iterable[str] = (DEFAULT_API_KEY,),
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        connect_webhook_secret: str | None = None,
        webhook_config: WebhookConfig | None = None,
        options: Options | None = None,
        sweep_interval: float | None = 5.0,
    ) -> None:
        self.public_url = public_url.rstrip("/") if public_url else None
        self.api_keys = frozenset(filter(None, api_keys))
        self.store = Store(store_dir)
        self.default_webhook_config = webhook_config or WebhookConfig()
        self.deliverer = Deliverer(WebhookConfig(**vars(self.default_webhook_config)))
        self.sandbox = Sandbox(
            self.store,
            self.deliverer,
            startup=Startup(
                client_id, webhook_url, webhook_secret, connect_webhook_secret
            ),
            options=options,
        )
        self.faults = Faults()
        self.controls = Controls(
            self.sandbox, self.faults, self.default_webhook_config, self.run
        )
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
        except (ApiError, OAuthError) as error:
            response = error_response(error)
        except Exception:
            logger.exception("Stripe sandbox failed on %s", environ.get("PATH_INFO"))
            response = json_response(500, server_error().body())
        if response.delay:
            # A "timeout" fault: the work is done, the answer comes too late.
            time.sleep(response.delay)
        headers = [
            *response.headers,
            ("Request-Id", request_id),
            ("Content-Length", str(len(response.body))),
        ]
        reason = REASONS.get(response.status, "Unknown")
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
            check_key(environ, self.api_keys)
            return self.controls.answer(method, path, read_params(environ))
        if path.startswith("/c/pay/"):
            session_id = path.removeprefix("/c/pay/")
            params = read_params(environ) if method == "POST" else {}
            languages = environ.get("HTTP_ACCEPT_LANGUAGE", "")
            return self.run(
                lambda: checkout_page(
                    self.sandbox, method, session_id, params, languages
                )
            )
        if path.startswith(ONBOARDING_PATH):
            params = read_params(environ) if method == "POST" else {}
            return onboarding_page(self.sandbox, self.run, method, path, params)
        if path == "/oauth/authorize":
            return consent_page(self.sandbox, self.run, method, read_params(environ))
        if path == "/":
            return html_response(200, pages.index(self._public_url(environ)))
        raise ApiError(f"Unrecognized request URL ({method}: {path}).", status=404)

    def _public_url(self, environ: Environ) -> str:
        return self.public_url or wsgiref.util.application_uri(environ).rstrip("/")

    # -- the API -----------------------------------------------------------------

    def _api(self, environ: Environ, method: str, path: str) -> Response:
        fault = self.faults.take(method, path)
        if fault is not None:
            failure = fault_response(fault)
            if failure is not None:
                return failure
        check_key(environ, self.api_keys)
        for route_method, pattern, route_handler, route_shape in _ROUTES:
            match = pattern.match(path)
            if match and route_method == method:
                handler, shape = route_handler, route_shape
                break
        else:
            raise ApiError(f"Unrecognized request URL ({method}: {path}).", status=404)
        params = read_params(environ)
        try:
            check_known(params, shape)
        except ApiError as error:
            if path.startswith("/oauth/"):
                raise OAuthError("invalid_request", error.message) from None
            raise
        if path == "/oauth/token" and "client_secret" in params:
            # The OAuth token call may authenticate with `client_secret` too.
            check_secret(str(params.pop("client_secret")), self.api_keys)
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

        def operation() -> Response:
            # Sessions whose time ran out expire first, in the same
            # transaction, as Stripe's expire before the call sees them.
            self.sandbox.sweep()
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
                    body = handler(self.sandbox, ctx, params, **match.groupdict())
                    response = json_response(200, body)
            except (ApiError, OAuthError) as error:
                self.sandbox.discard_outbox(mark)
                response = error_response(error)
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
