"""Webhooks: no signature from the future, no odd payload reaching the database."""

import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest
import time_machine

from payments.models import StripeEvent
from tests.payments.test_webhook_endpoint import event, post
from tests.test_settings import check_refuses_without

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _secrets(settings) -> None:
    settings.STRIPE_WEBHOOK_SECRET = "whsec_sandbox"
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = "whsec_sandbox_connect"
    settings.STRIPE_LIVEMODE = False


def post_stamped(client, payload: dict, stamp: int, secret: str = "whsec_sandbox"):
    body = json.dumps(payload).encode()
    digest = hmac.new(
        secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return client.post(
        "/stripe/webhook/",
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=f"t={stamp},v1={digest}",
    )


@pytest.mark.parametrize("ahead", [301, 86400, 10**12])
def test_a_signature_stamped_in_the_future_is_refused(client, ahead):
    with time_machine.travel(NOW, tick=False):
        response = post_stamped(client, event(), int(NOW.timestamp()) + ahead)

    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


@pytest.mark.parametrize("skew", [-299, 0, 299])
def test_a_signature_within_five_minutes_either_way_is_accepted(client, skew):
    with time_machine.travel(NOW, tick=False):
        response = post_stamped(client, event(), int(NOW.timestamp()) + skew)

    assert response.status_code == 200


def test_a_signature_older_than_five_minutes_is_still_refused(client):
    with time_machine.travel(NOW, tick=False):
        response = post_stamped(client, event(), int(NOW.timestamp()) - 301)

    assert response.status_code == 400


@pytest.mark.parametrize(
    "field",
    [
        {"id": 12345},
        {"id": ["evt_1"]},
        {"id": {"nested": "evt"}},
        {"id": None},
        {"id": ""},
        {"id": "evt_" + "x" * 300},
        {"type": 7},
        {"type": ["account.updated"]},
        {"type": None},
        {"account": {"id": "acct_1"}},
        {"account": "acct_" + "x" * 100},
    ],
)
def test_a_signed_event_with_a_non_string_id_or_type_is_a_400(client, field):
    payload = {**event(), **field}
    with time_machine.travel(NOW, tick=False):
        response = post(client, payload)

    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


def test_production_refuses_to_start_without_the_connect_webhook_secret():
    check_refuses_without("STRIPE_CONNECT_WEBHOOK_SECRET")
