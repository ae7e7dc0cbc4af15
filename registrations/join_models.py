"""Where registrants joined from (imported by registrations.models, their home)."""

from django.db import models
from django.utils import timezone

from webinars.models import Session


class JoinDevice(models.Model):
    registrant = models.ForeignKey(
        "registrations.Registrant", on_delete=models.CASCADE, related_name="devices"
    )
    device_id = models.CharField(max_length=64)
    user_agent = models.CharField(max_length=400, blank=True)
    first_seen = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["registrant", "device_id"], name="join_device_unique"
            )
        ]

    def __str__(self) -> str:
        return self.device_id


class JoinRecord(models.Model):
    """A registrant sent to a session's room: attendance for follow-ups."""

    registrant = models.ForeignKey(
        "registrations.Registrant",
        on_delete=models.CASCADE,
        related_name="join_records",
    )
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="join_records"
    )
    first_joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["registrant", "session"], name="join_record_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.registrant_id} joined {self.session_id}"
