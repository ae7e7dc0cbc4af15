"""The sandbox's API plumbing: keys, missing ids, accounts, idempotency, faults."""

import time

import pytest
import stripe

from tests.sandbox_fixtures import SandboxError, SandboxHandle, http, session_params

DEMO = "acct_1TesseraDemo0001"
ON_DEMO = {"stripe_account": DEMO}


def sdk_for(sandbox, key="sk_test_sandbox", retries=0, timeout=10.0):
    return stripe.StripeClient(
        key,
        base_addresses={"api": sandbox.url, "connect": sandbox.url},
        max_network_retries=retries,
        http_client=stripe.RequestsClient(timeout=timeout),
    )


def test_a_wrong_key_is_401(stripe_sandbox):
    with pytest.raises(stripe.AuthenticationError) as caught:
        sdk_for(stripe_sandbox, key="sk_live_nope").v1.checkout.sessions.list()

    assert caught.value.http_status == 401
    assert caught.value.json_body["error"]["type"] == "invalid_request_error"


def test_an_unconfigured_test_key_is_401_api_key_invalid(stripe_sandbox):
    wrong = sdk_for(stripe_sandbox, key="sk_test_wrong_key")

    with pytest.raises(stripe.AuthenticationError) as caught:
        wrong.v1.accounts.retrieve(DEMO)

    error = caught.value.json_body["error"]
    assert caught.value.http_status == 401
    assert error["type"] == "invalid_request_error"
    assert error["code"] == "api_key_invalid"
    assert error["message"] == "Invalid API Key provided: sk_test_*****_key"


def test_an_unconfigured_key_cannot_drive_the_controls(stripe_sandbox):
    intruder = SandboxHandle(stripe_sandbox.url, key="sk_test_other")

    with pytest.raises(SandboxError, match="401"):
        intruder.reset()


def test_a_missing_key_is_401(stripe_sandbox):
    answer = http("GET", f"{stripe_sandbox.url}/v1/checkout/sessions")

    assert answer.status == 401
    assert set(answer.json()["error"]) == {"type", "code", "message", "param"}


def test_unknown_id_is_404_resource_missing(stripe_sandbox, stripe_sdk):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_sdk.v1.payment_intents.retrieve("pi_nope", None, ON_DEMO)

    assert caught.value.http_status == 404
    assert caught.value.code == "resource_missing"
    assert "No such payment_intent: 'pi_nope'" in caught.value.user_message


def test_unknown_route_is_404(stripe_sandbox):
    answer = http(
        "GET",
        f"{stripe_sandbox.url}/v1/customers",
        headers={"Authorization": "Bearer sk_test_sandbox"},
    )

    assert answer.status == 404


def test_unknown_stripe_account_is_403_account_invalid(stripe_sandbox, stripe_sdk):
    with pytest.raises(stripe.PermissionError) as caught:
        stripe_sdk.v1.checkout.sessions.create(
            session_params(), {"stripe_account": "acct_unknown"}
        )

    error = caught.value.json_body["error"]
    assert caught.value.http_status == 403
    assert error["type"] == "invalid_request_error"
    assert error["code"] == "account_invalid"


def test_disconnected_stripe_account_is_403(stripe_sandbox, stripe_sdk):
    account = stripe_sandbox.create_account()
    session = stripe_sdk.v1.checkout.sessions.create(
        session_params(), {"stripe_account": account}
    )
    stripe_sandbox.deauthorize(account)

    with pytest.raises(stripe.PermissionError):
        stripe_sdk.v1.checkout.sessions.retrieve(
            session["id"], None, {"stripe_account": account}
        )
    with pytest.raises(stripe.PermissionError):
        stripe_sdk.v1.accounts.retrieve(account)


def test_a_session_on_one_account_is_invisible_from_another_and_the_platform(
    stripe_sandbox, stripe_sdk
):
    other = stripe_sandbox.create_account()
    session = stripe_sdk.v1.checkout.sessions.create(session_params(), ON_DEMO)
    stripe_sandbox.complete(session["id"])
    paid = stripe_sdk.v1.checkout.sessions.retrieve(session["id"], None, ON_DEMO)

    for options in ({"stripe_account": other}, {}):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            stripe_sdk.v1.checkout.sessions.retrieve(session["id"], None, options)
        assert caught.value.code == "resource_missing"
        with pytest.raises(stripe.InvalidRequestError):
            stripe_sdk.v1.payment_intents.retrieve(
                paid["payment_intent"], None, options
            )
        listed = stripe_sdk.v1.checkout.sessions.list(None, options)
        assert session["id"] not in [s["id"] for s in listed.data]


def test_a_connected_account_reads_only_its_own_account(stripe_sandbox, stripe_sdk):
    other = stripe_sandbox.create_account()

    own = stripe_sdk.v1.accounts.retrieve_current(None, ON_DEMO)

    assert own["id"] == DEMO
    assert own["business_profile"]["name"] == "Demo Webinars Ltd"
    assert own["charges_enabled"] is True
    with pytest.raises(stripe.PermissionError):
        stripe_sdk.v1.accounts.retrieve(other, None, ON_DEMO)


def test_every_response_has_a_request_id(stripe_sandbox, stripe_sdk):
    session = stripe_sdk.v1.checkout.sessions.create(session_params(), ON_DEMO)

    pages = [
        http("GET", f"{stripe_sandbox.url}/v1/checkout/sessions"),
        http("GET", session["url"]),
        http("GET", f"{stripe_sandbox.url}/nowhere"),
    ]

    assert session.last_response.request_id.startswith("req_")
    for answer in pages:
        assert answer.headers["request-id"].startswith("req_")


