"""The parameters each API route accepts; anything else is `parameter_unknown`.

Keyed by the route's method and path pattern, exactly as the resource modules
declare them in their `API_ROUTES`; `SandboxApp` refuses to start with a route
this table does not cover. Each name is a real Stripe parameter of that call
(tests/stripe_sandbox/test_parameters.py checks them against the stripe SDK's
parameter types); a Stripe parameter the sandbox does not implement is left
out, so it is refused rather than silently ignored.
"""

from __future__ import annotations

from .params import FREE, SCALAR, Shape

EXPAND: dict[str, Shape] = {"expand": [SCALAR]}
PAGE: dict[str, Shape] = {
    **EXPAND,
    "limit": SCALAR,
    "starting_after": SCALAR,
    "ending_before": SCALAR,
}
RANGE: Shape = (SCALAR, {"gt": SCALAR, "gte": SCALAR, "lt": SCALAR, "lte": SCALAR})

_SESSION_CREATE: dict[str, Shape] = {
    **EXPAND,
    "mode": SCALAR,
    "line_items": [
        {
            "price": SCALAR,
            "price_data": {
                "currency": SCALAR,
                "unit_amount": SCALAR,
                "product_data": {"name": SCALAR},
            },
            "quantity": SCALAR,
        }
    ],
    "customer_email": SCALAR,
    "client_reference_id": SCALAR,
    "metadata": FREE,
    "success_url": SCALAR,
    "cancel_url": SCALAR,
    "expires_at": SCALAR,
    "locale": SCALAR,
    "payment_intent_data": {
        "application_fee_amount": SCALAR,
        "description": SCALAR,
        "metadata": FREE,
    },
}
_REFUND_CREATE: dict[str, Shape] = {
    **EXPAND,
    "payment_intent": SCALAR,
    "charge": SCALAR,
    "amount": SCALAR,
    "reason": SCALAR,
    "refund_application_fee": SCALAR,
    "metadata": FREE,
}
_ENDPOINT_CREATE: dict[str, Shape] = {
    **EXPAND,
    "url": SCALAR,
    "enabled_events": [SCALAR],
    "description": SCALAR,
    "metadata": FREE,
    "connect": SCALAR,
    "api_version": SCALAR,
}
_ID = "/(?P<id>[^/]+)"

ACCEPTED: dict[tuple[str, str], dict[str, Shape]] = {
    ("POST", r"/v1/checkout/sessions"): _SESSION_CREATE,
    ("GET", r"/v1/checkout/sessions"): {
        **PAGE,
        "payment_intent": SCALAR,
        "status": SCALAR,
    },
    ("GET", r"/v1/checkout/sessions" + _ID): EXPAND,
    ("POST", r"/v1/checkout/sessions" + _ID + "/expire"): EXPAND,
    ("GET", r"/v1/checkout/sessions" + _ID + "/line_items"): PAGE,
    ("GET", r"/v1/payment_intents" + _ID): EXPAND,
    ("GET", r"/v1/charges" + _ID): EXPAND,
    ("GET", r"/v1/balance_transactions" + _ID): EXPAND,
    ("GET", r"/v1/disputes" + _ID): EXPAND,
    ("POST", r"/v1/refunds"): _REFUND_CREATE,
    ("GET", r"/v1/refunds"): {**PAGE, "charge": SCALAR, "payment_intent": SCALAR},
    ("GET", r"/v1/refunds" + _ID): EXPAND,
    ("GET", r"/v1/events"): {
        **PAGE,
        "type": SCALAR,
        "types": [SCALAR],
        "created": RANGE,
    },
    ("GET", r"/v1/events" + _ID): EXPAND,
    ("POST", r"/v1/webhook_endpoints"): _ENDPOINT_CREATE,
    ("GET", r"/v1/webhook_endpoints"): PAGE,
    ("GET", r"/v1/webhook_endpoints" + _ID): EXPAND,
    ("DELETE", r"/v1/webhook_endpoints" + _ID): {},
    ("GET", r"/v1/account"): EXPAND,
    ("POST", r"/v1/accounts"): {
        **EXPAND,
        "type": SCALAR,
        "country": SCALAR,
        "email": SCALAR,
        "default_currency": SCALAR,
        "business_profile": {"name": SCALAR},
        "metadata": FREE,
    },
    ("POST", r"/v1/account_links"): {
        **EXPAND,
        "account": SCALAR,
        "type": SCALAR,
        "refresh_url": SCALAR,
        "return_url": SCALAR,
    },
    ("GET", r"/v1/accounts" + _ID): EXPAND,
    ("POST", r"/oauth/token"): {
        "grant_type": SCALAR,
        "code": SCALAR,
        "client_secret": SCALAR,
    },
    ("POST", r"/oauth/deauthorize"): {"client_id": SCALAR, "stripe_user_id": SCALAR},
}
