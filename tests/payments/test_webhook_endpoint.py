"""The webhook endpoint: verification, dedup, mode filtering, failures."""

import hashlib
import hmac
import json
import time

import pytest

from payments import webhooks
from payments.models import StripeEvent
from tests.webhook_worker import post_webhook_response

pytestmark = pytest.mark.django_db


def signed(payload: dict, secret: str = "whsec_sandbox") -> tuple[bytes, str]:
    body = json.dumps(payload).encode()
    stamp = int(time.time())
    digest = hmac.new(
        secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return body, f"t={stamp},v1={digest}"


def event(event_type: str = "account.updated", **extra) -> dict:
    return {
        "id": extra.pop("id", "evt_test_1"),
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "livemode": extra.pop("livemode", False),
        "api_version": "2026-10-28.endive",
        "data": {"object": {"id": "acct_x", "object": "account"}},
        **extra,
    }


def post(client, payload: dict, secret: str = "whsec_sandbox"):
    body, header = signed(payload, secret)
    return post_webhook_response(client, body, header)


@pytest.fixture
def recorded(settings):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_sandbox"
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = "whsec_sandbox_connect"
    settings.STRIPE_LIVEMODE = False
    calls: list[str] = []

    def handler(received) -> None:
        calls.append(received.id)

    webhooks.handlers["test.recorded"].append(handler)
    yield calls
    webhooks.handlers["test.recorded"].remove(handler)


def test_event_is_processed_once_however_often_it_arrives(client, recorded):
    for _ in range(3):
        assert post(client, event("test.recorded")).status_code == 200
    assert recorded == ["evt_test_1"]
    assert StripeEvent.objects.get().processed_at is not None


def test_connect_secret_is_accepted_too(client, recorded):
    response = post(client, event("test.recorded"), "whsec_sandbox_connect")
    assert response.status_code == 200
    assert recorded == ["evt_test_1"]


def test_bad_signature_is_400_and_nothing_is_stored(client, recorded):
    response = post(client, event("test.recorded"), "whsec_wrong")
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()
    assert recorded == []


def test_event_of_the_other_mode_is_stored_but_not_handled(client, recorded):
    response = post(client, event("test.recorded", livemode=True))
    assert response.status_code == 200
    assert recorded == []
    stored = StripeEvent.objects.get()
    assert stored.error == "ignored: other mode"


def test_unknown_event_type_is_acknowledged(client, recorded):
    assert post(client, event("payment_intent.created")).status_code == 200
    assert StripeEvent.objects.get().processed_at is not None


def test_failing_handler_answers_500_and_a_retry_processes_it(client, recorded):
    failures = [RuntimeError("database hiccup")]

    def flaky(received) -> None:
        if failures:
            raise failures.pop()

    webhooks.handlers["test.flaky"].append(flaky)
    try:
        assert post(client, event("test.flaky", id="evt_flaky")).status_code == 500
        stored = StripeEvent.objects.get(event_id="evt_flaky")
        assert stored.processed_at is None and "database hiccup" in stored.error
        assert post(client, event("test.flaky", id="evt_flaky")).status_code == 200
    finally:
        webhooks.handlers["test.flaky"].remove(flaky)
    assert StripeEvent.objects.get(event_id="evt_flaky").processed_at is not None


def test_get_is_not_allowed(client):
    assert client.get("/stripe/webhook/").status_code == 405
