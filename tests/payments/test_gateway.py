"""payments.gateway against the sandbox over HTTP: values out, our errors raised."""

import dataclasses
import json
import logging
import time
from unittest import mock

import pytest
import stripe

from payments import gateway, gateway_errors
from tests.sandbox_fixtures import ASYNC_CARD

DEMO = "acct_1TesseraDemo0001"
# One expiry per test: two calls with the same idempotency key must send the
# same parameters, even when a second ticks between them.
EXPIRES_AT: dict[str, int] = {}


@pytest.fixture(autouse=True)
def _one_expiry_per_test():
    EXPIRES_AT["value"] = int(time.time()) + 31 * 60


def checkout(**overrides):
    params = {
        "account": DEMO,
        "amount": 5000,
        "currency": "usd",
        "name": "Intro to Webinars",
        "customer_email": "ada@example.com",
        "client_reference_id": "42",
        "metadata": {"registrant": "42"},
        "success_url": "http://app.test/paid/{CHECKOUT_SESSION_ID}/",
        "cancel_url": "http://app.test/cancelled/",
        "expires_at": EXPIRES_AT["value"],
        "locale": "fr",
        "idempotency_key": "payment-42",
    }
    params.update(overrides)
    return gateway.create_checkout_session(**params)


@pytest.fixture
def paid(stripe_sandbox) -> gateway.CheckoutSession:
    session = checkout(application_fee_amount=250)
    stripe_sandbox.pay(session.id)
    return gateway.retrieve_checkout_session(account=DEMO, session_id=session.id)


def test_create_checkout_session_returns_a_plain_dataclass(stripe_sandbox):
    session = checkout()

    assert dataclasses.is_dataclass(session)
    assert session.id.startswith("cs_test_")
    assert session.url == stripe_sandbox.checkout_url(session.id)
    assert (session.status, session.payment_status) == ("open", "unpaid")
    assert (session.amount_total, session.currency) == (5000, "usd")
    assert session.client_reference_id == "42"
    assert session.metadata == {"registrant": "42"}
    assert type(session.metadata) is dict
    assert session.payment_intent is None


def test_create_with_the_same_idempotency_key_returns_the_same_session(
    stripe_sandbox,
):
    assert checkout().id == checkout().id
    assert checkout(idempotency_key="payment-43").id != checkout().id


def test_retrieve_after_payment_shows_it_paid(stripe_sandbox, paid):
    assert paid.status == "complete"
    assert paid.payment_status == "paid"
    assert paid.payment_intent.startswith("pi_")
    assert paid.url is None


def test_expire_checkout_session_expires_an_open_one(stripe_sandbox):
    session = checkout()

    expired = gateway.expire_checkout_session(account=DEMO, session_id=session.id)

    assert expired.status == "expired"


def test_expiring_a_paid_session_is_an_invalid_request(stripe_sandbox, paid):
    with pytest.raises(gateway.InvalidRequest):
        gateway.expire_checkout_session(account=DEMO, session_id=paid.id)


def test_retrieve_payment_reads_the_stripe_fee_without_the_platform_fee(
    stripe_sandbox, paid
):
    payment = gateway.retrieve_payment(account=DEMO, payment_intent=paid.payment_intent)

    assert payment.status == "succeeded"
    assert (payment.amount, payment.amount_received) == (5000, 5000)
    assert payment.currency == "usd"
    assert payment.charge.startswith("ch_")
    assert payment.application_fee_amount == 250
    assert payment.stripe_fee == 175
    assert payment.amount_refunded == 0
    assert payment.metadata == {"registrant": "42"}


def test_retrieve_payment_of_a_processing_payment_has_no_fee_yet(stripe_sandbox):
    session = checkout()
    stripe_sandbox.pay(session.id, card=ASYNC_CARD)
    session = gateway.retrieve_checkout_session(account=DEMO, session_id=session.id)

    payment = gateway.retrieve_payment(
        account=DEMO, payment_intent=session.payment_intent
    )

    assert session.payment_status == "unpaid"
    assert payment.status == "processing"
    assert payment.stripe_fee is None


def refund(
    paid,
    idempotency_key: str,
    *,
    amount: int | None = None,
    reason: str | None = None,
    metadata: dict[str, str] | None = None,
) -> gateway.RefundResult:
    """Refund the paid session's payment at the demo account (all when no amount)."""
    return gateway.create_refund(
        account=DEMO,
        payment_intent=paid.payment_intent,
        amount=amount,
        reason=reason,
        idempotency_key=idempotency_key,
        metadata=metadata or {},
    )


