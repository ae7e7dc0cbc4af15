"""Post a webhook to the endpoint, then do the worker's job for that event.

The endpoint stores the event and answers 200; a drain kicked after commit
processes it in a worker (payments/event_drain.py). Tests run the worker's part
for that one event here, in the test's transaction, as run_refund_tasks does
for refunds.
"""

import json
from typing import Any

from django.test import Client

from payments import webhooks
from payments.models import StripeEvent

WEBHOOK_URL = "/stripe/webhook/"


def process_posted(body: str | bytes) -> int:
    """Process the stored event of `body` as a drain would; return 200 or 500."""
    event_id = json.loads(body)["id"]
    stored = StripeEvent.objects.filter(event_id=event_id).first()
    return 200 if stored is None else webhooks.process_stored(stored.pk)


def post_webhook(client: Client, body: str | bytes, signature: str) -> int:
    """Post a signed body; return the endpoint's refusal, else the task's outcome."""
    response = client.post(
        WEBHOOK_URL,
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": signature},
    )
    if response.status_code != 200:
        return response.status_code
    return process_posted(body)


class Answer:
    """What a test reads of a webhook post: its status code."""

    def __init__(self, status_code: int) -> None:
        self.status_code = status_code


def post_webhook_response(client: Client, body: Any, signature: str) -> Answer:
    """As post_webhook, for tests that read `.status_code`."""
    return Answer(post_webhook(client, body, signature))
