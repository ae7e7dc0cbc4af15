"""Refunds and disputes on the sandbox."""

import pytest
import stripe

from tests.sandbox_fixtures import session_params

DEMO = "acct_1TesseraDemo0001"
ON_DEMO = {"stripe_account": DEMO}


@pytest.fixture
def intent_id(stripe_sandbox, stripe_sdk) -> str:
    session = stripe_sdk.v1.checkout.sessions.create(
        session_params(amount=5000), ON_DEMO
    )
    stripe_sandbox.complete(session["id"])
    return stripe_sandbox.object(session["id"])["payment_intent"]


def charge_of(sdk, intent_id, params=None):
    intent = sdk.v1.payment_intents.retrieve(intent_id, None, ON_DEMO)
    return sdk.v1.charges.retrieve(intent["latest_charge"], params, ON_DEMO)


def test_full_refund_refunds_the_whole_charge(stripe_sandbox, stripe_sdk, intent_id):
    refund = stripe_sdk.v1.refunds.create(
        {"payment_intent": intent_id, "reason": "requested_by_customer"}, ON_DEMO
    )

    charge = charge_of(stripe_sdk, intent_id, {"expand": ["refunds"]})
    assert refund["status"] == "succeeded"
    assert refund["amount"] == 5000
    assert refund["reason"] == "requested_by_customer"
    assert charge["amount_refunded"] == 5000
    assert charge["refunded"] is True
    assert [r["id"] for r in charge["refunds"]["data"]] == [refund["id"]]


def test_a_charge_lists_its_refunds_only_when_expanded(
    stripe_sandbox, stripe_sdk, intent_id
):
    stripe_sdk.v1.refunds.create({"payment_intent": intent_id, "amount": 100}, ON_DEMO)

    plain = charge_of(stripe_sdk, intent_id)
    expanded = charge_of(stripe_sdk, intent_id, {"expand": ["refunds"]})
    event = stripe_sdk.v1.events.list({"type": "charge.refunded"}, ON_DEMO).data[0]

    assert "refunds" not in plain
    assert "refunds" not in event["data"]["object"]
    assert plain["amount_refunded"] == 100
    assert [r["amount"] for r in expanded["refunds"]["data"]] == [100]
    assert expanded["refunds"]["url"] == f"/v1/charges/{plain['id']}/refunds"


def test_refunds_of_a_charge_are_listed_page_by_page(
    stripe_sandbox, stripe_sdk, intent_id
):
    made = [
        stripe_sdk.v1.refunds.create(
            {"payment_intent": intent_id, "amount": 100 + n}, ON_DEMO
        )["id"]
        for n in range(3)
    ]
    charge = charge_of(stripe_sdk, intent_id)["id"]

    first = stripe_sdk.v1.refunds.list({"charge": charge, "limit": 2}, ON_DEMO)
    rest = stripe_sdk.v1.refunds.list(
        {"charge": charge, "limit": 2, "starting_after": first.data[-1]["id"]},
        ON_DEMO,
    )
    every = stripe_sdk.v1.refunds.list({"charge": charge, "limit": 2}, ON_DEMO)

    assert first.has_more is True
    assert rest.has_more is False
    assert [r["id"] for r in first.data + rest.data] == made[::-1]
    assert [r["id"] for r in every.auto_paging_iter()] == made[::-1]


def test_partial_refunds_add_up_and_more_than_remains_is_refused(
    stripe_sandbox, stripe_sdk, intent_id
):
    stripe_sdk.v1.refunds.create({"payment_intent": intent_id, "amount": 2000}, ON_DEMO)
    stripe_sdk.v1.refunds.create({"payment_intent": intent_id, "amount": 1000}, ON_DEMO)

    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_sdk.v1.refunds.create(
            {"payment_intent": intent_id, "amount": 2001}, ON_DEMO
        )

    assert caught.value.code == "amount_too_large"
    assert caught.value.param == "amount"
    charge = charge_of(stripe_sdk, intent_id)
    assert charge["amount_refunded"] == 3000
    assert charge["refunded"] is False


def test_refunding_a_fully_refunded_charge_is_refused(
    stripe_sandbox, stripe_sdk, intent_id
):
    stripe_sdk.v1.refunds.create({"payment_intent": intent_id}, ON_DEMO)

    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_sdk.v1.refunds.create({"payment_intent": intent_id}, ON_DEMO)

    assert caught.value.code == "charge_already_refunded"


def test_refund_by_charge_and_with_metadata(stripe_sandbox, stripe_sdk, intent_id):
    charge = charge_of(stripe_sdk, intent_id)

    refund = stripe_sdk.v1.refunds.create(
        {"charge": charge["id"], "amount": 500, "metadata": {"by": "organizer-7"}},
        ON_DEMO,
    )

    assert refund["payment_intent"] == intent_id
    assert refund["metadata"].to_dict() == {"by": "organizer-7"}


