"""Outbound webhooks: queue an event for its endpoints, deliver it, retry it.

Each (endpoint, event) is a WebhookDelivery row written in the transaction
that caused the event; a Celery task posts it after commit, signed (see
signing.py), outside any lock. A failed attempt is tried again with
exponential backoff (1 minute, doubling, at most 6 hours apart) up to
MAX_ATTEMPTS; the console shows every delivery and can send one again.
"""

import ipaddress
import json
import logging
import secrets
import socket
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from celery import shared_task
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import WebhookDelivery, WebhookEndpoint
from api.webhooks.signing import SIGNATURE_HEADER, signature
from organizers.models import Account
from webinars.models import Webinar

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_RETRY_SECONDS = 60
MAX_RETRY_SECONDS = 6 * 3600
TIMEOUT_SECONDS = 10
LEASE = timedelta(seconds=60)
TEST_EVENT = "webhook.test"


class WebhookError(Exception):
    """An endpoint that cannot be used; the message is safe to show."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def check_url(url: str) -> None:
    """Refuse URLs the server must not call: not https, or a private address.

    API_WEBHOOKS_ALLOW_PRIVATE (development, tests) allows http and local
    addresses.
    """
    parts = urlsplit(url)
    allow_private = settings.API_WEBHOOKS_ALLOW_PRIVATE
    if parts.scheme != "https" and not (allow_private and parts.scheme == "http"):
        raise WebhookError(_("Use an https:// URL."))
    if allow_private:
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, None)}
    except (OSError, UnicodeError) as error:
        raise WebhookError(_("This host name cannot be resolved.")) from error
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global:
            raise WebhookError(_("This URL points to a private network."))


def retry_delay(attempts: int) -> int:
    """Return the seconds before the next attempt after `attempts` failed ones."""
    return min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS)


def queue_event(
    *,
    account: Account,
    event_type: str,
    data: dict[str, Any],
    webinar: Webinar | None = None,
    endpoints: list[WebhookEndpoint] | None = None,
) -> list[WebhookDelivery]:
    """Queue an event for every active endpoint that takes it; send after commit.

    An endpoint created by an organizer (not an admin) gets the events of the
    webinars its creator manages only, as the creator's API tokens would.
    """
    if endpoints is None:
        endpoints = endpoints_for(
            account_id=account.pk, event_type=event_type, webinar=webinar
        )
    event_id = "evt_" + secrets.token_hex(12)
    payload = {
        "id": event_id,
        "type": event_type,
        "created": int(timezone.now().timestamp()),
        "data": data,
    }
    deliveries = [
        WebhookDelivery.objects.create(
            endpoint=endpoint, event_id=event_id, event_type=event_type, payload=payload
        )
        for endpoint in endpoints
    ]
    for delivery in deliveries:
        kick(delivery.pk)
    return deliveries


def endpoints_for(
    *, account_id: int, event_type: str, webinar: Webinar | None = None
) -> list[WebhookEndpoint]:
    """Return the active endpoints of the account that take this event (see below).

    An endpoint created by an organizer (not an admin) gets the events of the
    webinars its creator manages only.
    """
    if not _has_active_endpoint(account_id):
        return []
    return [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(
            account_id=account_id, disabled_at__isnull=True
        ).select_related("creator")
        if event_type in endpoint.events
        and (webinar is None or webinar.can_be_managed_by(endpoint.creator))
    ]


def _has_active_endpoint(account_id: int) -> bool:
    """Whether the account has an endpoint not disabled, in the cheapest query.

    WebhookEndpoint.objects.filter(account_id=account_id,
    disabled_at__isnull=True).exists(), in plain SQL: every confirmation
    asks, and most accounts have no endpoint; building the ORM's query cost
    more than running it. Not cached: an endpoint takes the events that
    follow its creation at once, with nothing to invalidate.
    """
    table = connection.ops.quote_name(WebhookEndpoint._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {table} WHERE account_id = %s"  # noqa: S608 - a table
            " AND disabled_at IS NULL LIMIT 1",
            [account_id],
        )
        return cursor.fetchone() is not None


def kick(delivery_id: int, *, countdown: int = 0) -> None:
    """Ask a worker to attempt the delivery after commit (the sweep catches up)."""
    transaction.on_commit(
        lambda: deliver_task.apply_async((delivery_id,), countdown=countdown),
        robust=True,
    )


def _lease(delivery_id: int) -> WebhookDelivery | None:
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .select_related("endpoint")
            .filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING)
            .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
            .first()
        )
        if delivery is None:
            return None
        delivery.leased_until = now + LEASE
        delivery.attempts += 1
        delivery.save(update_fields=["leased_until", "attempts"])
    return delivery


def _post(delivery: WebhookDelivery) -> tuple[int | None, str]:
    """POST the signed event; return (status code or None, error text)."""
    endpoint = delivery.endpoint
    try:
        check_url(endpoint.url)
    except WebhookError as error:
        return None, error.message
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    request = urllib.request.Request(  # noqa: S310 - scheme checked by check_url
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Tessera-Webhooks/1",
            SIGNATURE_HEADER: signature(
                secret=endpoint.secret,
                timestamp=int(timezone.now().timestamp()),
                body=body,
            ),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
            return answer.status, ""
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return None, str(getattr(error, "reason", error))[:500]


def deliver(*, delivery_id: int) -> str:
    """Attempt one delivery; return its status. Safe to run twice (leased)."""
    delivery = _lease(delivery_id)
    if delivery is None:
        return "skipped"
    if delivery.endpoint.disabled_at is not None:
        code, error = None, _("The endpoint is disabled.")
        delivery.attempts = MAX_ATTEMPTS
    else:
        code, error = _post(delivery)
    now = timezone.now()
    delivery.leased_until = None
    delivery.last_status_code = code
    delivery.last_error = error
    if code is not None and 200 <= code < 300:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = now
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = WebhookDelivery.Status.FAILED
    else:
        delivery.next_attempt_at = now + timedelta(
            seconds=retry_delay(delivery.attempts)
        )
    delivery.save(
        update_fields=[
            "leased_until",
            "last_status_code",
            "last_error",
            "status",
            "delivered_at",
            "next_attempt_at",
        ]
    )
    if delivery.status == WebhookDelivery.Status.PENDING:
        kick(delivery.pk, countdown=retry_delay(delivery.attempts))
    return delivery.status


def send_again(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Queue a delivery again now (the console's button), whatever its state."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING,
        next_attempt_at=timezone.now(),
        leased_until=None,
        attempts=0,
    )
    kick(delivery.pk)
    delivery.refresh_from_db()
    return delivery


@shared_task(name="api.webhooks.deliver")
def deliver_task(delivery_id: int) -> str:
    return deliver(delivery_id=delivery_id)


@shared_task(name="api.webhooks.send_due_deliveries")
def send_due_deliveries() -> int:
    """Attempt every pending delivery whose time has come (lost task messages)."""
    due = WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=timezone.now()
    ).values_list("pk", flat=True)[:500]
    return sum(deliver(delivery_id=pk) == "delivered" for pk in list(due))
