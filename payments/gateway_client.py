"""The Stripe SDK's client, built once per settings (see gateway.py)."""

from __future__ import annotations

import functools
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

import stripe
import urllib3
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

MAX_NETWORK_RETRIES = 2
# (connect, read) seconds. Checkout is on the registrant's request path, so a
# slow Stripe must fail fast rather than hold a worker for the SDK's 80 s.
DEFAULT_TIMEOUT = (3.0, 10.0)
STRIPE_API = "https://api.stripe.com"


def client() -> stripe.StripeClient:
    """Return the StripeClient for the current settings (rebuilt when they change)."""
    timeout = getattr(settings, "STRIPE_TIMEOUT", DEFAULT_TIMEOUT)
    return _client(
        settings.STRIPE_SECRET_KEY,
        getattr(settings, "STRIPE_API_BASE", "") or "",
        getattr(settings, "STRIPE_CONNECT_CLIENT_ID", "") or "",
        tuple(timeout) if isinstance(timeout, (list, tuple)) else (timeout, timeout),
    )


@functools.lru_cache(maxsize=8)
def _client(
    api_key: str, base: str, client_id: str, timeout: tuple[float, float]
) -> stripe.StripeClient:
    base_addresses = {"api": base, "connect": base} if base else None
    return stripe.StripeClient(
        api_key,
        base_addresses=base_addresses,  # type: ignore[arg-type]
        client_id=client_id or None,
        max_network_retries=MAX_NETWORK_RETRIES,
        http_client=Urllib3Client(
            timeout=timeout, proxy=_environment_proxy(base or STRIPE_API)
        ),
    )


def _environment_proxy(url: str) -> str | None:
    """The proxy the environment names for `url` (HTTPS_PROXY, NO_PROXY), if any.

    Read once, when the client is built: every call goes to the same host.
    """
    parts = urllib.parse.urlsplit(url)
    if urllib.request.proxy_bypass_environment(parts.hostname or ""):
        return None
    return urllib.request.getproxies_environment().get(parts.scheme) or None


def give_back_database_connection() -> None:
    """Return this thread's database connection to the pool while Stripe answers.

    Stripe takes 0.3-0.6 s to create a Checkout Session; a thread waiting for
    it needs no connection, so the process's pool (`DATABASE_POOL_SIZE`) serves
    the threads that run queries meanwhile, and the next query takes one
    again. Only between transactions: inside one the connection (and any lock)
    stays, as a transaction must (and the lock rule forbids calling Stripe
    there). Without a pool, nothing changes.
    """
    database = connections[DEFAULT_DB_ALIAS]
    if (
        database.connection is not None
        and not database.in_atomic_block
        and database.autocommit
        and database.settings_dict["OPTIONS"].get("pool")
    ):
        database.close()


class Urllib3Client(stripe.HTTPClient):
    """The SDK's HTTP client on urllib3's thread-safe connection pools.

    The SDK's own `RequestsClient` goes through requests' sessions, which
    merge settings, cookies and hooks on every call: a quarter of a paid
    start's CPU went there. urllib3 (what requests runs on) keeps the
    connections alive, checks certificates against the SDK's CA bundle, and
    its errors become the SDK's `APIConnectionError`, retried as the SDK
    retries requests' (timeouts and connection errors; never a bad
    certificate).
    """

    name = "urllib3"

    def __init__(self, *, timeout: tuple[float, float], proxy: str | None) -> None:
        super().__init__()
        self._timeout = urllib3.Timeout(connect=timeout[0], read=timeout[1])
        options: dict[str, Any] = {
            "cert_reqs": "CERT_REQUIRED",
            "ca_certs": stripe.ca_bundle_path,
            # As many kept connections as a process makes calls at once (a gevent
            # worker: one per request waiting on Stripe).
            "maxsize": 256,
            "retries": False,
        }
        self._pool = (
            urllib3.ProxyManager(proxy, **options)
            if proxy
            else urllib3.PoolManager(**options)
        )

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
    ) -> tuple[bytes, int, Mapping[str, str]]:
        give_back_database_connection()
        try:
            answer = self._pool.request(
                method.upper(),
                url,
                body=post_data,
                headers=dict(headers or {}),
                timeout=self._timeout,
                retries=False,
                redirect=False,
            )
        except urllib3.exceptions.SSLError as error:
            raise stripe.APIConnectionError(
                f"Could not verify Stripe's certificate: {error}", should_retry=False
            ) from error
        except (
            urllib3.exceptions.TimeoutError,
            urllib3.exceptions.ProtocolError,
            urllib3.exceptions.NewConnectionError,
        ) as error:
            raise stripe.APIConnectionError(
                f"Could not reach Stripe: {error}", should_retry=True
            ) from error
        except urllib3.exceptions.HTTPError as error:
            raise stripe.APIConnectionError(
                f"Could not talk to Stripe: {error}", should_retry=False
            ) from error
        return answer.data, answer.status, answer.headers

    def close(self) -> None:
        self._pool.clear()