def test_invalid_reason_is_refused(stripe_sandbox, stripe_sdk, intent_id):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_sdk.v1.refunds.create(
            {"payment_intent": intent_id, "reason": "changed_mind"}, ON_DEMO
        )

    assert caught.value.param == "reason"


def test_refunds_are_retrieved_and_listed_per_payment(
    stripe_sandbox, stripe_sdk, intent_id
):
    first = stripe_sdk.v1.refunds.create(
        {"payment_intent": intent_id, "amount": 100}, ON_DEMO
    )
    second = stripe_sdk.v1.refunds.create(
        {"payment_intent": intent_id, "amount": 200}, ON_DEMO
    )

    listed = stripe_sdk.v1.refunds.list({"payment_intent": intent_id}, ON_DEMO)
    again = stripe_sdk.v1.refunds.retrieve(first["id"], None, ON_DEMO)

    assert [r["id"] for r in listed.data] == [second["id"], first["id"]]
    assert again["amount"] == 100
    with pytest.raises(stripe.InvalidRequestError):
        stripe_sdk.v1.refunds.retrieve(first["id"])


def test_pending_refunds_settle_later(stripe_sandbox, stripe_sdk, intent_id):
    stripe_sandbox.refunds_pending()
    refund = stripe_sdk.v1.refunds.create({"payment_intent": intent_id}, ON_DEMO)

    stripe_sandbox.settle_refund(refund["id"], "succeeded")

    settled = stripe_sdk.v1.refunds.retrieve(refund["id"], None, ON_DEMO)
    updated = stripe_sdk.v1.events.list({"type": "refund.updated"}, ON_DEMO).data
    assert refund["status"] == "pending"
    assert refund["balance_transaction"] is None
    assert settled["status"] == "succeeded"
    assert settled["balance_transaction"].startswith("txn_")
    assert updated[0]["data"]["previous_attributes"]["status"] == "pending"


def test_a_failed_refund_gives_the_amount_back_to_refund(
    stripe_sandbox, stripe_sdk, intent_id
):
    stripe_sandbox.refunds_pending()
    refund = stripe_sdk.v1.refunds.create({"payment_intent": intent_id}, ON_DEMO)

    stripe_sandbox.settle_refund(refund["id"], "failed")

    charge = charge_of(stripe_sdk, intent_id)
    types = [e["type"] for e in stripe_sdk.v1.events.list(None, ON_DEMO).data]
    assert charge["amount_refunded"] == 0
    assert types[:2] == ["refund.failed", "refund.updated"]
    again = stripe_sdk.v1.refunds.create({"payment_intent": intent_id}, ON_DEMO)
    assert again["amount"] == 5000


def test_dashboard_refund_emits_events_without_an_api_request(
    stripe_sandbox, stripe_sdk, intent_id
):
    refund = stripe_sandbox.dashboard_refund(payment_intent=intent_id, amount=1500)

    events = stripe_sdk.v1.events.list(
        {"types": ["charge.refunded", "refund.*"]}, ON_DEMO
    )
    listed = stripe_sdk.v1.refunds.list({"payment_intent": intent_id}, ON_DEMO)
    assert [e["type"] for e in events.data] == ["refund.created", "charge.refunded"]
    assert all(e["request"]["id"] is None for e in events.data)
    assert events.data[1]["data"]["previous_attributes"]["amount_refunded"] == 0
    assert [r["id"] for r in listed.data] == [refund["id"]]


def test_disputes_open_and_close_with_events(stripe_sandbox, stripe_sdk, intent_id):
    charge = charge_of(stripe_sdk, intent_id)

    dispute = stripe_sandbox.dispute(charge["id"])
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_sdk.v1.refunds.create({"payment_intent": intent_id}, ON_DEMO)
    stripe_sandbox.close_dispute(dispute["id"], "lost")

    events = stripe_sdk.v1.events.list({"type": "charge.dispute.*"}, ON_DEMO).data
    assert caught.value.code == "charge_disputed"
    assert [e["type"] for e in events] == [
        "charge.dispute.closed",
        "charge.dispute.created",
    ]
    assert events[0]["data"]["object"]["status"] == "lost"
    assert events[1]["data"]["object"]["charge"] == charge["id"]
    assert charge_of(stripe_sdk, intent_id)["disputed"] is True


def test_a_processing_payment_cannot_be_refunded(stripe_sandbox, stripe_sdk):
    session = stripe_sdk.v1.checkout.sessions.create(session_params(), ON_DEMO)
    stripe_sandbox.complete(session["id"], "async")
    intent_id = stripe_sandbox.object(session["id"])["payment_intent"]

    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_sdk.v1.refunds.create({"payment_intent": intent_id}, ON_DEMO)

    assert caught.value.code == "payment_intent_unexpected_state"
