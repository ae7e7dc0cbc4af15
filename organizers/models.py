from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def default_reminder_offsets() -> list[int]:
    """Return the default reminder schedule: minutes before each session."""
    return [24 * 60, 60]


class Account(models.Model):
    """A corporate account: the tenant owning webinars, organizers and payments."""

    class StripeScope(models.TextChoices):
        ACCOUNT = "account", _("One Stripe account for the whole account")
        ORGANIZER = "organizer", _("Each organizer connects their own")

    name = models.CharField(_("name"), max_length=200)
    participant_limit = models.PositiveIntegerField(
        _("participant limit"),
        default=1000,
        help_text=_("The plan's participant limit per webinar session."),
    )
    stripe_scope = models.CharField(
        _("Stripe scope"),
        max_length=20,
        choices=StripeScope.choices,
        default=StripeScope.ACCOUNT,
    )
    auto_attach_recordings = models.BooleanField(
        _("attach recordings automatically"), default=False
    )
    reminder_offsets = models.JSONField(
        _("default reminder offsets (minutes)"), default=default_reminder_offsets
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(participant_limit__gte=1),
                name="account_participant_limit_positive",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def max_registration_limit(self) -> int:
        """Return the highest registration limit a webinar may set (10x)."""
        return self.participant_limit * 10


class OrganizerQuerySet(models.QuerySet):
    def admins(self) -> "OrganizerQuerySet":
        return self.filter(role=Organizer.Role.ADMIN)


class Organizer(models.Model):
    """A user's membership in an account, with a role."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("Account admin")
        ORGANIZER = "organizer", _("Organizer")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organizer"
    )
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="organizers"
    )
    role = models.CharField(
        _("role"), max_length=20, choices=Role.choices, default=Role.ORGANIZER
    )
    invited_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganizerQuerySet.as_manager()

    class Meta:
        verbose_name = _("organizer")
        verbose_name_plural = _("organizers")
        ordering = ["user__email"]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.account})"

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN

    @property
    def email(self) -> str:
        return self.user.email

    @property
    def display_name(self) -> str:
        return self.user.get_full_name() or self.user.email