def test_refunds_full_partial_and_listed(stripe_sandbox, paid):
    partial = refund(
        paid,
        "refund-1",
        amount=1000,
        reason="requested_by_customer",
        metadata={"by": "7"},
    )
    rest = refund(paid, "refund-2")

    assert (partial.amount, partial.status, partial.reason) == (
        1000,
        "succeeded",
        "requested_by_customer",
    )
    assert partial.metadata == {"by": "7"}
    assert rest.amount == 4000
    stored = gateway.client().v1.refunds.retrieve(
        partial.id, None, {"stripe_account": DEMO}
    )
    assert {
        field.name: stored.to_dict()[field.name]
        for field in dataclasses.fields(partial)
    } == dataclasses.asdict(partial)
    listed = gateway.list_refunds_for_payment(
        account=DEMO, payment_intent=paid.payment_intent
    )
    assert [r.id for r in listed] == [rest.id, partial.id]
    payment = gateway.retrieve_payment(account=DEMO, payment_intent=paid.payment_intent)
    assert payment.amount_refunded == 5000


def test_refunding_more_than_remains_is_an_invalid_request(stripe_sandbox, paid):
    with pytest.raises(gateway.InvalidRequest) as caught:
        refund(paid, "refund-too-much", amount=5001)

    assert caught.value.code == "amount_too_large"
    assert caught.value.request_id.startswith("req_")


def test_dashboard_refunds_appear_in_the_list(stripe_sandbox, paid):
    stripe_sandbox.dashboard_refund(payment_intent=paid.payment_intent, amount=700)

    listed = gateway.list_refunds_for_payment(
        account=DEMO, payment_intent=paid.payment_intent
    )

    assert [r.amount for r in listed] == [700]


def test_list_refunds_reads_every_page_of_a_charges_refunds(stripe_sandbox, paid):
    payment = gateway.retrieve_payment(account=DEMO, payment_intent=paid.payment_intent)
    for amount in range(101, 104):
        stripe_sandbox.dashboard_refund(charge=payment.charge, amount=amount)

    with mock.patch.object(gateway, "_LIST_PAGE", 2):
        listed = gateway.list_refunds(account=DEMO, charge=payment.charge)

    assert [r.amount for r in listed] == [103, 102, 101]
    assert {r.charge for r in listed} == {payment.charge}


# -- errors ---------------------------------------------------------------------


def test_amount_too_small_is_an_invalid_request_with_a_safe_message(
    stripe_sandbox, caplog
):
    with (
        caplog.at_level(logging.WARNING, logger="payments.gateway"),
        pytest.raises(gateway.InvalidRequest) as caught,
    ):
        checkout(amount=10)

    error = caught.value
    assert error.code == "amount_too_small"
    assert isinstance(error, gateway_errors.AmountTooSmall)
    assert error.message == (
        "The amount is below the minimum the payment service accepts in this "
        "currency, so it cannot be paid online."
    )
    assert error.request_id in caplog.text


def test_an_unknown_account_is_account_disconnected(stripe_sandbox):
    with pytest.raises(gateway.AccountDisconnected) as caught:
        checkout(account="acct_nobody")

    assert "not connected" in caught.value.message


def test_a_deauthorized_account_is_account_disconnected(stripe_sandbox):
    account = stripe_sandbox.create_account()
    session = checkout(account=account)
    stripe_sandbox.deauthorize(account)

    with pytest.raises(gateway.AccountDisconnected):
        gateway.retrieve_checkout_session(account=account, session_id=session.id)
    with pytest.raises(gateway.AccountDisconnected):
        gateway.retrieve_account(account=account)


def test_a_session_of_another_account_is_not_found(stripe_sandbox):
    other = stripe_sandbox.create_account()
    session = checkout()

    with pytest.raises(gateway.InvalidRequest) as caught:
        gateway.retrieve_checkout_session(account=other, session_id=session.id)

    assert caught.value.code == "resource_missing"


def test_retries_through_two_500s_create_exactly_one_session(stripe_sandbox):
    stripe_sandbox.inject_fault("500", count=2)

    session = checkout()

    listed = stripe.StripeClient(
        "sk_test_sandbox", base_addresses={"api": stripe_sandbox.url}
    ).v1.checkout.sessions.list(None, {"stripe_account": DEMO})
    assert [s["id"] for s in listed.data] == [session.id]


def test_500s_beyond_the_retries_are_stripe_unavailable(stripe_sandbox):
    stripe_sandbox.inject_fault("500", count=3)

    with pytest.raises(gateway.StripeUnavailable) as caught:
        checkout()

    assert "temporarily unavailable" in caught.value.message


