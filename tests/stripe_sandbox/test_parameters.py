"""Unknown parameters are refused on every route; declared ones are Stripe's own."""

import importlib
import re
from typing import Any

import pytest
import stripe
from stripe import oauth_error

from stripe_sandbox.accepted import ACCEPTED
from stripe_sandbox.params import FREE, SCALAR
from stripe_sandbox.sandbox import API_ROUTES
from tests.sandbox_fixtures import http, session_params

DEMO = "acct_1TesseraDemo0001"
ON_DEMO = {"stripe_account": DEMO}

# Each route and the stripe SDK's parameter type of the same call.
SDK_PARAMS = {
    "POST /v1/checkout/sessions": "checkout._session_create_params",
    "GET /v1/checkout/sessions": "checkout._session_list_params",
    "GET /v1/checkout/sessions/{id}": "checkout._session_retrieve_params",
    "POST /v1/checkout/sessions/{id}/expire": "checkout._session_expire_params",
    "GET /v1/checkout/sessions/{id}/line_items": (
        "checkout._session_line_item_list_params"
    ),
    "GET /v1/payment_intents/{id}": "_payment_intent_retrieve_params",
    "GET /v1/charges/{id}": "_charge_retrieve_params",
    "GET /v1/balance_transactions/{id}": "_balance_transaction_retrieve_params",
    "GET /v1/disputes/{id}": "_dispute_retrieve_params",
    "POST /v1/refunds": "_refund_create_params",
    "GET /v1/refunds": "_refund_list_params",
    "GET /v1/refunds/{id}": "_refund_retrieve_params",
    "GET /v1/events": "_event_list_params",
    "GET /v1/events/{id}": "_event_retrieve_params",
    "POST /v1/webhook_endpoints": "_webhook_endpoint_create_params",
    "GET /v1/webhook_endpoints": "_webhook_endpoint_list_params",
    "GET /v1/webhook_endpoints/{id}": "_webhook_endpoint_retrieve_params",
    "DELETE /v1/webhook_endpoints/{id}": "_webhook_endpoint_delete_params",
    "GET /v1/account": "_account_retrieve_current_params",
    "GET /v1/accounts/{id}": "_account_retrieve_params",
    "POST /v1/accounts": "_account_create_params",
    "POST /v1/account_links": "_account_link_create_params",
    "POST /oauth/token": "OAuthTokenParams",
    "POST /oauth/deauthorize": "OAuthDeauthorizeParams",
}
# Stripe's OAuth guide documents `client_secret` as the alternative to Bearer
# auth on /oauth/token; the SDK's type leaves it out.
DOCUMENTED_ELSEWHERE = {"POST /oauth/token": {"client_secret"}}


def route_name(method: str, pattern: str) -> str:
    """Return a route as `GET /v1/charges/{id}`."""
    return f"{method} {pattern.replace('(?P<id>[^/]+)', '{id}')}"


def sdk_type(name: str) -> type:
    if name.startswith("OAuth"):
        return getattr(stripe.OAuth, name)
    module = importlib.import_module(f"stripe.params.{name}")
    return next(
        value
        for key, value in vars(module).items()
        if key.endswith("Params")
        and getattr(value, "__module__", "") == module.__name__
    )


def annotated_keys(typed_dict: type) -> dict[str, str]:
    """Return each key of an SDK TypedDict with its annotation, as text."""
    keys: dict[str, str] = {}
    for klass in reversed(typed_dict.__mro__):
        for key, hint in getattr(klass, "__annotations__", {}).items():
            keys[key] = hint if isinstance(hint, str) else repr(hint)
    return keys


def nested_type(typed_dict: type, hint: str) -> type | None:
    """Return the TypedDict a hint names (inside List[...] or alone), if any."""
    module = importlib.import_module(typed_dict.__module__)
    for name in re.findall(r"[A-Z][A-Za-z]+Params[A-Za-z]*", hint):
        found = getattr(module, name, None) or getattr(typed_dict, name, None)
        if found is not None:
            return found
    return None


