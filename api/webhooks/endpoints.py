"""Creating and disabling webhook endpoints."""

from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import WebhookEndpoint
from api.webhooks.outbox import TEST_EVENT, WebhookError, check_url, queue_event
from organizers.models import Organizer


def endpoints_visible_to(organizer: Organizer):
    """Return the endpoints an organizer may see: all of the account for admins."""
    endpoints = WebhookEndpoint.objects.filter(account_id=organizer.account_id)
    return endpoints if organizer.is_admin else endpoints.filter(creator=organizer)


def create_endpoint(
    *, creator: Organizer, url: str, events: list[str]
) -> WebhookEndpoint:
    """Create an endpoint of the creator's account, after checking its URL."""
    check_url(url)
    unknown = set(events) - set(WebhookEndpoint.Event.values)
    if not events or unknown:
        raise WebhookError(_("Choose the events to send."))
    return WebhookEndpoint.objects.create(
        account_id=creator.account_id, creator=creator, url=url, events=list(events)
    )


def disable_endpoint(*, endpoint: WebhookEndpoint) -> None:
    """Stop sending to an endpoint; its deliveries stay in the log."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk, disabled_at__isnull=True).update(
        disabled_at=timezone.now()
    )


def send_test_event(*, endpoint: WebhookEndpoint) -> None:
    """Queue a `webhook.test` event for this endpoint only."""
    queue_event(
        account=endpoint.account,
        event_type=TEST_EVENT,
        data={"endpoint": endpoint.url},
        endpoints=[endpoint],
    )