def test_rate_limiting_is_stripe_unavailable(stripe_sandbox):
    stripe_sandbox.inject_fault("rate_limit")

    with pytest.raises(gateway.StripeUnavailable):
        gateway.retrieve_account(account=DEMO)


def test_a_hanging_stripe_is_stripe_unavailable(stripe_sandbox, settings):
    settings.STRIPE_TIMEOUT = (1.0, 0.2)
    stripe_sandbox.inject_fault("timeout", count=3, delay=0.4)

    with pytest.raises(gateway.StripeUnavailable):
        gateway.retrieve_account(account=DEMO)


def test_an_unreachable_stripe_is_stripe_unavailable(stripe_sandbox, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"

    with pytest.raises(gateway.StripeUnavailable):
        gateway.retrieve_account(account=DEMO)


def test_a_wrong_key_is_stripe_unavailable_for_users(stripe_sandbox, settings):
    settings.STRIPE_SECRET_KEY = "sk_live_wrong"

    with pytest.raises(gateway.StripeUnavailable):
        gateway.retrieve_account(account=DEMO)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (stripe.CardError("declined", None, "card_declined"), gateway.CardDeclined),
        (stripe.PermissionError("no access"), gateway.AccountDisconnected),
        (stripe.APIConnectionError("down"), gateway.StripeUnavailable),
        (stripe.RateLimitError("slow down"), gateway.StripeUnavailable),
        (stripe.APIError("boom"), gateway.StripeUnavailable),
        (
            stripe.InvalidRequestError("No such account: 'x'", None),
            gateway.AccountDisconnected,
        ),
        (stripe.IdempotencyError("other params"), gateway.GatewayError),
    ],
)
def test_each_stripe_error_maps_to_our_family(error, expected):
    with pytest.raises(expected) as caught:
        gateway._raise(error, "test")

    assert isinstance(caught.value, gateway.GatewayError)
    assert caught.value.message
    assert (
        "Stripe" not in caught.value.message or expected is gateway.AccountDisconnected
    )


def test_the_client_follows_settings_changes(stripe_sandbox, settings):
    first = gateway.client()
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"

    assert gateway.client() is not first
    assert gateway.client() is gateway.client()


# -- Connect --------------------------------------------------------------------


def test_oauth_authorize_url_points_at_the_sandbox(stripe_sandbox):
    url = gateway.oauth_authorize_url(state="abc", redirect_uri="http://app.test/cb/")

    assert url.startswith(f"{stripe_sandbox.url}/oauth/authorize?")
    for part in ("client_id=ca_sandbox", "scope=read_write", "state=abc"):
        assert part in url


def test_oauth_authorize_url_points_at_stripe_without_a_base(settings):
    settings.STRIPE_API_BASE = ""
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_CONNECT_CLIENT_ID = "ca_real"

    url = gateway.oauth_authorize_url(state="abc", redirect_uri="https://x.test/cb/")

    assert url.startswith("https://connect.stripe.com/oauth/authorize?")


def test_oauth_exchange_code_and_deauthorize(stripe_sandbox):
    url = gateway.oauth_authorize_url(
        state="abc", redirect_uri="http://app.test/stripe/connected/"
    )
    answer = stripe_sandbox.consent(url, "authorize", business_name="Ada Talks")
    code = answer.redirect_params["code"]

    token = gateway.oauth_exchange_code(code=code)
    info = gateway.retrieve_account(account=token.stripe_user_id)

    assert token.scope == "read_write"
    assert token.livemode is False
    assert info.business_name == "Ada Talks"
    assert info.charges_enabled is True
    with pytest.raises(gateway.InvalidRequest) as caught:
        gateway.oauth_exchange_code(code=code)
    assert caught.value.code == "invalid_grant"
    assert gateway.oauth_deauthorize(account=token.stripe_user_id) is True
    assert gateway.oauth_deauthorize(account=token.stripe_user_id) is False
    with pytest.raises(gateway.AccountDisconnected):
        gateway.retrieve_account(account=token.stripe_user_id)


def test_retrieve_account_returns_the_demo_account(stripe_sandbox):
    info = gateway.retrieve_account(account=DEMO)

    assert info == gateway.AccountInfo(
        id=DEMO,
        livemode=False,
        charges_enabled=True,
        details_submitted=True,
        business_name="Demo Webinars Ltd",
        email="demo-webinars@example.com",
        default_currency="gbp",
        country="GB",
    )


