"""The events outbound webhooks send, fed by the hooks of the apps below."""

from api.models import WebhookEndpoint
from api.serializers.registrants import RegistrantDetailSerializer
from api.webhooks.outbox import queue_event
from registrations.models import Registrant


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
