import secrets
from pathlib import PurePosixPath

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organizers.models import Account, Organizer
from registrations.models import Registrant
from webinars.models import Session, Webinar


def new_watch_token() -> str:
    """Return a 43-character unguessable token for a watch link."""
    return secrets.token_urlsafe(32)


def recording_upload_to(recording: "Recording", filename: str) -> str:
    """Store each file under a random name: a storage URL reveals nothing."""
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    return f"recordings/{recording.account_id}/{secrets.token_urlsafe(16)}{suffix}"


class RecordingQuerySet(models.QuerySet):
    def visible_to(self, organizer: Organizer) -> "RecordingQuerySet":
        """Return the recordings this organizer may see and manage.

        Admins see the whole account's library; organizers see what they
        uploaded and what belongs to a webinar they manage.
        """
        qs = self.filter(account_id=organizer.account_id)
        if organizer.is_admin:
            return qs
        webinars = Webinar.objects.visible_to(organizer).values("pk")
        return qs.filter(
            Q(uploaded_by=organizer)
            | Q(webinar__in=webinars)
            | Q(attachments__webinar__in=webinars)
        ).distinct()

    def changeable_by(self, organizer: Organizer) -> "RecordingQuerySet":
        """Return the recordings this organizer may rename, publish or delete.

        Seeing a recording is not enough: one that also serves a webinar the
        organizer does not manage belongs to that webinar's people too. Admins
        change the whole library; organizers only a visible recording whose
        every webinar (its own and those it is attached to) is one they manage.
        """
        qs = self.visible_to(organizer)
        if organizer.is_admin:
            return qs
        managed = Webinar.objects.visible_to(organizer).values("pk")
        foreign = Webinar.objects.filter(account_id=organizer.account_id).exclude(
            pk__in=managed
        )
        return qs.exclude(webinar__in=foreign).exclude(attachments__webinar__in=foreign)


class Recording(models.Model):
    """A video in an account's library: an uploaded file or an external URL."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="recordings"
    )
    uploaded_by = models.ForeignKey(
        Organizer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recordings",
    )
    # What it is a recording of (optional): auto-attach looks at the session.
    webinar = models.ForeignKey(
        Webinar,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recordings",
    )
    session = models.ForeignKey(
        Session,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recordings",
    )
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(
        _("file"), upload_to=recording_upload_to, blank=True, max_length=300
    )
    external_url = models.URLField(_("external URL"), blank=True, max_length=1000)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    duration_seconds = models.PositiveIntegerField(
        _("duration (seconds)"), null=True, blank=True
    )
    view_limit = models.PositiveIntegerField(
        _("view limit"),
        null=True,
        blank=True,
        help_text=_(
            "How many registrants may watch. Empty: the account's participant limit."
        ),
    )
    available_until = models.DateTimeField(_("available until"), null=True, blank=True)
    unpublished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RecordingQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("recording")
        verbose_name_plural = _("recordings")
        constraints = [
            models.CheckConstraint(
                condition=~Q(file="") | ~Q(external_url=""),
                name="recording_has_media",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_external(self) -> bool:
        return not self.file and bool(self.external_url)

    @property
    def is_published(self) -> bool:
        return self.unpublished_at is None

    @property
    def effective_view_limit(self) -> int:
        """Return how many registrants may watch it."""
        if self.view_limit is not None:
            return self.view_limit
        return self.account.participant_limit

    def views_used(self) -> int:
        """Count the registrants who have started watching it."""
        return self.grants.filter(first_viewed_at__isnull=False).count()

    def is_available(self, at: "timezone.datetime | None" = None) -> bool:
        at = at or timezone.now()
        return self.is_published and (
            self.available_until is None or at < self.available_until
        )


class PostSessionVideo(models.Model):
    """A recording attached to one session, or to every session of a webinar."""

    recording = models.ForeignKey(
        Recording, on_delete=models.CASCADE, related_name="attachments"
    )
    webinar = models.ForeignKey(
        Webinar, on_delete=models.CASCADE, related_name="post_session_videos"
    )
    # Null: the video of the whole webinar (every session without its own).
    session = models.ForeignKey(
        Session,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="post_session_videos",
    )
    automatic = models.BooleanField(default=False)
    attached_by = models.ForeignKey(
        Organizer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session__starts_at", "pk"]
        verbose_name = _("post-session video")
        verbose_name_plural = _("post-session videos")
        constraints = [
            models.UniqueConstraint(
                fields=["session"],
                condition=Q(session__isnull=False),
                name="one_video_per_session",
            ),
            models.UniqueConstraint(
                fields=["webinar"],
                condition=Q(session__isnull=True),
                name="one_video_per_webinar",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recording} -> {self.session or self.webinar}"


class WatchGrant(models.Model):
    """A registrant's personal right to watch one recording, behind a token."""

    registrant = models.ForeignKey(
        Registrant, on_delete=models.CASCADE, related_name="watch_grants"
    )
    recording = models.ForeignKey(
        Recording, on_delete=models.CASCADE, related_name="grants"
    )
    token = models.CharField(max_length=64, unique=True, default=new_watch_token)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set on the first admitted view: it counts against the view limit.
    first_viewed_at = models.DateTimeField(null=True, blank=True)
    last_viewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("watch grant")
        verbose_name_plural = _("watch grants")
        constraints = [
            models.UniqueConstraint(
                fields=["registrant", "recording"], name="one_grant_per_recording"
            )
        ]

    def __str__(self) -> str:
        return f"grant {self.pk} ({self.recording_id})"

    def get_absolute_url(self) -> str:
        return reverse("recordings:watch", args=[self.token])


class ReplayOffer(models.Model):
    """The price of a webinar's replay, when it differs from the webinar's."""

    webinar = models.OneToOneField(
        Webinar, on_delete=models.CASCADE, related_name="replay_offer"
    )
    # Minor units, in the webinar price's currency. Null: the webinar's price.
    amount = models.PositiveIntegerField(_("replay price"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("replay offer")
        verbose_name_plural = _("replay offers")

    def __str__(self) -> str:
        return f"replay of {self.webinar_id}: {self.amount}"
