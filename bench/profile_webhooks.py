"""The webhook targets of `python -m bench.profile`: an acknowledgement, a processing.

- "webhook ack": one signed `checkout.session.completed` POSTed to
  `/stripe/webhook/` through the benchmark's WSGI application (every
  middleware), a fresh event each time: verify, store, kick a drain (one
  publish per DRAIN_WINDOW, payments/event_drain.py; nothing consumes it
  here).
- "event processing": what the Celery worker does for one stored event of a
  paid Checkout Session: `payments.webhooks.process_stored(pk)` in this
  process (the sandbox, read twice over HTTP, in its own), up to the
  registrant confirmed and the confirmation email queued. The event is stored
  before the clock starts.

Both need pending paid registrants: `paid_sessions` makes them with paid
starts through the same application.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from bench.flash_setup import Failed, signed_event

WEBHOOK_URL = "/stripe/webhook/"
# Event numbers of their own: the bench's events start at 0 and 10**7.
_numbers = itertools.count(2 * 10**7)


def paid_sessions(bench: Any, browser: Any, path: str, count: int) -> list[dict]:
    """Start `count` paid registrations; return their Checkout Sessions (sandbox)."""
    from payments.models import Payment

    browser.call("GET", path)
    before = set(Payment.objects.values_list("pk", flat=True))
    for n in range(count):
        status, body = browser.call(
            "POST",
            path,
            {
                "csrfmiddlewaretoken": browser.token,
                "first_name": "Webhook",
                "last_name": f"Buyer{n}",
                "email": f"hook-{next(_numbers)}@example.com",
                "discount_code": "",
            },
        )
        if status != 303:
            raise Failed(f"paid start for the webhook targets: {status} {body[:300]!r}")
    ids = (
        Payment.objects.exclude(pk__in=before)
        .exclude(checkout_session_id__isnull=True)
        .order_by("pk")
        .values_list("checkout_session_id", flat=True)
    )
    return [bench.control(f"objects/{sid}", method="GET") for sid in ids]


def ack_call(app: Any, bench: Any, sessions: list[dict]) -> Any:
    """A call(n) posting a fresh signed event for sessions[n] (cycling)."""
    from django.test import RequestFactory

    factory = RequestFactory()

    def call(n: int) -> None:
        body, signature = signed_event(
            sessions[n % len(sessions)], next(_numbers), bench.secret
        )
        request = factory.post(
            WEBHOOK_URL,
            body,
            content_type="application/json",
            HTTP_HOST="127.0.0.1",
            HTTP_STRIPE_SIGNATURE=signature,
        )
        answer: dict[str, Any] = {}

        def start_response(status: str, headers: list) -> None:
            answer["status"] = int(status.split()[0])

        b"".join(app(request.environ, start_response))
        if answer["status"] != 200:
            raise Failed(f"webhook ack: {answer['status']}")

    return call


def processing_call(bench: Any, sessions: list[dict]) -> tuple[Any, Any]:
    """A call processing the next stored event of `sessions`, paid at the sandbox.

    Every session is paid first (the sandbox's own webhooks dropped: no app
    listens here) and its event stored, so the clock sees the worker's part.
    Also return check(), which fails unless every registrant processed is
    confirmed.
    """
    from payments import webhooks
    from payments.gateway_types import WebhookEvent
    from registrations.models import Registrant

    bench.control("webhooks/drop", count="all")
    stored: list[tuple[int, int]] = []
    for session in sessions:
        session_id = session["object"]["id"]
        bench.control(f"checkout/sessions/{session_id}/complete", outcome="paid")
        paid = bench.control(f"objects/{session_id}", method="GET")
        body, _signature = signed_event(paid, next(_numbers), bench.secret)
        payload = json.loads(body)
        row = webhooks.store_event(WebhookEvent.from_payload(payload), payload)
        stored.append((row.pk, int(paid["object"]["client_reference_id"])))

    done: list[int] = []

    def call(_n: int) -> None:
        # The warm-up's calls come first: each call takes the next event.
        pk, registrant = stored[len(done)]
        if webhooks.process_stored(pk) != 200:
            raise Failed(f"event processing: event {pk} failed")
        done.append(registrant)

    def check() -> None:
        confirmed = Registrant.objects.filter(
            pk__in=done, confirmed_at__isnull=False
        ).count()
        if confirmed != len(done):
            raise Failed(f"event processing: {confirmed} of {len(done)} confirmed")

    return call, check
