"""Listing events as Stripe does, and losing webhook deliveries on purpose."""

import pytest
import stripe

from tests.sandbox_fixtures import session_params

DEMO = "acct_1TesseraDemo0001"
ON_DEMO = {"stripe_account": DEMO}
CONNECT_SECRET = "whsec_test_connect"


def paid_session(sandbox, sdk):
    session = sdk.v1.checkout.sessions.create(session_params(), ON_DEMO)
    sandbox.complete(session["id"])
    return session


def completed_ids(sdk, params):
    params = {"types": ["checkout.session.completed"], **params}
    return [e["data"]["object"]["id"] for e in sdk.v1.events.list(params, ON_DEMO)]


def test_dropped_deliveries_never_arrive_but_the_events_are_listed(
    stripe_sandbox, stripe_sdk, webhook_receiver
):
    stripe_sandbox.register_webhook(webhook_receiver.url, CONNECT_SECRET, connect=True)
    state = stripe_sandbox.drop_deliveries()

    paid_session(stripe_sandbox, stripe_sdk)
    paid_session(stripe_sandbox, stripe_sdk)
    stripe_sandbox.drain_webhooks()

    assert state["drop_deliveries"] == "all"
    assert webhook_receiver.deliveries == []
    assert stripe_sandbox.webhook_attempts() == []
    assert stripe_sandbox.state()["dropped"] == 6
    assert len(stripe_sdk.v1.events.list(None, ON_DEMO).data) == 6


def test_drop_loses_only_the_next_n_deliveries(
    stripe_sandbox, stripe_sdk, webhook_receiver
):
    stripe_sandbox.register_webhook(webhook_receiver.url, CONNECT_SECRET, connect=True)
    stripe_sandbox.drop_deliveries(2)

    paid_session(stripe_sandbox, stripe_sdk)
    stripe_sandbox.drain_webhooks()

    assert [e["type"] for e in webhook_receiver.events()] == [
        "checkout.session.completed"
    ]
    assert stripe_sandbox.state()["drop_deliveries"] == 0


def test_drop_zero_delivers_again_and_reset_forgets_dropping(
    stripe_sandbox, stripe_sdk, webhook_receiver
):
    stripe_sandbox.drop_deliveries()
    stripe_sandbox.drop_deliveries(0)
    stripe_sandbox.register_webhook(webhook_receiver.url, CONNECT_SECRET, connect=True)
    paid_session(stripe_sandbox, stripe_sdk)
    stripe_sandbox.drain_webhooks()
    assert len(webhook_receiver.events()) == 3

    stripe_sandbox.drop_deliveries()
    assert stripe_sandbox.reset()["drop_deliveries"] == 0


def test_events_are_filtered_by_created_bounds(stripe_sandbox, stripe_sdk):
    first = paid_session(stripe_sandbox, stripe_sdk)
    stripe_sandbox.advance_clock(10)
    second = paid_session(stripe_sandbox, stripe_sdk)
    created = stripe_sdk.v1.events.list(
        {"types": ["checkout.session.completed"]}, ON_DEMO
    ).data[0]["created"]

    assert completed_ids(stripe_sdk, {"created": {"gt": created - 1}}) == [second["id"]]
    assert completed_ids(stripe_sdk, {"created": {"gte": created}}) == [second["id"]]
    assert completed_ids(stripe_sdk, {"created": {"gt": created}}) == []
    assert completed_ids(stripe_sdk, {"created": {"lt": created}}) == [first["id"]]
    assert completed_ids(stripe_sdk, {"created": {"lte": created}}) == [
        second["id"],
        first["id"],
    ]
    assert completed_ids(stripe_sdk, {"created": created}) == [second["id"]]


def test_events_are_filtered_by_types_and_paged_both_ways(stripe_sandbox, stripe_sdk):
    sessions = [paid_session(stripe_sandbox, stripe_sdk)["id"] for _ in range(3)]

    newest_first = completed_ids(stripe_sdk, {"limit": 100})
    page = stripe_sdk.v1.events.list(
        {"types": ["checkout.session.completed"], "limit": 2}, ON_DEMO
    )
    older = stripe_sdk.v1.events.list(
        {
            "types": ["checkout.session.completed"],
            "starting_after": page.data[-1]["id"],
        },
        ON_DEMO,
    )
    newer = stripe_sdk.v1.events.list(
        {
            "types": ["checkout.session.completed"],
            "ending_before": older.data[0]["id"],
        },
        ON_DEMO,
    )

    assert newest_first == list(reversed(sessions))
    assert page.has_more
    assert [e["data"]["object"]["id"] for e in older.data] == [sessions[0]]
    assert [e["id"] for e in newer.data] == [e["id"] for e in page.data]
    assert {e["type"] for e in stripe_sdk.v1.events.list(None, ON_DEMO)} > {
        "checkout.session.completed"
    }


def test_an_unknown_created_bound_is_refused(stripe_sandbox, stripe_sdk):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_sdk.v1.events.list({"created": {"after": 1}}, ON_DEMO)

    assert raised.value.code == "parameter_unknown"
    assert raised.value.param == "created[after]"
