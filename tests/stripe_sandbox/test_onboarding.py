"""Connect Onboarding on the sandbox: created accounts and Account Links."""

import pytest
import stripe

from tests.sandbox_fixtures import http
from tests.stripe_sandbox.test_shapes import keys, stripe_fixture

RETURN = "http://app.test/stripe/onboarded/"
REFRESH = "http://app.test/stripe/onboarding/refresh/"


def new_account(stripe_sdk) -> str:
    account = stripe_sdk.v1.accounts.create(
        {
            "type": "standard",
            "country": "FR",
            "email": "ada@example.com",
            "default_currency": "eur",
        }
    )
    return account["id"]


def account_link(stripe_sdk, account: str):
    return stripe_sdk.v1.account_links.create(
        {
            "account": account,
            "type": "account_onboarding",
            "refresh_url": REFRESH,
            "return_url": RETURN,
        }
    )


def test_a_created_account_starts_without_charges_or_details(stripe_sdk):
    account = stripe_sdk.v1.accounts.create({"type": "standard", "country": "FR"})

    assert account["object"] == "account"
    assert account["type"] == "standard"
    assert account["country"] == "FR"
    assert account["charges_enabled"] is False
    assert account["details_submitted"] is False
    assert keys(account) == set(stripe_fixture("account"))


def test_creating_an_account_refuses_an_unknown_parameter(stripe_sdk):
    with pytest.raises(stripe.InvalidRequestError) as failure:
        stripe_sdk.v1.accounts.create({"type": "standard", "colour": "blue"})

    assert failure.value.code == "parameter_unknown"
    assert failure.value.param == "colour"


def test_an_account_link_has_the_fixture_keys_and_a_hosted_page(
    stripe_sandbox, stripe_sdk
):
    link = account_link(stripe_sdk, new_account(stripe_sdk))

    assert keys(link) == set(stripe_fixture("account_link"))
    assert link["object"] == "account_link"
    assert link["expires_at"] > link["created"]
    assert link["url"].startswith(stripe_sandbox.url)
    page = http("GET", link["url"])
    assert page.status == 200
    assert 'value="complete"' in page.text


def test_an_account_link_needs_account_onboarding_and_urls(stripe_sdk):
    account = new_account(stripe_sdk)

    with pytest.raises(stripe.InvalidRequestError):
        stripe_sdk.v1.account_links.create(
            {"account": account, "type": "account_update", "return_url": RETURN}
        )


def test_completing_onboarding_enables_charges_emits_the_event_and_returns(
    stripe_sandbox, stripe_sdk
):
    account = new_account(stripe_sdk)
    link = account_link(stripe_sdk, account)

    answer = http("POST", link["url"], data=b"decision=complete")

    assert answer.status == 303
    assert answer.location == RETURN
    retrieved = stripe_sdk.v1.accounts.retrieve(account)
    assert retrieved["charges_enabled"] is True
    assert retrieved["details_submitted"] is True
    assert retrieved["requirements"]["currently_due"] == []
    events = stripe_sdk.v1.events.list(
        {"type": "account.updated"}, {"stripe_account": account}
    )
    event = events.data[0]
    assert event["account"] == account
    assert event["data"]["object"]["details_submitted"] is True


def test_leaving_onboarding_returns_with_the_account_unchanged(
    stripe_sandbox, stripe_sdk
):
    account = new_account(stripe_sdk)

    answer = http("POST", account_link(stripe_sdk, account)["url"], data=b"")

    assert answer.location == RETURN
    assert stripe_sdk.v1.accounts.retrieve(account)["details_submitted"] is False


def test_a_used_or_expired_link_goes_to_the_refresh_url(stripe_sandbox, stripe_sdk):
    account = new_account(stripe_sdk)
    used = account_link(stripe_sdk, account)
    http("POST", used["url"], data=b"decision=leave")
    expired = account_link(stripe_sdk, account)
    stripe_sandbox.advance_clock(301)

    for link in (used, expired):
        answer = http("GET", link["url"])
        assert answer.status == 302
        assert answer.location == REFRESH
    assert stripe_sdk.v1.accounts.retrieve(account)["details_submitted"] is False
