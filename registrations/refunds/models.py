"""Refund requests and shares (imported by registrations.models, their home)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RefundRequest(models.Model):
    """A registrant's request for a refund outside the policy, for the organizer."""

    class Outcome(models.TextChoices):
        OPEN = "open", _("Waiting for the organizer")
        APPROVED = "approved", _("Refunded")
        DECLINED = "declined", _("Declined")
        # Refunded in full another way (webinar cancelled, the organizer's
        # refund, Stripe's dashboard) while the request waited.
        SETTLED = "settled", _("Settled by a refund")

    registrant = models.ForeignKey(
        "registrations.Registrant",
        on_delete=models.CASCADE,
        related_name="refund_requests",
    )
    message = models.TextField(_("message"), blank=True)
    outcome = models.CharField(
        max_length=20, choices=Outcome.choices, default=Outcome.OPEN
    )
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        "auth.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    refund = models.ForeignKey(
        "payments.Refund",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("refund request")
        verbose_name_plural = _("refund requests")
        constraints = [
            models.UniqueConstraint(
                fields=["registrant"],
                condition=Q(outcome="open"),
                name="one_open_refund_request",
            )
        ]

    def __str__(self) -> str:
        return f"refund request {self.pk} ({self.outcome})"


class RefundShare(models.Model):
    """Whose share of a shared payment (several sessions) a refund gives back.

    A refund without a share (external, or of a whole payment) counts
    against the payment only (registrations.refunds.ledger.share_summary).
    """

    refund = models.OneToOneField(
        "payments.Refund", on_delete=models.CASCADE, related_name="share"
    )
    registrant = models.ForeignKey(
        "registrations.Registrant",
        on_delete=models.PROTECT,
        related_name="refund_shares",
    )

    def __str__(self) -> str:
        return f"refund {self.refund_id} for registrant {self.registrant_id}"
