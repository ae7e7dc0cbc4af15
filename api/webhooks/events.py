"""The events outbound webhooks send, fed by the hooks of the apps below.

Each event is a WebhookEndpoint.Event choice, a function here that turns a
hook's call into the event's `data`, and a line of SUBSCRIPTIONS; api.apps
subscribes them all at start-up. Adding one: those three, and the README's
list of events.

`registrant.confirmed` runs after commit (its hook's contract); the others
run inside the transaction that makes the change, so the outbox row commits
with the change or not at all, and is posted after commit (outbox.kick).
The hooks are called once per change, which is what keeps an event from
being sent twice when Stripe delivers its own event again.
"""

from collections.abc import Callable
from typing import Any

from api.models import WebhookEndpoint
from api.serializers.registrants import (
    PaymentSerializer,
    RefundSerializer,
    RegistrantDetailSerializer,
)
from api.serializers.waitlist import WaitlistEntrySerializer
from api.serializers.webinars import WebinarSerializer
from api.webhooks.outbox import endpoints_for, queue_event
from organizers.hooks import Hook
from payments.models import Payment, Refund
from registrations import hooks as registration_hooks
from registrations.models import Registrant, WaitlistEntry
from webinars.models import Webinar

Event = WebhookEndpoint.Event


def _send(event_type: str, webinar: Webinar, data: Callable[[], dict]) -> None:
    """Queue an event for the endpoints that take it; build its data only then."""
    endpoints = endpoints_for(
        account_id=webinar.account_id, event_type=event_type, webinar=webinar
    )
    if endpoints:
        queue_event(
            account=webinar.account,
            event_type=event_type,
            data=data(),
            webinar=webinar,
            endpoints=endpoints,
        )


def _registrant_data(registrant: Registrant, **extra: Any) -> Callable[[], dict]:
    def data() -> dict:
        # Read again: the caller's instance may predate the change (its
        # payment, its refunds); inside the transaction this sees the change.
        fresh = Registrant.objects.select_related(
            "webinar__account", "payment", "discount_code"
        ).get(pk=registrant.pk)
        return {"registrant": RegistrantDetailSerializer(fresh).data, **extra}

    return data


def registrant_confirmed(registrant: Registrant) -> None:
    """registrations.registrant_confirmed_handlers: send `registrant.confirmed`."""
    _send(Event.REGISTRANT_CONFIRMED, registrant.webinar, _registrant_data(registrant))


def registrant_awaiting_approval(registrant: Registrant) -> None:
    """registrations.registrant_awaiting_approval_handlers."""
    _send(
        Event.REGISTRANT_AWAITING_APPROVAL,
        registrant.webinar,
        _registrant_data(registrant),
    )


def registrant_cancelled(registrant: Registrant, by: str) -> None:
    """registrations.registrant_cancelled_handlers; `cancelled_by` says who."""
    _send(
        Event.REGISTRANT_CANCELLED,
        registrant.webinar,
        _registrant_data(registrant, cancelled_by=by),
    )


def registrant_refunded(registrant: Registrant, refund: Refund) -> None:
    """registrations.registrant_refunded_handlers: one event per refund."""

    def data() -> dict:
        payment = Payment.objects.get(pk=refund.payment_id)
        return _registrant_data(
            registrant,
            refund=RefundSerializer(refund).data,
            fully_refunded=payment.amount_refunded >= payment.amount,
        )()

    _send(Event.REGISTRANT_REFUNDED, registrant.webinar, data)


def payment_failed(registrant: Registrant, payment: Payment) -> None:
    """registrations.payment_failed_handlers."""
    _send(
        Event.PAYMENT_FAILED,
        registrant.webinar,
        _registrant_data(registrant, payment=PaymentSerializer(payment).data),
    )


def webinar_cancelled(webinar: Webinar) -> None:
    """registrations.webinar_cancelled_handlers."""
    _send(
        Event.WEBINAR_CANCELLED,
        webinar,
        lambda: {"webinar": WebinarSerializer(webinar).data},
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
    _send(
        event_type,
        entry.webinar,
        lambda: {"waitlist_entry": WaitlistEntrySerializer(entry).data},
    )


SUBSCRIPTIONS: list[tuple[Hook, Callable[..., None]]] = [
    (registration_hooks.registrant_confirmed_handlers, registrant_confirmed),
    (
        registration_hooks.registrant_awaiting_approval_handlers,
        registrant_awaiting_approval,
    ),
    (registration_hooks.registrant_cancelled_handlers, registrant_cancelled),
    (registration_hooks.registrant_refunded_handlers, registrant_refunded),
    (registration_hooks.payment_failed_handlers, payment_failed),
    (registration_hooks.webinar_cancelled_handlers, webinar_cancelled),
    (registration_hooks.waitlist_event_handlers, waitlist_event),
]


def subscribe() -> None:
    """Register every event's function with its hook (api.apps, at start-up)."""
    for hook, receiver in SUBSCRIPTIONS:
        hook.register(receiver)
