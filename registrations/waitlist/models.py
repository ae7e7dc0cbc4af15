"""The waitlist's model: someone in line for a seat (see registrations.waitlist)."""

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from webinars.models import Session, Webinar


def token() -> str:
    """Return a 43-character unguessable token for links in emails."""
    return secrets.token_urlsafe(32)


class WaitlistEntryQuerySet(models.QuerySet):
    def in_scope(
        self, webinar_id: int, session_id: int | None
    ) -> "WaitlistEntryQuerySet":
        """The entries of a webinar, or of one session (None: every entry)."""
        entries = self.filter(webinar_id=webinar_id)
        if session_id is not None:
            entries = entries.filter(session_id=session_id)
        return entries

    def waiting(self) -> "WaitlistEntryQuerySet":
        """Entries still in line, first come first."""
        return self.filter(status=WaitlistEntry.Status.WAITING).order_by(
            "joined_at", "pk"
        )

    def open_offers(
        self, now: "timezone.datetime | None" = None
    ) -> "WaitlistEntryQuerySet":
        """Entries whose offer still holds a seat."""
        return self.filter(
            status=WaitlistEntry.Status.OFFERED,
            offer_expires_at__gt=now or timezone.now(),
        )


class WaitlistEntry(models.Model):
    """Someone in line for a seat of a full webinar (or session).

    An open offer holds a seat (counted in SeatCount and in the exact count
    like a hold) until it is accepted, expires or is withdrawn; see
    registrations/waitlist/.
    """

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        OFFERED = "offered", _("Seat offered")
        ACCEPTED = "accepted", _("Offer accepted")
        EXPIRED = "expired", _("Offer expired")
        LEFT = "left", _("Left the waitlist")
        REMOVED = "removed", _("Removed")
        # The webinar (or the session waited for) was cancelled.
        CANCELLED = "cancelled", _("Webinar cancelled")

    webinar = models.ForeignKey(
        Webinar, on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    # For individual-session series: the session waited for.
    session = models.ForeignKey(
        Session,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="waitlist_entries",
    )
    email = models.EmailField(_("email"))
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    answers = models.JSONField(default=dict, blank=True)
    language = models.CharField(max_length=10, default="en")
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.WAITING
    )
    joined_at = models.DateTimeField(default=timezone.now)
    offered_at = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # The personal link of the offer (a new one with each offer).
    offer_token = models.CharField(max_length=64, unique=True, default=token)
    # The link to leave the line and to see one's place in it.
    leave_token = models.CharField(max_length=64, unique=True, default=token)
    registrant = models.ForeignKey(
        "registrations.Registrant",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="waitlist_entries",
    )

    objects = WaitlistEntryQuerySet.as_manager()

    class Meta:
        ordering = ["joined_at", "pk"]
        verbose_name = _("waitlist entry")
        verbose_name_plural = _("waitlist entries")
        indexes = [
            models.Index(fields=["webinar", "status"]),
            models.Index(fields=["status", "offer_expires_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} <{self.email}> ({self.status})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def in_line(self) -> bool:
        return self.status in (self.Status.WAITING, self.Status.OFFERED)
