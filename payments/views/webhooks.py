"""The Stripe webhook endpoint: verify, store, answer; a worker processes the event."""

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from payments import gateway
from payments.event_drain import ingest_event

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Receive platform and Connect events, verified on the raw body."""
    secrets = [
        secret
        for secret in (
            settings.STRIPE_WEBHOOK_SECRET,
            settings.STRIPE_CONNECT_WEBHOOK_SECRET,
        )
        if secret
    ]
    try:
        event, payload = gateway.parse_webhook(
            payload=request.body,
            sig_header=request.headers.get("Stripe-Signature", ""),
            secrets=secrets,
        )
    except gateway.GatewayError as error:
        logger.warning("Rejected webhook: %s", error)
        return HttpResponse(str(error), status=400, content_type="text/plain")
    # Stored once, processed after commit by a drain (payments.event_drain).
    status = ingest_event(event, payload)
    return HttpResponse(status=status)
