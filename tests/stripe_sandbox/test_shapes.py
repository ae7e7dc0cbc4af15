"""Every object the sandbox returns has exactly the keys of Stripe's fixture."""

from typing import Any

import pytest
import stripe

from stripe_sandbox.objects import API_VERSION
from tests.sandbox_fixtures import session_params
from tests.stripe_sandbox.conformance import drift, sdk_type, stripe_fixture

DEMO = "acct_1TesseraDemo0001"
# Keys Stripe's fixture shows but the API leaves out unless asked with `expand`
# (a Charge's `refunds` since API version 2022-11-15).
INCLUDABLE = {"refunds"}


def keys(obj: Any) -> set[str]:
    return set(obj.to_dict() if hasattr(obj, "to_dict") else obj)


@pytest.fixture
def paid(stripe_sandbox, stripe_sdk):
    """A paid, partly refunded session on the demo account."""
    options = {"stripe_account": DEMO}
    session = stripe_sdk.v1.checkout.sessions.create(session_params(), options)
    stripe_sandbox.complete(session["id"])
    session = stripe_sdk.v1.checkout.sessions.retrieve(session["id"], None, options)
    intent = stripe_sdk.v1.payment_intents.retrieve(
        session["payment_intent"], None, options
    )
    charge = stripe_sdk.v1.charges.retrieve(intent["latest_charge"], None, options)
    refund = stripe_sdk.v1.refunds.create(
        {"payment_intent": intent["id"], "amount": 1000}, options
    )
    return {
        "checkout.session": session,
        "payment_intent": intent,
        "charge": charge,
        "refund": refund,
        "balance_transaction": stripe_sdk.v1.balance_transactions.retrieve(
            charge["balance_transaction"], None, options
        ),
    }


@pytest.mark.parametrize(
    "object_type",
    ["checkout.session", "payment_intent", "charge", "refund", "balance_transaction"],
)
def test_payment_objects_have_the_keys_of_stripes_fixture(paid, object_type):
    assert keys(paid[object_type]) == set(stripe_fixture(object_type)) - INCLUDABLE
    assert paid[object_type]["object"] == object_type


def test_a_charge_asked_for_its_refunds_has_every_key_of_the_fixture(paid, stripe_sdk):
    charge = stripe_sdk.v1.charges.retrieve(
        paid["charge"]["id"], {"expand": ["refunds"]}, {"stripe_account": DEMO}
    )

    assert keys(charge) == set(stripe_fixture("charge"))


def test_an_open_session_has_the_keys_of_stripes_fixture(stripe_sandbox, stripe_sdk):
    session = stripe_sdk.v1.checkout.sessions.create(session_params())

    assert keys(session) == set(stripe_fixture("checkout.session"))


def test_a_refund_balance_transaction_has_the_keys_of_stripes_fixture(paid, stripe_sdk):
    options = {"stripe_account": DEMO}
    refund = stripe_sdk.v1.refunds.retrieve(paid["refund"]["id"], None, options)
    txn = stripe_sdk.v1.balance_transactions.retrieve(
        refund["balance_transaction"], None, options
    )

    assert keys(txn) == set(stripe_fixture("balance_transaction"))
    assert txn["amount"] == -1000


def test_accounts_have_the_keys_of_stripes_fixture(stripe_sandbox, stripe_sdk):
    created = stripe_sandbox.create_account()

    for account in (
        stripe_sdk.v1.accounts.retrieve(DEMO),
        stripe_sdk.v1.accounts.retrieve(created),
        stripe_sdk.v1.accounts.retrieve_current(None, {"stripe_account": DEMO}),
    ):
        assert keys(account) == set(stripe_fixture("account"))


def test_connect_events_have_the_fixture_keys_plus_account(paid, stripe_sdk):
    events = stripe_sdk.v1.events.list(None, {"stripe_account": DEMO})

    assert events.data
    for event in events.data:
        # Stripe's fixture shows a platform event; Connect events add `account`.
        assert keys(event) == set(stripe_fixture("event")) | {"account"}
        assert event["account"] == DEMO


def test_platform_events_have_exactly_the_fixture_keys(stripe_sandbox, stripe_sdk):
    session = stripe_sdk.v1.checkout.sessions.create(session_params())
    stripe_sandbox.complete(session["id"])

    events = stripe_sdk.v1.events.list()

    assert {e["type"] for e in events.data} >= {"checkout.session.completed"}
    for event in events.data:
        assert keys(event) == set(stripe_fixture("event"))


