"""Connect OAuth on the sandbox: consent page, token exchange, deauthorization."""

from urllib.parse import urlencode

import pytest
import stripe
from stripe import oauth_error

from tests.sandbox_fixtures import http

REDIRECT = "http://app.test/stripe/connected/"


def authorize_url(stripe_sdk) -> str:
    return stripe_sdk.oauth.authorize_url(
        {"scope": "read_write", "state": "s-123", "redirect_uri": REDIRECT}
    )


def redirect_query(answer) -> dict[str, str]:
    assert answer.status == 302
    assert answer.location.startswith(REDIRECT)
    return answer.redirect_params


def test_authorize_page_offers_authorize_and_deny(stripe_sandbox, stripe_sdk):
    url = authorize_url(stripe_sdk)

    page = http("GET", url)

    assert url.startswith(f"{stripe_sandbox.url}/oauth/authorize?")
    assert page.status == 200
    assert 'value="authorize"' in page.text
    assert 'value="deny"' in page.text


def test_authorize_page_refuses_an_unknown_client_id(stripe_sandbox):
    query = urlencode(
        {"response_type": "code", "client_id": "ca_other", "redirect_uri": REDIRECT}
    )

    page = http("GET", f"{stripe_sandbox.url}/oauth/authorize?{query}")

    assert page.status == 400


def test_authorize_creates_an_account_and_the_code_exchanges_once(
    stripe_sandbox, stripe_sdk
):
    query = redirect_query(
        stripe_sandbox.consent(
            authorize_url(stripe_sdk), "authorize", business_name="Ada's Talks"
        )
    )

    token = stripe_sdk.oauth.token(
        {"grant_type": "authorization_code", "code": query["code"]}
    )
    with pytest.raises(oauth_error.InvalidGrantError):
        stripe_sdk.oauth.token(
            {"grant_type": "authorization_code", "code": query["code"]}
        )

    assert query["state"] == "s-123"
    assert set(token.to_dict()) == {
        "access_token",
        "livemode",
        "refresh_token",
        "scope",
        "stripe_publishable_key",
        "stripe_user_id",
        "token_type",
    }
    assert token["scope"] == "read_write"
    assert token["livemode"] is False
    account = stripe_sdk.v1.accounts.retrieve(token["stripe_user_id"])
    assert account["business_profile"]["name"] == "Ada's Talks"


def test_authorize_can_link_an_existing_account(stripe_sandbox, stripe_sdk):
    query = redirect_query(
        stripe_sandbox.consent(
            authorize_url(stripe_sdk), "authorize", account="acct_1TesseraDemo0001"
        )
    )

    token = stripe_sdk.oauth.token(
        {"grant_type": "authorization_code", "code": query["code"]}
    )

    assert token["stripe_user_id"] == "acct_1TesseraDemo0001"


def test_deny_redirects_with_access_denied(stripe_sandbox, stripe_sdk):
    query = redirect_query(stripe_sandbox.consent(authorize_url(stripe_sdk), "deny"))

    assert query["error"] == "access_denied"
    assert query["error_description"]
    assert query["state"] == "s-123"
    assert "code" not in query


def test_a_bad_code_is_invalid_grant(stripe_sandbox, stripe_sdk):
    with pytest.raises(oauth_error.InvalidGrantError) as caught:
        stripe_sdk.oauth.token({"grant_type": "authorization_code", "code": "ac_nope"})

    assert caught.value.code == "invalid_grant"


def test_deauthorize_unlinks_the_account_and_emits_a_connect_event(
    stripe_sandbox, stripe_sdk, webhook_receiver
):
    stripe_sandbox.register_webhook(webhook_receiver.url, "whsec_c", connect=True)
    account = stripe_sandbox.create_account()

    answer = stripe_sdk.oauth.deauthorize({"stripe_user_id": account})
    stripe_sandbox.drain_webhooks()

    assert answer["stripe_user_id"] == account
    with pytest.raises(stripe.PermissionError):
        stripe_sdk.v1.accounts.retrieve(account)
    [event] = webhook_receiver.events()
    assert event["type"] == "account.application.deauthorized"
    assert event["account"] == account
    with pytest.raises(oauth_error.InvalidClientError):
        stripe_sdk.oauth.deauthorize({"stripe_user_id": account})


def test_the_token_call_refuses_an_unconfigured_key(stripe_sandbox, stripe_sdk):
    query = redirect_query(
        stripe_sandbox.consent(authorize_url(stripe_sdk), "authorize")
    )
    wrong = stripe.StripeClient(
        "sk_test_wrong_key",
        base_addresses={"api": stripe_sandbox.url, "connect": stripe_sandbox.url},
        client_id="ca_sandbox",
    )

    with pytest.raises(stripe.AuthenticationError):
        wrong.oauth.token({"grant_type": "authorization_code", "code": query["code"]})
    with pytest.raises(stripe.AuthenticationError):
        stripe_sdk.oauth.token(
            {
                "grant_type": "authorization_code",
                "code": query["code"],
                "client_secret": "sk_test_wrong_key",
            }
        )
    # A refused call does not use the code up.
    token = stripe_sdk.oauth.token(
        {"grant_type": "authorization_code", "code": query["code"]}
    )
    assert token["stripe_user_id"].startswith("acct_")
