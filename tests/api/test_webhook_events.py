"""Each outbound webhook event: queued once per change, with its payload, signed.

Stripe's own webhooks land on one receiver (tests.registrations' Webhooks);
the organizer's endpoint (the "CRM") is a second receiver, so each test reads
exactly what Tessera posted to it.
"""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from api.models import WebhookDelivery, WebhookEndpoint
from api.webhooks import outbox
from api.webhooks.endpoints import create_endpoint
from api.webhooks.signing import verify
from payments.models import Payment
from registrations.approval import approve_registrant
from registrations.fulfilment import fulfil_checkout
from registrations.models import Registrant
from registrations.refunds.cancellation import cancel_webinar
from registrations.refunds.ledger import RefundError, new_refund_token
from registrations.refunds.organizer_actions import perform_action
from registrations.refunds.self_service import self_cancel
from registrations.registration import start_registration
from tests import factories
from tests.registrations.checkout_support import (
    Webhooks,
    make_paid_webinar,
    register,
    send_refunds,
    session_id_of,
    success_path,
)
from tests.registrations.refund_support import pay_registrant
from tests.sandbox_fixtures import ASYNC_CARD, Delivery, WebhookReceiver

pytestmark = pytest.mark.django_db

Event = WebhookEndpoint.Event


@pytest.fixture(autouse=True)
def _local_endpoints(settings):
    settings.API_WEBHOOKS_ALLOW_PRIVATE = True


@pytest.fixture
def crm() -> Iterator[WebhookReceiver]:
    """The organizer's own server: a second recording receiver."""
    receiver = WebhookReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with receiver.lock:
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.deliveries.append(Delivery(headers, body, 200))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output clean."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_port}/tessera/"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def endpoint(organizer, crm):
    """An endpoint of the webinar's organizer that takes every event."""
    return create_endpoint(creator=organizer, url=crm.url, events=Event.values)


@pytest.fixture
def stripe_webhooks(stripe_sandbox, webhook_receiver, client):
    return Webhooks(stripe_sandbox, webhook_receiver, client)


@pytest.fixture
def acct(stripe_sandbox):
    return stripe_sandbox.create_account(default_currency="eur")


def queued(event_type: str) -> list[WebhookDelivery]:
    return list(WebhookDelivery.objects.filter(event_type=event_type).order_by("pk"))


def posted(crm: WebhookReceiver, endpoint: WebhookEndpoint) -> list[dict]:
    """Do the worker's job, then return the events the CRM got, each checked signed."""
    pending = WebhookDelivery.objects.filter(status="pending").order_by("pk")
    for pk in pending.values_list("pk", flat=True):
        assert outbox.deliver(delivery_id=pk) == "delivered"
    events = []
    for delivery in crm.deliveries:
        assert verify(
            secret=endpoint.secret,
            header=delivery.headers["tessera-signature"],
            body=delivery.body,
            now=int(timezone.now().timestamp()),
        )
        events.append(delivery.json())
    return events


def free_registrant(webinar, email="ada@example.com") -> Registrant:
    return start_registration(
        webinar=webinar,
        first_name="Ada",
        last_name="Lovelace",
        email=email,
        answers={},
        base_url="http://testserver",
    ).registrant


# registrant.awaiting_approval


def test_a_free_registration_awaiting_approval_is_sent_once(
    webinar, endpoint, crm, django_capture_on_commit_callbacks
):
    webinar.approval = "manual"
    webinar.save(update_fields=["approval"])

    with django_capture_on_commit_callbacks(execute=True):
        registrant = free_registrant(webinar)

    [event] = posted(crm, endpoint)
    assert event["type"] == "registrant.awaiting_approval"
    assert event["data"]["registrant"]["id"] == registrant.pk
    assert event["data"]["registrant"]["status"] == "awaiting_approval"
    assert event["data"]["registrant"]["email"] == "ada@example.com"
    assert not queued(Event.REGISTRANT_CONFIRMED)

    with django_capture_on_commit_callbacks(execute=True):
        approve_registrant(registrant=registrant)
        approve_registrant(registrant=registrant)
    assert [e["type"] for e in posted(crm, endpoint)] == [
        "registrant.awaiting_approval",
        "registrant.confirmed",
    ]


