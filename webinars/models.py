import secrets
import zoneinfo
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organizers.models import Account, Organizer
from webinars.timezones import known_timezones


def new_registration_key() -> str:
    """Return an unguessable public registration key."""
    return secrets.token_urlsafe(18)


def validate_timezone(value: str) -> None:
    """Refuse a name the IANA time zone database does not know.

    The one check of a webinar's zone: the model, the console's form and the
    API's serializer all run it.
    """
    if value not in known_timezones():
        raise ValidationError(
            _("Unknown time zone: %(tz)s"), code="invalid", params={"tz": value}
        )


class WebinarQuerySet(models.QuerySet):
    def visible_to(self, organizer: Organizer) -> "WebinarQuerySet":
        """Return the webinars this organizer may see in the console."""
        qs = self.filter(account_id=organizer.account_id)
        if organizer.is_admin:
            return qs
        return qs.filter(
            Q(owner=organizer)
            | Q(
                members__organizer=organizer,
                members__role=WebinarMember.Role.CO_ORGANIZER,
            )
        ).distinct()

    def upcoming(self) -> "WebinarQuerySet":
        return self.filter(sessions__ends_at__gte=timezone.now()).distinct()

    def latest_timezone(self) -> str | None:
        """Return the time zone of the most recently created of these webinars."""
        return (
            self.order_by("-created_at", "-pk")
            .values_list("timezone", flat=True)
            .first()
        )