def test_create_account_returns_an_account_not_yet_onboarded(stripe_sandbox):
    info = gateway.create_account(
        email="ada@example.com", country="FR", idempotency_key="acct-create-1"
    )

    assert info.id.startswith("acct_")
    assert info.charges_enabled is False
    assert info.details_submitted is False
    assert info.email == "ada@example.com"
    assert info.country == "FR"
    assert gateway.retrieve_account(account=info.id) == info


def test_create_account_link_returns_a_single_use_onboarding_url(stripe_sandbox):
    info = gateway.create_account(
        email=None, country=None, idempotency_key="acct-create-2"
    )

    link = gateway.create_account_link(
        account=info.id,
        refresh_url="http://app.test/refresh/",
        return_url="http://app.test/return/",
    )

    assert link.url.startswith(stripe_sandbox.url)
    assert info.id in link.url
    assert link.expires_at > int(time.time()) - 60


# -- webhooks -------------------------------------------------------------------


def signed(payload: dict, secret: str, timestamp: int | None = None):
    body = json.dumps(payload)
    header = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp)
    return body.encode(), header


EVENT = {
    "id": "evt_1",
    "object": "event",
    "type": "checkout.session.completed",
    "account": DEMO,
    "livemode": False,
    "created": 1700000000,
    "api_version": "2026-10-28.endive",
    "data": {"object": {"id": "cs_test_1", "object": "checkout.session"}},
}


def test_parse_webhook_accepts_any_of_the_secrets():
    payload, header = signed(EVENT, "whsec_connect")

    event, body = gateway.parse_webhook(
        payload=payload, sig_header=header, secrets=["whsec_platform", "whsec_connect"]
    )

    assert event == gateway.WebhookEvent(
        id="evt_1",
        type="checkout.session.completed",
        account=DEMO,
        livemode=False,
        created=1700000000,
        object={"id": "cs_test_1", "object": "checkout.session"},
        previous_attributes=None,
        api_version="2026-10-28.endive",
    )
    assert body == EVENT  # the body as stored, parsed once


@pytest.mark.parametrize(
    "tamper",
    [
        lambda p, h: (p, h.replace("v1=", "v1=0")),
        lambda p, h: (p.replace(b"cs_test_1", b"cs_test_2"), h),
        lambda p, h: (p, ""),
    ],
)
def test_parse_webhook_refuses_a_bad_signature(tamper):
    payload, header = tamper(*signed(EVENT, "whsec_platform"))

    with pytest.raises(gateway.SignatureInvalid):
        gateway.parse_webhook(
            payload=payload, sig_header=header, secrets=["whsec_platform"]
        )


def test_parse_webhook_refuses_an_old_timestamp():
    payload, header = signed(EVENT, "whsec_platform", int(time.time()) - 301)

    with pytest.raises(gateway.SignatureInvalid):
        gateway.parse_webhook(
            payload=payload, sig_header=header, secrets=["whsec_platform"]
        )


def test_parse_webhook_reads_a_real_sandbox_delivery(stripe_sandbox, webhook_receiver):
    stripe_sandbox.register_webhook(
        webhook_receiver.url, "whsec_sandbox_connect", connect=True
    )
    session = checkout()
    stripe_sandbox.pay(session.id)
    stripe_sandbox.drain_webhooks()
    delivery = next(
        d
        for d in webhook_receiver.deliveries
        if b"checkout.session.completed" in d.body
    )

    event, _body = gateway.parse_webhook(
        payload=delivery.body,
        sig_header=delivery.headers["stripe-signature"],
        secrets=["whsec_sandbox", "whsec_sandbox_connect"],
    )

    assert event.type == "checkout.session.completed"
    assert event.account == DEMO
    assert event.object["id"] == session.id
    assert event.object["payment_status"] == "paid"


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("amount_too_small", gateway_errors.AmountTooSmall),
        ("amount_too_large", gateway_errors.AmountTooLarge),
        ("email_invalid", gateway_errors.EmailInvalid),
        ("parameter_unknown", gateway_errors.ParametersInvalid),
        ("resource_missing", gateway_errors.InvalidRequest),
    ],
)
def test_invalid_requests_raise_a_kind_whose_message_says_what_is_wrong(code, kind):
    error = stripe.InvalidRequestError("refused", param="amount", code=code)

    with pytest.raises(gateway.InvalidRequest) as raised:
        gateway._raise(error, "test")

    assert type(raised.value) is kind
    assert raised.value.code == code
    assert "temporarily" not in str(raised.value.message)