def test_a_paid_registration_awaiting_approval_is_sent_once_whatever_stripe_repeats(
    organizer,
    stripe_sandbox,
    stripe_webhooks,
    endpoint,
    crm,
    client,
    django_capture_on_commit_callbacks,
):
    webinar = make_paid_webinar(
        owner=organizer, stripe_account=stripe_sandbox.demo_account, approval="manual"
    )
    session_id = session_id_of(register(client, webinar)["Location"])
    stripe_sandbox.pay(session_id)

    with django_capture_on_commit_callbacks(execute=True):
        client.get(success_path(webinar, session_id))
        deliveries = stripe_webhooks.collect()
        assert stripe_webhooks.deliver(deliveries * 2) == [200] * (2 * len(deliveries))
        fulfil_checkout(
            checkout_session_id=session_id, account=stripe_sandbox.demo_account
        )

    [event] = posted(crm, endpoint)
    assert event["type"] == "registrant.awaiting_approval"
    registrant = event["data"]["registrant"]
    assert registrant["status"] == "awaiting_approval"
    assert registrant["payment"]["status"] == "paid"
    assert registrant["payment"]["amount"] == 5000


# registrant.cancelled


def test_a_registrant_cancelling_is_sent_once_with_who_cancelled(
    webinar, endpoint, crm, django_capture_on_commit_callbacks
):
    registrant = free_registrant(webinar)
    WebhookDelivery.objects.all().delete()  # registrant.confirmed

    with django_capture_on_commit_callbacks(execute=True):
        self_cancel(registrant=registrant)

    [event] = posted(crm, endpoint)
    assert event["type"] == "registrant.cancelled"
    assert event["data"]["cancelled_by"] == "registrant"
    assert event["data"]["registrant"]["status"] == "cancelled"
    assert event["data"]["registrant"]["cancelled_at"]


def test_the_organizer_cancelling_is_sent_once(
    webinar, endpoint, crm, django_capture_on_commit_callbacks
):
    registrant = free_registrant(webinar)
    WebhookDelivery.objects.all().delete()
    token = new_refund_token()

    with django_capture_on_commit_callbacks(execute=True):
        perform_action(
            registrant=registrant,
            action="cancel_only",
            amount=None,
            token=token,
            requested_by=None,
        )
    # The confirmation form submitted again finds nothing left to cancel.
    with pytest.raises(RefundError):
        perform_action(
            registrant=registrant,
            action="cancel_only",
            amount=None,
            token=token,
            requested_by=None,
        )

    [event] = posted(crm, endpoint)
    assert event["type"] == "registrant.cancelled"
    assert event["data"]["cancelled_by"] == "organizer"
    assert event["data"]["registrant"]["id"] == registrant.pk


def test_a_cancelled_webinar_is_sent_then_each_of_its_registrants(
    webinar, endpoint, crm, django_capture_on_commit_callbacks
):
    first = free_registrant(webinar, "ada@example.com")
    second = free_registrant(webinar, "bob@example.com")
    WebhookDelivery.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        cancel_webinar(webinar=webinar)

    events = posted(crm, endpoint)
    assert [e["type"] for e in events] == [
        "webinar.cancelled",
        "registrant.cancelled",
        "registrant.cancelled",
    ]
    assert events[0]["data"]["webinar"]["id"] == webinar.pk
    assert events[0]["data"]["webinar"]["cancelled_at"]
    assert events[0]["data"]["webinar"]["registration_url"].endswith(
        webinar.get_registration_url()
    )
    assert {e["data"]["registrant"]["id"] for e in events[1:]} == {
        first.pk,
        second.pk,
    }
    assert {e["data"]["cancelled_by"] for e in events[1:]} == {"webinar_cancelled"}


