"""Outbound webhooks: signed deliveries from an outbox, retried, logged, resent."""

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from api.models import WebhookDelivery, WebhookEndpoint
from api.webhooks import outbox
from api.webhooks.endpoints import create_endpoint
from api.webhooks.signing import signature, verify
from tests import factories

pytestmark = pytest.mark.django_db

CONFIRMED = "registrant.confirmed"


@pytest.fixture(autouse=True)
def _local_endpoints(settings):
    # The receiver listens on 127.0.0.1 over http.
    settings.API_WEBHOOKS_ALLOW_PRIVATE = True


@pytest.fixture
def endpoint(organizer, webhook_receiver):
    return create_endpoint(
        creator=organizer, url=webhook_receiver.url, events=[CONFIRMED]
    )


def register(api, webinar, capture, email="bob@example.com"):
    """Register through the API and run what follows the commit (the hook)."""
    with capture(execute=True):
        response = api.post(
            f"/api/v1/webinars/{webinar.pk}/registrants/",
            {"first_name": "Bob", "last_name": "Byte", "email": email},
        )
    assert response.status_code == 201
    return response.json()["registrant"]


def deliver_all() -> list[str]:
    """Do the worker's job: attempt every pending delivery once."""
    pending = WebhookDelivery.objects.filter(status="pending").order_by("pk")
    return [
        outbox.deliver(delivery_id=pk) for pk in pending.values_list("pk", flat=True)
    ]


def test_a_confirmed_registrant_is_posted_signed_to_the_endpoint(
    api, webinar, endpoint, webhook_receiver, django_capture_on_commit_callbacks
):
    registrant = register(api, webinar, django_capture_on_commit_callbacks)

    assert deliver_all() == ["delivered"]
    [received] = webhook_receiver.deliveries
    event = received.json()
    assert event["type"] == CONFIRMED and event["id"].startswith("evt_")
    assert event["data"]["registrant"]["id"] == registrant["id"]
    assert event["data"]["registrant"]["status"] == "confirmed"
    header = received.headers["tessera-signature"]
    assert verify(
        secret=endpoint.secret,
        header=header,
        body=received.body,
        now=int(timezone.now().timestamp()),
    )
    assert not verify(
        secret="whsec_other",
        header=header,
        body=received.body,
        now=int(timezone.now().timestamp()),
    )
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivered" and delivery.last_status_code == 200


def test_the_signature_has_stripes_form():
    header = signature(secret="whsec_x", timestamp=1700000000, body=b"{}")

    assert header.startswith("t=1700000000,v1=")
    assert len(header.split("v1=")[1]) == 64
    assert not verify(secret="whsec_x", header=header, body=b"{}", now=1700000301)
    assert verify(secret="whsec_x", header=header, body=b"{}", now=1700000299)


def test_a_failed_delivery_is_retried_with_backoff_then_given_up(
    api, webinar, endpoint, webhook_receiver, django_capture_on_commit_callbacks
):
    register(api, webinar, django_capture_on_commit_callbacks)
    webhook_receiver.fail_next(outbox.MAX_ATTEMPTS, status=503)

    with time_machine.travel("2026-12-01 10:00:00Z", tick=False):
        assert deliver_all() == ["pending"]
        delivery = WebhookDelivery.objects.get()
        assert delivery.attempts == 1 and delivery.last_status_code == 503
        assert delivery.next_attempt_at == timezone.now() + timezone.timedelta(
            seconds=60
        )
        assert deliver_all() == ["pending"]
        assert WebhookDelivery.objects.get().next_attempt_at == timezone.now() + (
            timezone.timedelta(seconds=120)
        )
        for _ in range(outbox.MAX_ATTEMPTS - 2):
            deliver_all()

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed" and delivery.attempts == outbox.MAX_ATTEMPTS
    assert outbox.retry_delay(20) == outbox.MAX_RETRY_SECONDS


