"""Webhook delivery: signed like Stripe, retried, duplicated, reordered, routed."""

import pytest
import stripe

from tests.sandbox_fixtures import session_params

DEMO = "acct_1TesseraDemo0001"
ON_DEMO = {"stripe_account": DEMO}
SECRET = "whsec_test_platform"
CONNECT_SECRET = "whsec_test_connect"


def paid_session(sandbox, sdk, options=ON_DEMO):
    session = sdk.v1.checkout.sessions.create(session_params(), options)
    sandbox.complete(session["id"])
    return session


def completed(receiver):
    return [e for e in receiver.events() if e["type"] == "checkout.session.completed"]


def test_deliveries_verify_with_construct_event(
    stripe_sandbox, stripe_sdk, webhook_receiver
):
    stripe_sandbox.register_webhook(webhook_receiver.url, CONNECT_SECRET, connect=True)
    session = paid_session(stripe_sandbox, stripe_sdk)

    stripe_sandbox.drain_webhooks()

    delivery = next(
        d
        for d in webhook_receiver.deliveries
        if d.json()["type"] == "checkout.session.completed"
    )
    event = stripe.Webhook.construct_event(
        delivery.body, delivery.headers["stripe-signature"], CONNECT_SECRET
    )
    assert event["data"]["object"]["id"] == session["id"]
    assert event["account"] == DEMO
    assert delivery.headers["content-type"].startswith("application/json")


def test_a_wrong_secret_does_not_verify(stripe_sandbox, stripe_sdk, webhook_receiver):
    stripe_sandbox.register_webhook(webhook_receiver.url, CONNECT_SECRET, connect=True)
    paid_session(stripe_sandbox, stripe_sdk)
    stripe_sandbox.drain_webhooks()
    delivery = webhook_receiver.deliveries[0]

    try:
        stripe.Webhook.construct_event(
            delivery.body, delivery.headers["stripe-signature"], "whsec_other"
        )
    except stripe.SignatureVerificationError:
        pass
    else:
        raise AssertionError("a foreign secret verified")


def test_connect_events_reach_only_connect_endpoints(
    stripe_sandbox, stripe_sdk, webhook_receiver
):
    stripe_sandbox.register_webhook(webhook_receiver.url + "platform/", SECRET)
    stripe_sandbox.register_webhook(
        webhook_receiver.url + "connect/", CONNECT_SECRET, connect=True
    )
    paid_session(stripe_sandbox, stripe_sdk)
    paid_session(stripe_sandbox, stripe_sdk, options={})

    stripe_sandbox.drain_webhooks()

    by_url = {}
    for attempt in stripe_sandbox.webhook_attempts():
        by_url.setdefault(attempt["url"].rsplit("/", 2)[-2], []).append(attempt)
    events = {e["id"]: e for e in webhook_receiver.events()}
    for attempt in by_url["connect"]:
        assert events[attempt["event"]]["account"] == DEMO
    for attempt in by_url["platform"]:
        assert "account" not in events[attempt["event"]]
    assert by_url["connect"] and by_url["platform"]


def test_a_non_2xx_answer_is_retried_until_accepted(
    stripe_sandbox, stripe_sdk, webhook_receiver
):
    stripe_sandbox.register_webhook(
        webhook_receiver.url,
        CONNECT_SECRET,
        connect=True,
        enabled_events=["checkout.session.completed"],
    )
    webhook_receiver.fail_next(2, status=500)

    paid_session(stripe_sandbox, stripe_sdk)
    stripe_sandbox.drain_webhooks()

    attempts = stripe_sandbox.webhook_attempts()
    assert [(a["attempt"], a["status"]) for a in attempts] == [
        (1, 500),
        (2, 500),
        (3, 200),
    ]
    assert len(completed(webhook_receiver)) == 1


def test_an_unreachable_endpoint_is_retried_then_given_up(stripe_sandbox, stripe_sdk):
    stripe_sandbox.register_webhook(
        "http://127.0.0.1:9/stripe/webhook/", CONNECT_SECRET, connect=True
    )

    paid_session(stripe_sandbox, stripe_sdk)
    stripe_sandbox.drain_webhooks()

    attempts = [
        a
        for a in stripe_sandbox.webhook_attempts()
        if a["type"] == "checkout.session.completed"
    ]
    assert [a["attempt"] for a in attempts] == [1, 2, 3, 4]
    assert not any(a["ok"] for a in attempts)


def test_redeliver_sends_a_duplicate_with_the_same_event_id(
    stripe_sandbox, stripe_sdk, webhook_receiver
):
    stripe_sandbox.register_webhook(webhook_receiver.url, CONNECT_SECRET, connect=True)
    paid_session(stripe_sandbox, stripe_sdk)
    stripe_sandbox.drain_webhooks()
    event_id = completed(webhook_receiver)[0]["id"]

    stripe_sandbox.redeliver(event_id)
    stripe_sandbox.drain_webhooks()

    assert [e["id"] for e in completed(webhook_receiver)] == [event_id, event_id]


def test_held_deliveries_are_released_in_reverse(
    stripe_sandbox, stripe_sdk, webhook_receiver
):
    stripe_sandbox.register_webhook(webhook_receiver.url, CONNECT_SECRET, connect=True)
    stripe_sandbox.hold_deliveries()
    session = paid_session(stripe_sandbox, stripe_sdk)
    stripe_sdk.v1.refunds.create(
        {"payment_intent": stripe_sandbox.object(session["id"])["payment_intent"]},
        ON_DEMO,
    )
    stripe_sandbox.drain_webhooks()
    assert webhook_receiver.deliveries == []

    assert stripe_sandbox.release("reverse") == 5
    stripe_sandbox.drain_webhooks()

    assert [e["type"] for e in webhook_receiver.events()] == [
        "refund.created",
        "charge.refunded",
        "checkout.session.completed",
        "payment_intent.succeeded",
        "charge.succeeded",
    ]