def test_a_cancelled_session_of_a_series_is_sent_as_its_registrants_only(
    organizer, endpoint, crm, django_capture_on_commit_callbacks
):
    webinar = factories.WebinarFactory(
        owner=organizer,
        account=organizer.account,
        sessions=2,
        registration_type="individual_session",
    )
    session = webinar.sessions.order_by("starts_at").first()
    registrant = start_registration(
        webinar=webinar,
        session=session,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        answers={},
        base_url="http://testserver",
    ).registrant
    WebhookDelivery.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        cancel_webinar(webinar=webinar, session=session)

    [event] = posted(crm, endpoint)
    assert event["type"] == "registrant.cancelled"
    assert event["data"]["cancelled_by"] == "session_cancelled"
    assert event["data"]["registrant"]["id"] == registrant.pk


def test_a_change_rolled_back_sends_nothing(webinar, endpoint):
    registrant = free_registrant(webinar)
    WebhookDelivery.objects.all().delete()

    with pytest.raises(RuntimeError), transaction.atomic():
        self_cancel(registrant=registrant)
        raise RuntimeError("the request failed after the cancellation")

    assert not WebhookDelivery.objects.exists()


# registrant.refunded


def test_a_full_refund_is_sent_once_stripe_confirms_it(
    stripe_sandbox,
    stripe_webhooks,
    webinar,
    acct,
    endpoint,
    crm,
    django_capture_on_commit_callbacks,
):
    paid = pay_registrant(sandbox=stripe_sandbox, webinar=webinar, account=acct)
    stripe_sandbox.refunds_pending()
    with django_capture_on_commit_callbacks(execute=True):
        perform_action(
            registrant=paid,
            action="cancel_full",
            amount=None,
            token=new_refund_token(),
            requested_by=None,
        )
    send_refunds(django_capture_on_commit_callbacks)
    assert [d.event_type for d in WebhookDelivery.objects.all()] == [
        "registrant.cancelled"
    ]
    refund = paid.payment.refunds.get()

    stripe_sandbox.settle_refund(refund.stripe_refund_id, "succeeded")
    with django_capture_on_commit_callbacks(execute=True):
        deliveries = stripe_webhooks.pending()
        # Stripe sends its events again, and in any order.
        for delivery in [*deliveries, *reversed(deliveries)]:
            assert stripe_webhooks.post(delivery) == 200

    events = posted(crm, endpoint)
    assert [e["type"] for e in events] == [
        "registrant.cancelled",
        "registrant.refunded",
    ]
    data = events[1]["data"]
    assert data["refund"]["id"] == refund.pk
    assert data["refund"]["amount"] == 5000 and data["refund"]["currency"] == "EUR"
    assert data["refund"]["status"] == "succeeded"
    assert data["fully_refunded"] is True
    assert data["registrant"]["status"] == "refunded"
    assert data["registrant"]["payment"]["amount_refunded"] == 5000


def test_each_partial_refund_is_sent_once_and_keeps_the_registration(
    stripe_sandbox,
    stripe_webhooks,
    webinar,
    acct,
    endpoint,
    crm,
    django_capture_on_commit_callbacks,
):
    paid = pay_registrant(sandbox=stripe_sandbox, webinar=webinar, account=acct)
    for amount in (1000, 1500):
        with django_capture_on_commit_callbacks(execute=True):
            perform_action(
                registrant=paid,
                action="refund_partial",
                amount=amount,
                token=new_refund_token(),
                requested_by=None,
            )
        # The sandbox answers succeeded at once; its webhooks follow, twice.
        send_refunds(django_capture_on_commit_callbacks)
        with django_capture_on_commit_callbacks(execute=True):
            deliveries = stripe_webhooks.pending()
            assert stripe_webhooks.deliver(deliveries * 2) == [200] * (
                2 * len(deliveries)
            )

    events = posted(crm, endpoint)
    assert [e["type"] for e in events] == ["registrant.refunded"] * 2
    assert [e["data"]["refund"]["amount"] for e in events] == [1000, 1500]
    assert [e["data"]["fully_refunded"] for e in events] == [False, False]
    assert [e["data"]["registrant"]["payment"]["amount_refunded"] for e in events] == [
        1000,
        2500,
    ]
    assert {e["data"]["registrant"]["status"] for e in events} == {"confirmed"}
    assert len({e["id"] for e in events}) == 2