def test_send_again_from_the_console_delivers_a_failed_event(
    login,
    organizer,
    api,
    webinar,
    endpoint,
    webhook_receiver,
    django_capture_on_commit_callbacks,
):
    register(api, webinar, django_capture_on_commit_callbacks)
    WebhookDelivery.objects.update(status="failed", attempts=outbox.MAX_ATTEMPTS)
    delivery = WebhookDelivery.objects.get()
    client = login(organizer)

    page = client.get(reverse("api:webhook", args=[endpoint.pk]))
    assert delivery.event_id in page.text and "Send again" in page.text
    client.post(reverse("api:webhook_resend", args=[endpoint.pk, delivery.pk]))

    assert deliver_all() == ["delivered"]
    assert len(webhook_receiver.deliveries) == 1


def test_events_reach_only_endpoints_whose_creator_manages_the_webinar(
    api,
    account,
    organizer,
    admin,
    webinar,
    webhook_receiver,
    django_capture_on_commit_callbacks,
):
    colleague = factories.OrganizerFactory(account=account)
    theirs = create_endpoint(
        creator=colleague, url=webhook_receiver.url, events=[CONFIRMED]
    )
    admins = create_endpoint(
        creator=admin, url=webhook_receiver.url, events=[CONFIRMED]
    )
    elsewhere = create_endpoint(
        creator=factories.OrganizerFactory(role="admin"),
        url=webhook_receiver.url,
        events=[CONFIRMED],
    )

    register(api, webinar, django_capture_on_commit_callbacks)

    sent_to = set(WebhookDelivery.objects.values_list("endpoint_id", flat=True))
    assert sent_to == {admins.pk}
    assert theirs.pk not in sent_to and elsewhere.pk not in sent_to


def test_a_disabled_endpoint_gets_nothing(
    login, organizer, api, webinar, endpoint, django_capture_on_commit_callbacks
):
    login(organizer).post(reverse("api:webhook_action", args=[endpoint.pk, "disable"]))

    register(api, webinar, django_capture_on_commit_callbacks)

    assert not WebhookDelivery.objects.exists()


def test_the_console_adds_an_endpoint_and_sends_a_test_event(
    login, organizer, webhook_receiver, django_capture_on_commit_callbacks
):
    client = login(organizer)
    response = client.post(
        reverse("api:webhooks"), {"url": webhook_receiver.url, "events": [CONFIRMED]}
    )
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302
    assert endpoint.events == [CONFIRMED] and endpoint.secret.startswith("whsec_")

    client.post(reverse("api:webhook_action", args=[endpoint.pk, "test"]))

    assert deliver_all() == ["delivered"]
    assert webhook_receiver.deliveries[0].json()["type"] == "webhook.test"


def test_private_and_plain_http_urls_are_refused_in_production(
    login, organizer, settings
):
    settings.API_WEBHOOKS_ALLOW_PRIVATE = False
    client = login(organizer)

    for url in (
        "http://example.com/hook",
        "https://127.0.0.1/hook",
        "https://10.0.0.8/",
    ):
        response = client.post(
            reverse("api:webhooks"), {"url": url, "events": [CONFIRMED]}
        )
        assert response.status_code == 400, url
    assert not WebhookEndpoint.objects.exists()


def test_another_organizers_endpoint_is_a_404(
    login, organizer, account, webhook_receiver
):
    colleague = factories.OrganizerFactory(account=account)
    theirs = create_endpoint(
        creator=colleague, url=webhook_receiver.url, events=[CONFIRMED]
    )

    client = login(organizer)

    assert client.get(reverse("api:webhook", args=[theirs.pk])).status_code == 404
    assert (
        client.post(reverse("api:webhook_action", args=[theirs.pk, "test"])).status_code
        == 404
    )


def test_an_event_queued_before_disabling_is_not_sent(
    api, webinar, endpoint, webhook_receiver, django_capture_on_commit_callbacks
):
    register(api, webinar, django_capture_on_commit_callbacks)
    WebhookEndpoint.objects.update(disabled_at=timezone.now())

    assert deliver_all() == ["failed"]
    assert not webhook_receiver.deliveries
    assert WebhookDelivery.objects.get().last_error == "The endpoint is disabled."
