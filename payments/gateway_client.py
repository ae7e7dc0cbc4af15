"""The Stripe SDK's client, built once per settings (see gateway.py)."""

from __future__ import annotations

import functools
from typing import Any

import requests
import stripe
from django.conf import settings

MAX_NETWORK_RETRIES = 2
# (connect, read) seconds. Checkout is on the registrant's request path, so a
# slow Stripe must fail fast rather than hold a worker for the SDK's 80 s.
DEFAULT_TIMEOUT = (3.0, 10.0)


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
    # The environment's proxies are read once, for the API's address: requests
    # would otherwise walk the whole environment on every call.
    proxies = requests.utils.get_environ_proxies(base or "https://api.stripe.com")
    return stripe.StripeClient(
        api_key,
        base_addresses=base_addresses,  # type: ignore[arg-type]
        client_id=client_id or None,
        max_network_retries=MAX_NETWORK_RETRIES,
        http_client=_RequestsClient(timeout=timeout, proxy=proxies or None),
    )


class _RequestsClient(stripe.RequestsClient):
    """The SDK's requests client, its sessions not reading the environment.

    One `requests.Session` per thread, as the SDK keeps them, with
    `trust_env` off: the proxies were read once when the client was built
    (`_client`), and the SDK names its own CA bundle.
    """

    def _request_internal(self, *args: Any, **kwargs: Any) -> Any:
        if getattr(self._thread_local, "session", None) is None:
            session = requests.Session()
            session.trust_env = False
            self._thread_local.session = session
        return super()._request_internal(*args, **kwargs)