def test_a_refund_made_in_the_stripe_dashboard_is_sent(
    stripe_sandbox,
    stripe_webhooks,
    webinar,
    acct,
    endpoint,
    crm,
    django_capture_on_commit_callbacks,
):
    paid = pay_registrant(sandbox=stripe_sandbox, webinar=webinar, account=acct)

    stripe_sandbox.dashboard_refund(payment_intent=paid.payment.payment_intent_id)
    with django_capture_on_commit_callbacks(execute=True):
        deliveries = stripe_webhooks.pending()
        assert stripe_webhooks.deliver(deliveries * 2) == [200] * (2 * len(deliveries))

    [event] = posted(crm, endpoint)
    assert event["type"] == "registrant.refunded"
    assert event["data"]["refund"]["external"] is True
    assert event["data"]["fully_refunded"] is True
    assert event["data"]["registrant"]["status"] == "refunded"


# payment.failed


def test_a_failed_delayed_payment_is_sent_once(
    organizer,
    client,
    stripe_sandbox,
    stripe_webhooks,
    endpoint,
    crm,
    django_capture_on_commit_callbacks,
):
    webinar = make_paid_webinar(
        owner=organizer, stripe_account=stripe_sandbox.demo_account
    )
    session_id = session_id_of(register(client, webinar)["Location"])
    stripe_sandbox.pay(session_id, card=ASYNC_CARD)
    client.get(success_path(webinar, session_id))
    payment = Payment.objects.get(checkout_session_id=session_id)
    assert payment.status == Payment.Status.PROCESSING
    stripe_sandbox.settle_payment(payment.payment_intent_id, outcome="failed")

    with django_capture_on_commit_callbacks(execute=True):
        deliveries = stripe_webhooks.collect()
        assert "checkout.session.async_payment_failed" in [
            d.json()["type"] for d in deliveries
        ]
        assert stripe_webhooks.deliver(deliveries * 2) == [200] * (2 * len(deliveries))
        client.get(success_path(webinar, session_id))

    [event] = posted(crm, endpoint)
    assert event["type"] == "payment.failed"
    assert event["data"]["payment"]["status"] == "failed"
    assert event["data"]["payment"]["amount"] == 5000
    assert event["data"]["payment"]["currency"] == "EUR"
    registrant = event["data"]["registrant"]
    assert registrant["email"] == "ada@example.com"
    assert registrant["status"] == "expired"
    assert registrant["payment"]["status"] == "failed"


def test_a_checkout_left_to_expire_is_no_failed_payment(
    organizer,
    client,
    stripe_sandbox,
    stripe_webhooks,
    endpoint,
    django_capture_on_commit_callbacks,
):
    webinar = make_paid_webinar(
        owner=organizer, stripe_account=stripe_sandbox.demo_account
    )
    session_id = session_id_of(register(client, webinar)["Location"])
    stripe_sandbox.expire(session_id)

    with django_capture_on_commit_callbacks(execute=True):
        stripe_webhooks.deliver(stripe_webhooks.collect())

    assert Payment.objects.get().status == Payment.Status.EXPIRED
    assert not WebhookDelivery.objects.exists()


# Endpoints and the console


def test_events_go_only_to_endpoints_that_chose_them(
    organizer, webinar, crm, django_capture_on_commit_callbacks
):
    cancelled_only = create_endpoint(
        creator=organizer, url=crm.url, events=[Event.REGISTRANT_CANCELLED]
    )
    registrant = free_registrant(webinar)
    assert not WebhookDelivery.objects.exists()

    self_cancel(registrant=registrant)

    [delivery] = WebhookDelivery.objects.all()
    assert delivery.endpoint == cancelled_only
    assert delivery.event_type == "registrant.cancelled"


def test_the_console_offers_every_event(login, organizer, crm):
    client = login(organizer)

    page = client.get(reverse("api:webhooks")).text
    for value, label in Event.choices:
        assert f'value="{value}"' in page
        assert str(label) in page
    response = client.post(
        reverse("api:webhooks"), {"url": crm.url, "events": Event.values}
    )

    assert response.status_code == 302
    assert sorted(WebhookEndpoint.objects.get().events) == sorted(Event.values)
    assert {
        "registrant.awaiting_approval",
        "registrant.cancelled",
        "registrant.refunded",
        "payment.failed",
        "webinar.cancelled",
    } <= set(Event.values)
