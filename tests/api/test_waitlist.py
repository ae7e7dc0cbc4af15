"""The waitlist through the API (read) and its outbound webhook events."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from api.models import WebhookDelivery
from api.webhooks import outbox
from api.webhooks.endpoints import create_endpoint
from api.webhooks.signing import verify
from registrations.refunds.organizer_actions import cancel_registrant
from registrations.waitlist.accept import accept_offer
from registrations.waitlist.offers import expire_offers
from tests.waitlist.support import a_confirmed, full_webinar, line_up

pytestmark = pytest.mark.django_db
EVENTS = [
    "waitlist.joined",
    "waitlist.offer_made",
    "waitlist.offer_accepted",
    "waitlist.offer_expired",
]


@pytest.fixture(autouse=True)
def _local_endpoints(settings):
    settings.API_WEBHOOKS_ALLOW_PRIVATE = True


def test_the_waitlist_is_listed_in_line_order_with_positions(api, organizer):
    webinar = full_webinar(owner=organizer)
    first, second = line_up(webinar, 2)

    response = api.get(f"/api/v1/webinars/{webinar.pk}/waitlist/")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["email"] for row in rows] == [first.email, second.email]
    assert [row["position"] for row in rows] == [1, 2]
    assert rows[0]["status"] == "waiting" and rows[0]["offer_expires_at"] is None


def test_another_accounts_waitlist_is_a_404(api, other_webinar):
    response = api.get(f"/api/v1/webinars/{other_webinar.pk}/waitlist/")

    assert response.status_code == 404


def test_waitlist_events_are_posted_signed(
    api, organizer, webhook_receiver, django_capture_on_commit_callbacks
):
    endpoint = create_endpoint(
        creator=organizer, url=webhook_receiver.url, events=EVENTS
    )
    webinar = full_webinar(owner=organizer, waitlist_offer_hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        first, second = line_up(webinar, 2)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_registrant(a_confirmed(webinar), email=False)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_registrant(a_confirmed(webinar), email=False)
    second.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        accept_offer(entry=second, base_url="http://testserver/")
    later = timezone.now() + timedelta(hours=2)
    with time_machine.travel(later), django_capture_on_commit_callbacks(execute=True):
        expire_offers()

    pending = WebhookDelivery.objects.filter(status="pending").order_by("pk")
    for pk in pending.values_list("pk", flat=True):
        outbox.deliver(delivery_id=pk)
    events = [received.json() for received in webhook_receiver.deliveries]
    assert [e["type"] for e in events] == [
        "waitlist.joined",
        "waitlist.joined",
        "waitlist.offer_made",
        "waitlist.offer_made",
        "waitlist.offer_accepted",
        "waitlist.offer_expired",
    ]
    accepted = events[4]["data"]["waitlist_entry"]
    assert accepted["email"] == second.email and accepted["registrant"] is not None
    assert events[5]["data"]["waitlist_entry"]["email"] == first.email
    received = webhook_receiver.deliveries[0]
    assert verify(
        secret=endpoint.secret,
        header=received.headers["tessera-signature"],
        body=received.body,
        now=int(timezone.now().timestamp()),
    )
