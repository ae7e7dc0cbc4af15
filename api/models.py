"""API tokens and the answers kept for Idempotency-Key replays."""

import hashlib
import secrets
from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organizers.models import Account, Organizer

# Secrets start with this, so they are recognisable in logs and by scanners.
SECRET_PREFIX = "tsr_"  # noqa: S105
# Characters of the secret kept in clear, to tell tokens apart in the console.
DISPLAY_LENGTH = len(SECRET_PREFIX) + 6
# last_used_at is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_secret(secret: str) -> str:
    """Return the stored form of a token's secret.

    A secret has 256 bits from `secrets`, so a plain SHA-256 (no salt, no
    stretching) cannot be reversed, and it lets a request find its token by
    an indexed lookup.
    """
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def visible_to(self, organizer: Organizer) -> "ApiTokenQuerySet":
        """Return the tokens an organizer may see: all of the account for admins."""
        tokens = self.filter(account_id=organizer.account_id)
        if organizer.is_admin:
            return tokens
        return tokens.filter(creator=organizer)

    def active(self) -> "ApiTokenQuerySet":
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A secret that lets a program act in the API as its creator, in one account."""

    class Scope(models.TextChoices):
        READ = "read", _("Read only")
        WRITE = "write", _("Read and write")

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="api_tokens"
    )
    # The token acts with its creator's current role; it ends with the membership.
    creator = models.ForeignKey(
        Organizer, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    scope = models.CharField(
        _("scope"), max_length=10, choices=Scope.choices, default=Scope.READ
    )
    secret_hash = models.CharField(max_length=64, unique=True)
    display_prefix = models.CharField(max_length=20)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        Organizer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.display_prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.WRITE

    def touch(self) -> None:
        """Record a use, writing at most once per LAST_USED_RESOLUTION."""
        now = timezone.now()
        if self.last_used_at and now - self.last_used_at < LAST_USED_RESOLUTION:
            return
        self.last_used_at = now
        ApiToken.objects.filter(pk=self.pk).update(last_used_at=now)


class IdempotentRequest(models.Model):
    """The first answer to a POST with an Idempotency-Key, kept for replays."""

    token = models.ForeignKey(
        ApiToken, on_delete=models.CASCADE, related_name="idempotent_requests"
    )
    key = models.CharField(max_length=255)
    # SHA-256 of the method, path and (canonical) body: the same key with
    # another request is refused.
    fingerprint = models.CharField(max_length=64)
    # Null while the first request is still running.
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    body = models.JSONField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["token", "key"], name="idempotent_request_unique_key"
            )
        ]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.key} ({self.status_code or 'running'})"


def new_webhook_secret() -> str:
    """Return an endpoint's signing secret (shown in the console, like Stripe's)."""
    return "whsec_" + secrets.token_urlsafe(32)


class WebhookEndpoint(models.Model):
    """An organizer's URL that receives signed events of their account."""

    class Event(models.TextChoices):
        # One line per event; api/webhooks/events.py says what feeds each.
        REGISTRANT_CONFIRMED = "registrant.confirmed", _("Registrant confirmed")
        REGISTRANT_AWAITING_APPROVAL = (
            "registrant.awaiting_approval",
            _("Registrant awaiting approval"),
        )
        REGISTRANT_CANCELLED = "registrant.cancelled", _("Registrant cancelled")
        REGISTRANT_REFUNDED = "registrant.refunded", _("Registrant refunded")
        PAYMENT_FAILED = "payment.failed", _("Payment failed")
        WEBINAR_CANCELLED = "webinar.cancelled", _("Webinar cancelled")
        WAITLIST_JOINED = "waitlist.joined", _("Someone joined the waitlist")
        WAITLIST_OFFER_MADE = "waitlist.offer_made", _("Waitlist offer made")
        WAITLIST_OFFER_ACCEPTED = (
            "waitlist.offer_accepted",
            _("Waitlist offer accepted"),
        )
        WAITLIST_OFFER_EXPIRED = "waitlist.offer_expired", _("Waitlist offer expired")

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    creator = models.ForeignKey(
        Organizer, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(max_length=100, default=new_webhook_secret)
    created_at = models.DateTimeField(auto_now_add=True)
    disabled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """The outbox: one event for one endpoint, retried with backoff until delivered."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.CharField(max_length=40)
    event_type = models.CharField(max_length=60)
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    leased_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_id"], name="webhook_delivery_unique_event"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} ({self.status})"
