"""Connect webhooks: events the sandbox signs and sends, posted to the app."""

import json
import time

import pytest
import stripe
from django.core import mail

from payments.connect.connections import selling_state
from payments.models import Price, StripeConnection, StripeDisconnection
from tests import factories
from tests.payments.test_connect import paid_webinar
from tests.webhook_worker import post_webhook

pytestmark = pytest.mark.django_db

WEBHOOK_URL = "/stripe/webhook/"


def deliver(client, delivery) -> int:
    """Post a delivery to the app exactly as the sandbox signed it."""
    return post_webhook(client, delivery.body, delivery.headers["stripe-signature"])


def signed(client, event: dict) -> int:
    """Sign an event with the Connect secret and post it."""
    payload = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(
        payload, "whsec_sandbox_connect"
    )
    return post_webhook(client, payload, header)


@pytest.fixture
def connected(stripe_sandbox, account, admin):
    acct = stripe_sandbox.create_account(business_name="Acme")
    return StripeConnection.objects.create(
        account=account,
        stripe_account_id=acct,
        charges_enabled=True,
        details_submitted=True,
        connected_by=admin.user,
    )


def test_deauthorized_webhook_disconnects_and_makes_paid_webinars_free(
    client, stripe_sandbox, connect_events, connected, organizer
):
    webinar = paid_webinar(organizer, amount=3000)
    stripe_sandbox.deauthorize(connected.stripe_account_id)
    (delivery,) = connect_events("account.application.deauthorized")

    assert deliver(client, delivery) == 200

    connected.refresh_from_db()
    assert not connected.is_active
    assert connected.disconnected_by is None
    price = Price.objects.get(webinar=webinar)
    assert (price.enabled, price.amount) == (False, 3000)
    record = StripeDisconnection.objects.get()
    assert record.source == StripeDisconnection.Source.STRIPE
    assert list(record.webinars.all()) == [webinar]
    assert selling_state(webinar) == "free"


def test_duplicate_deauthorized_webhook_records_once(
    client, stripe_sandbox, connect_events, connected, organizer
):
    paid_webinar(organizer)
    stripe_sandbox.deauthorize(connected.stripe_account_id)
    (delivery,) = connect_events("account.application.deauthorized")

    assert deliver(client, delivery) == 200
    assert deliver(client, delivery) == 200

    assert StripeDisconnection.objects.count() == 1


def test_late_deauthorized_event_does_not_end_a_newer_connection(
    client, connected, account, admin
):
    connected.disconnected_at = connected.connected_at
    connected.save()
    newer = StripeConnection.objects.create(
        account=account, stripe_account_id=connected.stripe_account_id
    )
    event = {
        "id": "evt_old_deauth",
        "object": "event",
        "type": "account.application.deauthorized",
        "account": connected.stripe_account_id,
        "created": int(time.time()) - 3600,
        "livemode": False,
        "data": {"object": {"id": "ca_sandbox", "object": "application"}},
    }

    assert signed(client, event) == 200

    newer.refresh_from_db()
    assert newer.is_active


def test_charges_disabled_keeps_webinars_paid_but_unavailable_and_tells_owners(
    client,
    stripe_sandbox,
    connect_events,
    connected,
    organizer,
    admin,
    django_capture_on_commit_callbacks,
):
    mine = paid_webinar(organizer, title="Budgeting 101")
    other_owner = factories.OrganizerFactory(account=organizer.account)
    theirs = paid_webinar(other_owner, title="Scrum deep dive")
    paid_webinar(organizer, title="Free chat", enabled=False)
    stripe_sandbox.update_account(connected.stripe_account_id, charges_enabled=False)
    (delivery,) = connect_events("account.updated")

    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, delivery) == 200

    connected.refresh_from_db()
    assert connected.is_active
    assert connected.charges_enabled is False
    assert Price.objects.filter(enabled=True).count() == 2
    assert selling_state(mine) == "unavailable"
    assert selling_state(theirs) == "unavailable"
    recipients = sorted(message.to[0] for message in mail.outbox)
    assert recipients == sorted([organizer.email, other_owner.email])
    to_organizer = next(m for m in mail.outbox if m.to == [organizer.email])
    assert "Budgeting 101" in to_organizer.body
    assert "Scrum deep dive" not in to_organizer.body
    assert "temporarily unavailable" in to_organizer.body
    assert admin.email not in recipients


def test_charges_enabled_again_makes_webinars_sell(
    client, stripe_sandbox, connect_events, connected, organizer
):
    webinar = paid_webinar(organizer)
    stripe_sandbox.update_account(connected.stripe_account_id, charges_enabled=False)
    stripe_sandbox.update_account(connected.stripe_account_id, charges_enabled=True)
    for delivery in connect_events("account.updated"):
        assert deliver(client, delivery) == 200

    connected.refresh_from_db()
    assert connected.charges_enabled is True
    assert selling_state(webinar) == "paid"


def test_older_account_updated_event_does_not_undo_a_newer_one(client, connected):
    def updated(event_id: str, created: int, charges_enabled: bool) -> dict:
        return {
            "id": event_id,
            "object": "event",
            "type": "account.updated",
            "account": connected.stripe_account_id,
            "created": created,
            "livemode": False,
            "data": {
                "object": {
                    "id": connected.stripe_account_id,
                    "object": "account",
                    "charges_enabled": charges_enabled,
                    "details_submitted": True,
                    "business_profile": {"name": "Acme"},
                },
                "previous_attributes": {"charges_enabled": not charges_enabled},
            },
        }

    now = int(time.time())
    assert signed(client, updated("evt_new", now, False)) == 200
    assert signed(client, updated("evt_old", now - 60, True)) == 200

    connected.refresh_from_db()
    assert connected.charges_enabled is False


def test_account_updated_for_an_unknown_account_is_ignored(
    client, stripe_sandbox, connect_events
):
    acct = stripe_sandbox.create_account()
    stripe_sandbox.update_account(acct, charges_enabled=False)
    (delivery,) = connect_events("account.updated")

    assert deliver(client, delivery) == 200
    assert not StripeConnection.objects.exists()