def undeclared_in_sdk(shape: Any, typed_dict: type, path: str) -> list[str]:
    """Return the declared parameter paths the SDK's type does not have."""
    keys = annotated_keys(typed_dict)
    wrong = []
    for name, child in shape.items():
        where = f"{path}[{name}]" if path else name
        if name not in keys:
            wrong.append(where)
            continue
        child = child[0] if isinstance(child, list) else child
        if isinstance(child, tuple):
            child = next((c for c in child if isinstance(c, dict)), SCALAR)
        if child in (SCALAR, FREE):
            continue
        inner = nested_type(typed_dict, keys[name])
        assert inner is not None, f"{where}: the SDK declares no hash here"
        wrong += undeclared_in_sdk(child, inner, where)
    return wrong


def test_every_route_declares_its_parameters():
    routes = {(method, pattern) for method, pattern, _ in API_ROUTES}

    assert routes == set(ACCEPTED)
    assert {route_name(*route) for route in routes} == set(SDK_PARAMS)


@pytest.mark.parametrize("route", sorted(ACCEPTED), ids=lambda r: route_name(*r))
def test_each_declared_parameter_is_one_stripe_has(route):
    name = route_name(*route)
    wrong = undeclared_in_sdk(ACCEPTED[route], sdk_type(SDK_PARAMS[name]), "")

    assert set(wrong) <= DOCUMENTED_ELSEWHERE.get(name, set())


@pytest.mark.parametrize(
    ("method", "pattern"),
    sorted(ACCEPTED),
    ids=lambda value: value,
)
def test_every_route_refuses_an_unknown_parameter(stripe_sandbox, method, pattern):
    path = pattern.replace("(?P<id>[^/]+)", "x_1")
    answer = http(
        method,
        f"{stripe_sandbox.url}{path}?colour=blue",
        headers={"Authorization": "Bearer sk_test_sandbox"},
    )

    error = answer.json()["error"]
    assert answer.status == 400
    if path.startswith("/oauth/"):
        assert error == "invalid_request"
    else:
        assert error["type"] == "invalid_request_error"
        assert error["code"] == "parameter_unknown"
        assert error["param"] == "colour"
        assert error["message"] == "Received unknown parameter: colour"


def test_the_sdk_gets_parameter_unknown_for_a_mistyped_parameter(
    stripe_sandbox, stripe_sdk
):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_sdk.v1.checkout.sessions.create(
            session_params(customer_emial="ada@example.com"), ON_DEMO
        )

    assert caught.value.http_status == 400
    assert caught.value.code == "parameter_unknown"
    assert caught.value.param == "customer_emial"
    assert stripe_sdk.v1.checkout.sessions.list(None, ON_DEMO).data == []


def test_a_nested_unknown_parameter_is_named_by_its_full_path(
    stripe_sandbox, stripe_sdk
):
    params = session_params()
    params["line_items"][0]["price_data"]["colour"] = "blue"

    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_sdk.v1.checkout.sessions.create(params, ON_DEMO)

    assert caught.value.code == "parameter_unknown"
    assert caught.value.param == "line_items[0][price_data][colour]"


def test_a_parameter_under_a_scalar_is_unknown(stripe_sandbox, stripe_sdk):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_sdk.v1.refunds.list({"charge": {"id": "ch_1"}}, ON_DEMO)

    assert caught.value.param == "charge[id]"


def test_metadata_keys_are_free_form(stripe_sandbox, stripe_sdk):
    session = stripe_sdk.v1.checkout.sessions.create(
        session_params(metadata={"anything": "goes", "0": "zero"}), ON_DEMO
    )

    assert session["metadata"].to_dict() == {"anything": "goes", "0": "zero"}


def test_an_unknown_parameter_does_not_use_up_an_idempotency_key(
    stripe_sandbox, stripe_sdk
):
    options = {**ON_DEMO, "idempotency_key": "typo-then-fixed"}
    with pytest.raises(stripe.InvalidRequestError):
        stripe_sdk.v1.checkout.sessions.create(session_params(colour="x"), options)

    session = stripe_sdk.v1.checkout.sessions.create(session_params(), options)

    assert session["status"] == "open"


def test_oauth_refuses_an_unknown_parameter(stripe_sandbox, stripe_sdk):
    with pytest.raises(oauth_error.InvalidRequestError):
        stripe_sdk.oauth.token(
            {"grant_type": "authorization_code", "code": "ac_x", "colour": "blue"}
        )