# -- idempotency ----------------------------------------------------------------


def test_same_idempotency_key_replays_the_first_response(stripe_sandbox, stripe_sdk):
    params = session_params()
    options = {**ON_DEMO, "idempotency_key": "payment-1"}

    first = stripe_sdk.v1.checkout.sessions.create(params, options)
    second = stripe_sdk.v1.checkout.sessions.create(params, options)

    assert second["id"] == first["id"]
    assert second.last_response.headers["idempotent-replayed"] == "true"
    assert len(stripe_sdk.v1.checkout.sessions.list(None, ON_DEMO).data) == 1


def test_same_idempotency_key_replays_an_error_too(stripe_sandbox, stripe_sdk):
    params = session_params(amount=10)
    options = {**ON_DEMO, "idempotency_key": "payment-2"}

    for _ in range(2):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            stripe_sdk.v1.checkout.sessions.create(params, options)
        assert caught.value.code == "amount_too_small"

    assert caught.value.headers["idempotent-replayed"] == "true"


def test_same_idempotency_key_with_other_params_is_an_idempotency_error(
    stripe_sandbox, stripe_sdk
):
    options = {**ON_DEMO, "idempotency_key": "payment-3"}
    stripe_sdk.v1.checkout.sessions.create(session_params(amount=5000), options)

    with pytest.raises(stripe.IdempotencyError) as caught:
        stripe_sdk.v1.checkout.sessions.create(session_params(amount=6000), options)

    assert caught.value.http_status == 400
    assert caught.value.json_body["error"]["type"] == "idempotency_error"


def test_idempotency_keys_are_scoped_per_account(stripe_sandbox, stripe_sdk):
    other = stripe_sandbox.create_account()
    params = session_params()

    a = stripe_sdk.v1.checkout.sessions.create(
        params, {**ON_DEMO, "idempotency_key": "same"}
    )
    b = stripe_sdk.v1.checkout.sessions.create(
        params, {"stripe_account": other, "idempotency_key": "same"}
    )

    assert a["id"] != b["id"]


# -- faults ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["500", "429"])
def test_sdk_retries_through_injected_faults_and_creates_one_session(
    stripe_sandbox, kind
):
    sdk = sdk_for(stripe_sandbox, retries=2)
    stripe_sandbox.inject_fault(kind, count=2)

    session = sdk.v1.checkout.sessions.create(
        session_params(), {**ON_DEMO, "idempotency_key": f"fault-{kind}"}
    )

    assert session["status"] == "open"
    listed = sdk.v1.checkout.sessions.list(None, ON_DEMO)
    assert [s["id"] for s in listed.data] == [session["id"]]


def test_without_retries_an_injected_500_is_an_api_error(stripe_sandbox, stripe_sdk):
    stripe_sandbox.inject_fault("500")

    with pytest.raises(stripe.APIError) as caught:
        stripe_sdk.v1.checkout.sessions.list(None, ON_DEMO)

    assert caught.value.http_status == 500
    assert stripe_sdk.v1.checkout.sessions.list(None, ON_DEMO).data == []


def test_rate_limit_fault_is_not_retried_by_the_sdk(stripe_sandbox):
    sdk = sdk_for(stripe_sandbox, retries=2)
    stripe_sandbox.inject_fault("rate_limit", count=1)

    with pytest.raises(stripe.RateLimitError):
        sdk.v1.checkout.sessions.list(None, ON_DEMO)


def test_a_timed_out_create_is_replayed_on_retry_not_duplicated(stripe_sandbox):
    sdk = sdk_for(stripe_sandbox, retries=2, timeout=0.5)
    stripe_sandbox.inject_fault("timeout", count=1, delay=1.0)

    started = time.monotonic()
    session = sdk.v1.checkout.sessions.create(
        session_params(), {**ON_DEMO, "idempotency_key": "slow"}
    )

    assert time.monotonic() - started < 5
    assert session.last_response.headers["idempotent-replayed"] == "true"
    listed = sdk.v1.checkout.sessions.list(None, ON_DEMO)
    assert [s["id"] for s in listed.data] == [session["id"]]


def test_a_fault_on_one_route_leaves_other_requests_alone(stripe_sandbox, stripe_sdk):
    stripe_sandbox.inject_fault("500", count=1, method="POST", path="/v1/refunds")

    # Other routes and methods pass through without using the fault up.
    assert stripe_sdk.v1.checkout.sessions.list(None, ON_DEMO).data == []
    stripe_sdk.v1.checkout.sessions.create(session_params(), ON_DEMO)
    with pytest.raises(stripe.APIError) as caught:
        stripe_sdk.v1.refunds.create({"payment_intent": "pi_missing"}, ON_DEMO)

    assert caught.value.http_status == 500
    with pytest.raises(stripe.InvalidRequestError):
        stripe_sdk.v1.refunds.create({"payment_intent": "pi_missing"}, ON_DEMO)


def test_a_fault_path_must_be_a_path(stripe_sandbox):
    with pytest.raises(SandboxError, match="path must start with /"):
        stripe_sandbox.inject_fault("500", path="v1/refunds")


def test_reset_forgets_sessions_and_faults(stripe_sandbox, stripe_sdk):
    stripe_sdk.v1.checkout.sessions.create(session_params(), ON_DEMO)
    stripe_sandbox.inject_fault("500", count=5)

    stripe_sandbox.reset()

    assert stripe_sdk.v1.checkout.sessions.list(None, ON_DEMO).data == []
    assert stripe_sdk.v1.accounts.retrieve(DEMO)["id"] == DEMO