class Webinar(models.Model):
    class Kind(models.TextChoices):
        LIVE = "live", _("Live")
        RECORDED = "recorded", _("Recorded (simulated live)")
        WEBCAST = "webcast", _("Webcast")
        ON_DEMAND = "on_demand", _("On demand")

    class RegistrationType(models.TextChoices):
        ALL_SESSIONS = "all_sessions", _("Registrants attend all sessions")
        INDIVIDUAL_SESSION = (
            "individual_session",
            _("Registrants choose one or more sessions"),
        )

    class Approval(models.TextChoices):
        AUTOMATIC = "automatic", _("Automatic")
        MANUAL = "manual", _("Manual")

    class RefundPolicy(models.TextChoices):
        NONE = "none", _("No refunds on cancellation")
        FULL_UNTIL = "full_until", _("Full refund until some hours before")
        PERCENT_UNTIL = "percent_until", _("Part refunded until some hours before")

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="webinars"
    )
    owner = models.ForeignKey(
        Organizer, on_delete=models.PROTECT, related_name="owned_webinars"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(
        _("description"),
        blank=True,
        help_text=_(
            "Shown on the registration page. The refund policy has a setting of "
            "its own (the webinar's Refunds section), stated next to the price."
        ),
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind.choices, default=Kind.LIVE
    )
    timezone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_timezone]
    )
    registration_type = models.CharField(
        _("registration type"),
        max_length=20,
        choices=RegistrationType.choices,
        default=RegistrationType.ALL_SESSIONS,
    )
    registration_limit = models.PositiveIntegerField(_("registration limit"))
    approval = models.CharField(
        _("approval"),
        max_length=20,
        choices=Approval.choices,
        default=Approval.AUTOMATIC,
    )
    questions = models.JSONField(
        _("registration questions"),
        default=list,
        blank=True,
        help_text=_(
            "A list of questions: each has an id, a label, a kind "
            "(text or disclaimer) and whether it is required."
        ),
    )
    registration_key = models.CharField(
        max_length=40, unique=True, default=new_registration_key, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Refund policy for self-cancellation (see registrations/refunds/self_service.py).
    refund_policy = models.CharField(
        _("refund policy"),
        max_length=20,
        choices=RefundPolicy.choices,
        default=RefundPolicy.NONE,
    )
    refund_hours_before = models.PositiveIntegerField(
        _("hours before the session"), default=24
    )
    refund_percent = models.PositiveSmallIntegerField(
        _("percentage refunded"), default=100
    )
    # Emails (the registrations app sends them; see the README, "Emails and reminders").
    reminders_enabled = models.BooleanField(_("send reminders"), default=True)
    reminder_offsets = models.JSONField(
        _("reminder offsets (minutes before each session)"),
        null=True,
        blank=True,
        help_text=_("Empty: the account's default schedule."),
    )
    followups_enabled = models.BooleanField(_("send follow-ups"), default=True)
    followup_attended_text = models.TextField(
        _("follow-up text for attendees"), blank=True
    )
    followup_absent_text = models.TextField(
        _("follow-up text for absentees"), blank=True
    )
    notify_paid_registrations = models.BooleanField(
        _("email me each new paid registration"), default=False
    )
    # The waitlist (registrations/waitlist/): once full, people join a line
    # and the next in line is offered each seat that frees, for this long.
    waitlist_enabled = models.BooleanField(_("waitlist"), default=False)
    waitlist_offer_hours = models.PositiveIntegerField(
        _("offer window (hours)"), default=24
    )

    objects = WebinarQuerySet.as_manager()

    class Meta:
        verbose_name = _("webinar")
        verbose_name_plural = _("webinars")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(registration_limit__gte=1),
                name="webinar_registration_limit_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("webinars:detail", args=[self.pk])

    def get_registration_url(self) -> str:
        return reverse("registrations:register", args=[self.registration_key])

    def clean(self) -> None:
        if self.account_id and self.registration_limit:
            cap = self.account.max_registration_limit
            if self.registration_limit > cap:
                raise ValidationError(
                    {
                        "registration_limit": _(
                            "The registration limit can be at most %(cap)s "
                            "(10 times the participant limit)."
                        )
                        % {"cap": cap}
                    }
                )

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def effective_reminder_offsets(self) -> list[int]:
        """Return the reminder schedule in minutes, largest first."""
        offsets = self.reminder_offsets
        if offsets is None:
            offsets = self.account.reminder_offsets or []
        return sorted({int(o) for o in offsets if int(o) > 0}, reverse=True)

    @property
    def is_series(self) -> bool:
        return self.registration_type == self.RegistrationType.INDIVIDUAL_SESSION

    def registration_closed_reason(
        self, *, has_upcoming_session: bool, sells_recording: bool = False
    ) -> str:
        """Return why the registration page takes no registration, or "" if open.

        The one rule for the registration page, the organizer's preview and
        start_registration. `has_upcoming_session`: a session that is neither
        cancelled nor over is left; `sells_recording`: the page sells a replay
        or an on-demand video (registrations' registration_modes hook), which
        needs no session. A chosen session's own state is checked by the caller.
        """
        if self.cancelled_at is not None:
            return _("This webinar is cancelled.")
        if sells_recording:
            return ""
        if self.kind == self.Kind.ON_DEMAND:
            # Nothing to watch: selling it would give the buyer an empty page.
            return _(
                "This on-demand webinar has no video to watch yet: registration "
                "is closed."
            )
        if not has_upcoming_session:
            return _("Registration for this webinar is closed.")
        return ""

    def can_be_managed_by(self, organizer: Organizer) -> bool:
        """Tell whether the organizer may manage it (owner, co-organizer, admin)."""
        if organizer.account_id != self.account_id:
            return False
        if organizer.is_admin or self.owner_id == organizer.pk:
            return True
        return self.members.filter(
            organizer=organizer, role=WebinarMember.Role.CO_ORGANIZER
        ).exists()


class SessionQuerySet(models.QuerySet):
    def active(self) -> "SessionQuerySet":
        return self.filter(cancelled_at__isnull=True)

    def upcoming(self) -> "SessionQuerySet":
        return self.filter(ends_at__gte=timezone.now())


class Session(models.Model):
    """One occurrence of a webinar."""

    webinar = models.ForeignKey(
        Webinar, on_delete=models.CASCADE, related_name="sessions"
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    broadcast_url = models.URLField(
        _("broadcast URL"),
        blank=True,
        help_text=_("Where registrants are sent to watch: the live room's URL."),
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="session_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.webinar} @ {self.starts_at:%Y-%m-%d %H:%M}"

    def local_start(self) -> datetime:
        return timezone.localtime(self.starts_at, self.webinar.tzinfo)

    def local_end(self) -> datetime:
        return timezone.localtime(self.ends_at, self.webinar.tzinfo)

    @property
    def has_ended(self) -> bool:
        return self.ends_at <= timezone.now()


class WebinarMember(models.Model):
    """A co-organizer or panelist invited to one webinar, by email."""

    class Role(models.TextChoices):
        CO_ORGANIZER = "co_organizer", _("Co-organizer")
        PANELIST = "panelist", _("Panelist")

    webinar = models.ForeignKey(
        Webinar, on_delete=models.CASCADE, related_name="members"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    email = models.EmailField(_("email"))
    name = models.CharField(_("name"), max_length=200, blank=True)
    # Set when the email belongs to an organizer of the same account: that
    # organizer then sees the webinar in the console (co-organizers only).
    organizer = models.ForeignKey(
        Organizer,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # The member's registration splits the name at its first space into a
    # registrant's first and last name, each a column of this length.
    NAME_PART_LENGTH = 100

    class Meta:
        verbose_name = _("co-organizer or panelist")
        verbose_name_plural = _("co-organizers and panelists")
        ordering = ["role", "email"]
        constraints = [
            models.UniqueConstraint(
                models.functions.Lower("email"),
                "webinar",
                name="webinar_member_unique_email",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_role_display()})"

    @staticmethod
    def split_name(name: str) -> tuple[str, str]:
        """Return the first and last name in `name`: split at its first space."""
        first, _sep, last = (name or "").strip().partition(" ")
        return first, last.strip()