def test_held_deliveries_can_be_shuffled(stripe_sandbox, stripe_sdk, webhook_receiver):
    stripe_sandbox.register_webhook(webhook_receiver.url, CONNECT_SECRET, connect=True)
    stripe_sandbox.hold_deliveries()
    for _ in range(3):
        paid_session(stripe_sandbox, stripe_sdk)

    stripe_sandbox.release("shuffle")
    stripe_sandbox.drain_webhooks()

    assert len(completed(webhook_receiver)) == 3
    assert len(webhook_receiver.events()) == 9


def test_events_are_listed_newest_first_and_retrieved_by_id(stripe_sandbox, stripe_sdk):
    session = paid_session(stripe_sandbox, stripe_sdk)

    events = stripe_sdk.v1.events.list(None, ON_DEMO).data
    again = stripe_sdk.v1.events.retrieve(events[0]["id"], None, ON_DEMO)

    assert [e["type"] for e in events] == [
        "checkout.session.completed",
        "payment_intent.succeeded",
        "charge.succeeded",
    ]
    assert again["data"]["object"]["id"] == session["id"]
    assert again["api_version"]
    assert again["request"]["id"] is None
    with pytest.raises(stripe.InvalidRequestError):
        # Connect events live on the connected account, not the platform.
        stripe_sdk.v1.events.retrieve(events[0]["id"])


def test_api_caused_events_name_the_request_and_idempotency_key(
    stripe_sandbox, stripe_sdk
):
    session = stripe_sdk.v1.checkout.sessions.create(session_params(), ON_DEMO)

    expired = stripe_sdk.v1.checkout.sessions.expire(
        session["id"], None, {**ON_DEMO, "idempotency_key": "expire-1"}
    )

    event = stripe_sdk.v1.events.list(None, ON_DEMO).data[0]
    assert event["type"] == "checkout.session.expired"
    assert event["request"]["id"] == expired.last_response.request_id
    assert event["request"]["idempotency_key"] == "expire-1"


def test_account_updates_and_deauthorization_are_connect_events(
    stripe_sandbox, stripe_sdk, webhook_receiver
):
    stripe_sandbox.register_webhook(webhook_receiver.url, CONNECT_SECRET, connect=True)
    account = stripe_sandbox.create_account()

    stripe_sandbox.update_account(account, charges_enabled=False)
    stripe_sandbox.deauthorize(account)
    stripe_sandbox.drain_webhooks()

    updated, deauthorized = webhook_receiver.events()
    assert updated["type"] == "account.updated"
    assert updated["account"] == account
    assert updated["data"]["object"]["charges_enabled"] is False
    assert updated["data"]["previous_attributes"]["charges_enabled"] is True
    assert deauthorized["type"] == "account.application.deauthorized"
    assert deauthorized["account"] == account
    assert deauthorized["data"]["object"]["object"] == "application"


def test_api_created_endpoints_get_a_secret_and_receive_events(
    stripe_sandbox, stripe_sdk, webhook_receiver
):
    endpoint = stripe_sdk.v1.webhook_endpoints.create(
        {"url": webhook_receiver.url, "enabled_events": ["*"], "connect": True}
    )

    paid_session(stripe_sandbox, stripe_sdk)
    stripe_sandbox.drain_webhooks()

    delivery = webhook_receiver.deliveries[0]
    stripe.Webhook.construct_event(
        delivery.body, delivery.headers["stripe-signature"], endpoint["secret"]
    )
    listed = stripe_sdk.v1.webhook_endpoints.list()
    assert [e["id"] for e in listed.data] == [endpoint["id"]]
    assert "secret" not in listed.data[0]


def test_each_endpoint_gets_events_in_its_own_api_version(
    stripe_sandbox, stripe_sdk, webhook_receiver
):
    created = stripe_sdk.v1.webhook_endpoints.create(
        {
            "url": webhook_receiver.url,
            "enabled_events": ["checkout.session.completed"],
            "connect": True,
            "api_version": "2024-06-20",
        }
    )
    stripe_sandbox.register_webhook(
        webhook_receiver.url + "pinned/", CONNECT_SECRET, connect=True
    )
    paid_session(stripe_sandbox, stripe_sdk)

    stripe_sandbox.drain_webhooks()

    versions = [event["api_version"] for event in completed(webhook_receiver)]
    stored = stripe_sdk.v1.events.list(
        {"type": "checkout.session.completed"}, ON_DEMO
    ).data[0]
    assert created["api_version"] == "2024-06-20"
    assert sorted(versions) == sorted(["2024-06-20", stripe.api_version])
    assert stored["api_version"] == stripe.api_version


def test_an_endpoint_without_a_version_gets_the_sdks(stripe_sandbox, stripe_sdk):
    created = stripe_sdk.v1.webhook_endpoints.create(
        {"url": "http://127.0.0.1:9/hook/", "enabled_events": ["*"]}
    )

    assert created["api_version"] == stripe.api_version
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_sdk.v1.webhook_endpoints.create(
            {
                "url": "http://127.0.0.1:9/x/",
                "enabled_events": ["*"],
                "api_version": "v2",
            }
        )
    assert caught.value.param == "api_version"
