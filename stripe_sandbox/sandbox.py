"""The whole sandbox: every resource's behaviour on one store, and its routes.

`Sandbox` works on plain dicts and raises `ApiError` / `OAuthError`; the WSGI
layer in `app.py` turns HTTP into calls here and answers with what they return.
"""

from __future__ import annotations

from . import (
    accounts,
    balance,
    checkout,
    checkout_page,
    disputes,
    events,
    oauth,
    onboarding,
    payments,
    refunds,
)
from .core import ApiRoute, Control, Options
from .disputes import DisputesMixin
from .errors import invalid
from .objects import (
    DEMO_ACCOUNT,
    DEMO_BUSINESS_NAME,
    PLATFORM_ACCOUNT,
    PLATFORM_NAME,
)
from .onboarding import OnboardingMixin
from .payments import PaymentsMixin
from .refunds import RefundsMixin

API_ROUTES: list[ApiRoute] = [
    *checkout.API_ROUTES,
    *payments.API_ROUTES,
    *balance.API_ROUTES,
    *disputes.API_ROUTES,
    *refunds.API_ROUTES,
    *events.API_ROUTES,
    *accounts.API_ROUTES,
    *oauth.API_ROUTES,
    *onboarding.API_ROUTES,
]
CONTROLS: list[Control] = [
    (
        r"clock/advance",
        lambda s, p: {"now": s.advance_clock(int(p.get("seconds", 0)))},
    ),
    *accounts.CONTROLS,
    *checkout.CONTROLS,
    *checkout_page.CONTROLS,
    *payments.CONTROLS,
    *refunds.CONTROLS,
    *disputes.CONTROLS,
    *events.CONTROLS,
]


class Sandbox(OnboardingMixin, PaymentsMixin, RefundsMixin, DisputesMixin):
    """Stripe's behaviour on top of a `Store`; callers hold `store.lock`."""

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
        self.bootstrap()

    def bootstrap(self) -> None:
        """Create the platform and demo accounts and the startup endpoints."""
        created = self.now()
        seeds = [
            {
                "account_id": PLATFORM_ACCOUNT,
                "business_name": PLATFORM_NAME,
                "email": "platform@example.com",
            },
            {
                "account_id": DEMO_ACCOUNT,
                "business_name": DEMO_BUSINESS_NAME,
                "email": "demo-webinars@example.com",
                "country": "GB",
                "default_currency": "gbp",
            },
        ]
        for seed in seeds:
            if self.store.get(seed["account_id"]) is None:
                acct = accounts.account(created=created, **seed)
                self.store.put(acct, PLATFORM_ACCOUNT)
        endpoints = list(self.startup.extra_endpoints)
        url = self.startup.webhook_url
        if url and self.startup.webhook_secret:
            endpoints.append((url, self.startup.webhook_secret, False))
        if url and self.startup.connect_webhook_secret:
            endpoints.append((url, self.startup.connect_webhook_secret, True))
        for endpoint_url, secret, connect in endpoints:
            self.register_endpoint(url=endpoint_url, secret=secret, connect=connect)