def test_event_payloads_carry_objects_with_the_fixture_keys(paid, stripe_sdk):
    events = stripe_sdk.v1.events.list(None, {"stripe_account": DEMO}).data
    by_type = {event["type"]: event for event in events}

    completed = by_type["checkout.session.completed"]["data"]["object"]
    refunded = by_type["charge.refunded"]["data"]["object"]
    created = by_type["refund.created"]["data"]["object"]

    assert keys(completed) == set(stripe_fixture("checkout.session"))
    assert keys(refunded) == set(stripe_fixture("charge")) - INCLUDABLE
    assert keys(created) == set(stripe_fixture("refund"))


def test_disputes_line_items_and_endpoints_have_the_fixture_keys(
    paid, stripe_sandbox, stripe_sdk
):
    options = {"stripe_account": DEMO}
    dispute = stripe_sandbox.dispute(paid["charge"]["id"])
    stripe_sandbox.register_webhook("http://127.0.0.1:9/hook/", "whsec_x")

    items = stripe_sdk.v1.checkout.sessions.line_items.list(
        paid["checkout.session"]["id"], None, options
    )
    endpoints = stripe_sdk.v1.webhook_endpoints.list()

    assert keys(stripe_sdk.v1.disputes.retrieve(dispute["id"], None, options)) == set(
        stripe_fixture("dispute")
    )
    assert keys(items.data[0]) == set(stripe_fixture("item"))
    assert keys(endpoints.data[0]) == set(stripe_fixture("webhook_endpoint"))


# -- the pinned SDK's API version -----------------------------------------------

SDK_TYPES = {
    kind: sdk_type(kind)
    for kind in (
        "checkout.session",
        "payment_intent",
        "charge",
        "refund",
        "balance_transaction",
        "dispute",
        "account",
        "account_link",
        "item",
        "webhook_endpoint",
    )
}


def test_the_sandbox_speaks_the_installed_sdks_api_version():
    assert stripe.api_version == API_VERSION


def test_objects_match_the_fixture_and_the_sdk_type_at_every_depth(
    paid, stripe_sandbox, stripe_sdk
):
    options = {"stripe_account": DEMO}
    dispute = stripe_sandbox.dispute(paid["charge"]["id"])
    stripe_sandbox.register_webhook("http://127.0.0.1:9/hook/", "whsec_x")
    objects = [
        *paid.values(),
        stripe_sdk.v1.disputes.retrieve(dispute["id"], None, options),
        stripe_sdk.v1.accounts.retrieve(DEMO),
        stripe_sdk.v1.checkout.sessions.line_items.list(
            paid["checkout.session"]["id"], None, options
        ).data[0],
        stripe_sdk.v1.webhook_endpoints.list().data[0],
    ]

    problems = {}
    for obj in objects:
        plain = obj.to_dict()
        kind = plain["object"]
        # A charge's `refunds` come only with expand[]=refunds: drift knows.
        problems[kind] = drift(plain, stripe_fixture(kind), SDK_TYPES[kind])

    assert problems == dict.fromkeys(problems, [])


def test_a_created_account_and_its_link_match_the_fixture_and_the_sdk_type(
    stripe_sdk,
):
    created = stripe_sdk.v1.accounts.create({"type": "standard", "country": "FR"})
    link = stripe_sdk.v1.account_links.create(
        {
            "account": created["id"],
            "type": "account_onboarding",
            "refresh_url": "http://app.test/refresh/",
            "return_url": "http://app.test/return/",
        }
    )

    problems = {
        obj["object"]: drift(
            obj.to_dict(), stripe_fixture(obj["object"]), SDK_TYPES[obj["object"]]
        )
        for obj in (created, link)
    }

    assert problems == {"account": [], "account_link": []}


def test_a_session_is_a_hosted_page_and_a_dispute_names_its_network(
    paid, stripe_sandbox
):
    dispute = stripe_sandbox.dispute(paid["charge"]["id"])

    assert paid["checkout.session"]["ui_mode"] == "hosted_page"
    assert paid["checkout.session"]["automatic_tax"]["provider"] is None
    assert dispute["payment_method_details"]["card"]["network"] == "visa"
