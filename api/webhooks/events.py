"""The events outbound webhooks send, fed by the hooks of the apps below."""

from api.models import WebhookEndpoint
from api.serializers.registrants import RegistrantDetailSerializer
from api.serializers.waitlist import WaitlistEntrySerializer
from api.webhooks.outbox import queue_event
from registrations.models import Registrant, WaitlistEntry


def registrant_confirmed(registrant: Registrant) -> None:
    """registrations.registrant_confirmed_handlers: send `registrant.confirmed`."""
    registrant = Registrant.objects.select_related(
        "webinar__account", "payment", "discount_code"
    ).get(pk=registrant.pk)
    queue_event(
        account=registrant.webinar.account,
        event_type=WebhookEndpoint.Event.REGISTRANT_CONFIRMED,
        data={"registrant": RegistrantDetailSerializer(registrant).data},
        webinar=registrant.webinar,
    )


WAITLIST_EVENTS = {
    "joined": WebhookEndpoint.Event.WAITLIST_JOINED,
    "offer_made": WebhookEndpoint.Event.WAITLIST_OFFER_MADE,
    "offer_accepted": WebhookEndpoint.Event.WAITLIST_OFFER_ACCEPTED,
    "offer_expired": WebhookEndpoint.Event.WAITLIST_OFFER_EXPIRED,
}


def waitlist_event(event: str, entry: WaitlistEntry) -> None:
    """registrations.waitlist_event_handlers: send `waitlist.<event>`."""
    event_type = WAITLIST_EVENTS.get(event)
    if event_type is None:
        return
    queue_event(
        account=entry.webinar.account,
        event_type=event_type,
        data={"waitlist_entry": WaitlistEntrySerializer(entry).data},
        webinar=entry.webinar,
    )
