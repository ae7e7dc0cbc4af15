import functools
import secrets
from collections.abc import Callable
from email.utils import parseaddr

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.db.models.functions import Upper
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organizers.hooks import Hook
from payments.models import CURRENCY_CHOICES, DiscountCode, Payment
from registrations.history import DropReasonKind, describe_drop
from registrations.join_models import JoinDevice, JoinRecord  # noqa: F401 - home
from registrations.refunds.models import (  # noqa: F401 - their home
    RefundRequest,
    RefundShare,
)
from registrations.seat_sql import move_counter
from registrations.waitlist.models import WaitlistEntry
from webinars.models import Session, Webinar

# Every seat a registrant gives back (a hold released, a cancellation, a refund,
# a denial) moves the counters in Registrant.save, the one place that sees them
# all: handlers get (webinar id, session id); the waitlist offers it on.
seat_freed_handlers: Hook[Callable[[int, int | None], None]] = Hook(
    "registrations.seat_freed_handlers", "A registrant gave a seat back."
)


def new_token() -> str:
    """Return a 43-character unguessable token for links in emails."""
    return secrets.token_urlsafe(32)


class RegistrantQuerySet(models.QuerySet):
    def holding_seats(self) -> "RegistrantQuerySet":
        """Registrants that occupy a seat: confirmed, awaiting approval, or held.

        Panelists and co-organizers join free and never take a seat.
        """
        now = timezone.now()
        live_hold = SeatHold.objects.filter(
            registrant=models.OuterRef("pk"),
            released_at__isnull=True,
            consumed_at__isnull=True,
            expires_at__gt=now,
        )
        return self.exclude(
            source__in=[Registrant.Source.PANELIST, Registrant.Source.CO_ORGANIZER]
        ).filter(
            Q(status__in=[Registrant.Status.CONFIRMED, Registrant.Status.AWAITING])
            | (Q(status=Registrant.Status.PENDING) & Q(models.Exists(live_hold)))
        )


class Registrant(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending_payment", _("Pending payment")
        AWAITING = "awaiting_approval", _("Awaiting approval")
        CONFIRMED = "confirmed", _("Confirmed")
        DENIED = "denied", _("Denied")
        CANCELLED = "cancelled", _("Cancelled")
        REFUNDED = "refunded", _("Refunded")
        EXPIRED = "expired", _("Checkout abandoned")

    class CancelledBy(models.TextChoices):
        # The values of registrations.hooks.CANCELLED_*, and AUTOMATIC: a
        # payment that arrived when no seat could be given (settlement.py).
        REGISTRANT = "registrant", _("The registrant")
        ORGANIZER = "organizer", _("The organizer")
        WEBINAR = "webinar_cancelled", _("Webinar cancelled")
        SESSION = "session_cancelled", _("Session cancelled")
        AUTOMATIC = "automatic", _("Refunded automatically")

    class Source(models.TextChoices):
        PAID = "paid", _("Paid")
        FREE = "free", _("Free")
        CODE = "code", _("Discount code")
        PANELIST = "panelist", _("Panelist")
        CO_ORGANIZER = "co_organizer", _("Co-organizer")

    # No index of its own: (webinar, status) below serves every lookup by
    # webinar, and a start writes one index entry fewer.
    webinar = models.ForeignKey(
        Webinar, on_delete=models.CASCADE, related_name="registrants", db_index=False
    )
    # For individual-session series: the session chosen. Null: all sessions.
    session = models.ForeignKey(
        Session,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="registrants",
    )
    email = models.EmailField(_("email"))
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    answers = models.JSONField(default=dict, blank=True)
    language = models.CharField(max_length=10, default="en")
    status = models.CharField(max_length=20, choices=Status.choices)
    source = models.CharField(max_length=20, choices=Source.choices)
    amount = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, blank=True)
    discount_code = models.ForeignKey(
        DiscountCode,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="registrants",
    )
    # Shared by the registrants of one checkout (several sessions of an
    # individual-session series); `amount` is each one's share of it.
    payment = models.ForeignKey(
        Payment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="registrants",
    )
    # Unique in Meta (unique=True also gets PostgreSQL an index for LIKE).
    join_token = models.CharField(max_length=64, default=new_token)
    cancel_token = models.CharField(max_length=64, default=new_token)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Who or what ended it ("" before this was recorded): the return pages say.
    cancelled_by = models.CharField(
        max_length=20, choices=CancelledBy.choices, blank=True, default=""
    )
    # Set from the List-Unsubscribe link: no more reminders or follow-ups.
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    objects = RegistrantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("registrant")
        verbose_name_plural = _("registrants")
        constraints = [
            models.UniqueConstraint(
                fields=["join_token"], name="registrant_join_token"
            ),
            models.UniqueConstraint(
                fields=["cancel_token"], name="registrant_cancel_token"
            ),
        ]
        indexes = [
            models.Index(fields=["webinar", "status"]),
            # Under the seat lock, every start asks whether its email has a
            # live registration (start_sql.LIVE: Status.CONFIRMED, AWAITING,
            # PENDING). A partial index matches that question whatever the
            # table's statistics say, so its prepared plan never scans the
            # webinar's registrants.
            models.Index(
                "webinar",
                Upper("email"),
                name="registrant_live_email",
                condition=Q(
                    status__in=["confirmed", "awaiting_approval", "pending_payment"]
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} <{self.email}>"

    def save(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        """Save, and move the seat counters in the same transaction.

        The row's previous state is read locked (not taken from this
        instance, which may be stale), so the counters move by the change
        the database really sees.
        """
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and not SEAT_FIELDS.intersection(update_fields):
            super().save(*args, **kwargs)
            return
        after = self.seat_row()
        with transaction.atomic(savepoint=False):
            before = None
            if not self._state.adding:
                previous = (
                    Registrant.objects.select_for_update()
                    .filter(pk=self.pk)
                    .only(*SEAT_COLUMNS)
                    .first()
                )
                before = previous.seat_row() if previous is not None else None
            super().save(*args, **kwargs)
            if before != after:
                SeatCount.add(before, -1)
                SeatCount.add(after, +1)
                for handler in seat_freed_handlers if before else ():
                    handler(*before)

    def seat_row(self) -> tuple[int, int | None] | None:
        """The SeatCount row this registrant counts in, or None (no seat)."""
        if self.status not in SEAT_STATUSES or self.source in STAFF_SOURCE_VALUES:
            return None
        return (self.webinar_id, self.session_id)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


# What a Registrant's seat counter depends on (see SeatCount).
SEAT_STATUSES = frozenset(
    {Registrant.Status.PENDING, Registrant.Status.AWAITING, Registrant.Status.CONFIRMED}
)
STAFF_SOURCE_VALUES = frozenset(
    {Registrant.Source.PANELIST, Registrant.Source.CO_ORGANIZER}
)
SEAT_FIELDS = frozenset({"status", "source", "webinar", "session"})
SEAT_COLUMNS = ("status", "source", "webinar_id", "session_id")


class SeatCount(models.Model):
    """Registrants who may hold a seat, per webinar and chosen session.

    `taken` counts the registrants of (webinar, session) that are pending,
    awaiting approval or confirmed, staff excluded; Registrant.save and
    deletes keep it in the same transaction as the change. It is an upper
    bound of the seats taken (a pending registrant's hold may have lapsed
    before the sweep releases it): a start that finds it below the limit has
    a seat without counting rows; at the limit, the exact count decides
    (registrations.capacity).
    """

    webinar = models.ForeignKey(Webinar, on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(
        Session, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    taken = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["webinar", "session"],
                condition=Q(session__isnull=False),
                name="seatcount_one_per_session",
            ),
            models.UniqueConstraint(
                fields=["webinar"],
                condition=Q(session__isnull=True),
                name="seatcount_one_per_webinar",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.taken} seats of webinar {self.webinar_id}/{self.session_id}"

    @classmethod
    def add(cls, row: tuple[int, int | None] | None, delta: int) -> None:
        """Move the counter of `row` by `delta`; create it from a recount if new."""
        if row is None:
            return
        webinar_id, session_id = row
        scope = {"webinar_id": webinar_id, "session_id": session_id}
        if move_counter(cls._meta.db_table, **scope, delta=delta):
            return
        if delta < 0:
            # A row never counted (registrants older than the counters, or a
            # webinar being deleted): nothing to take away from.
            return
        try:
            with transaction.atomic():
                cls.objects.create(
                    webinar_id=webinar_id,
                    session_id=session_id,
                    taken=cls.recount(webinar_id, session_id),
                )
        except IntegrityError:
            # Created by a transaction that committed meanwhile: its recount
            # could not see this one's uncommitted change, so count it now.
            move_counter(cls._meta.db_table, **scope, delta=delta)

    @staticmethod
    def recount(webinar_id: int, session_id: int | None) -> int:
        """Count the registrants (and waitlist offers) the counter stands for."""
        registrants = (
            Registrant.objects.filter(
                webinar_id=webinar_id, session_id=session_id, status__in=SEAT_STATUSES
            )
            .exclude(source__in=STAFF_SOURCE_VALUES)
            .count()
        )
        offers = WaitlistEntry.objects.filter(
            webinar_id=webinar_id,
            session_id=session_id,
            status=WaitlistEntry.Status.OFFERED,
        ).count()
        return registrants + offers


@receiver(post_delete, sender=Registrant)
def _registrant_deleted(sender: type, instance: Registrant, **kwargs: object) -> None:
    """A deleted registrant gives its seat back."""
    SeatCount.add(instance.seat_row(), -1)


class SeatHold(models.Model):
    """A seat kept for a registrant while they pay; expires with Checkout."""

    registrant = models.ForeignKey(
        Registrant, on_delete=models.CASCADE, related_name="holds"
    )
    session = models.ForeignKey(
        Session, null=True, blank=True, on_delete=models.CASCADE, related_name="holds"
    )
    expires_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)
    consumed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self) -> str:
        return f"hold {self.pk} until {self.expires_at}"


@functools.cache
def message_id_domain(from_email: str) -> str:
    return parseaddr(from_email)[1].rpartition("@")[2] or "localhost"


def new_message_id() -> str:
    """Return a Message-ID kept for the life of an email, retries included."""
    domain = message_id_domain(settings.DEFAULT_FROM_EMAIL)
    return f"<{secrets.token_hex(16)}@{domain}>"


class EmailLogQuerySet(models.QuerySet):
    def due(self, now: "timezone.datetime | None" = None) -> "EmailLogQuerySet":
        """Queued emails whose time has come and that no live worker holds."""
        now = now or timezone.now()
        return self.filter(
            Q(leased_until__isnull=True) | Q(leased_until__lt=now),
            status=EmailLog.Status.QUEUED,
            sent_at__isnull=True,
            scheduled_for__lte=now,
        )


class EmailLog(models.Model):
    """The outbox: one row per email, sent at most once and retried until sent."""

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", _("Confirmation")
        AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        DENIED = "denied", _("Denied")
        REMINDER = "reminder", _("Reminder")
        FOLLOWUP_ATTENDED = "followup_attended", _("Follow-up (attended)")
        FOLLOWUP_ABSENT = "followup_absent", _("Follow-up (absent)")
        CANCELLED = "cancelled", _("Cancellation")
        REFUND = "refund", _("Refund")
        AUTO_REFUNDED = "auto_refunded", _("Automatic refund")
        PAYMENT_FAILED = "payment_failed", _("Payment failed")
        CHECKOUT_EXPIRED = "checkout_expired", _("Checkout expired")
        NEW_PAID_REGISTRATION = (
            "new_paid_registration",
            _("Organizer: new paid registration"),
        )
        LIMIT_REACHED = "limit_reached", _("Organizer: registration limit reached")
        ORGANIZER_AUTO_REFUNDED = (
            "organizer_auto_refunded",
            _("Organizer: payment refunded automatically"),
        )
        DELIVERY_FAILED = "delivery_failed", _("Organizer: email not delivered")
        REFUND_FAILED = "refund_failed", _("Organizer: refund failed")
        REFUND_REQUEST = "refund_request", _("Organizer: refund request")
        DISPUTE_OPENED = "dispute_opened", _("Organizer: payment disputed")
        DISPUTE_CLOSED = "dispute_closed", _("Organizer: dispute closed")
        # Someone registered this email again: its owner gets their links.
        ALREADY_REGISTERED = "already_registered", _("Already registered")
        WAITLIST_JOINED = "waitlist_joined", _("Waitlist: joined")
        WAITLIST_OFFER = "waitlist_offer", _("Waitlist: seat offered")
        WAITLIST_EXPIRED = "waitlist_expired", _("Waitlist: offer expired")
        WAITLIST_CANCELLED = "waitlist_cancelled", _("Waitlist: webinar cancelled")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        # No longer applies when its time came (session cancelled, registrant
        # cancelled, session already started...).
        DROPPED = "dropped", _("Not sent")

    DropReason = DropReasonKind

    # Null for the emails of a waitlist entry, which has no registrant (yet).
    registrant = models.ForeignKey(
        Registrant, null=True, on_delete=models.CASCADE, related_name="emails"
    )
    waitlist_entry = models.ForeignKey(
        WaitlistEntry,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="emails",
    )
    kind = models.CharField(max_length=40, choices=Kind.choices)
    session = models.ForeignKey(
        Session,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="emails",
    )
    # session id, or 0 for "no session": NULLs never collide in a unique
    # constraint (SQLite and PostgreSQL alike), so the key needs a real value.
    session_key = models.PositiveBigIntegerField(default=0)
    # Tells apart several emails of one kind for the same registrant and
    # session: a reminder's offset in minutes, a confirmation's resend number,
    # the refund or refund request an organizer notice is about.
    variant = models.PositiveIntegerField(default=0)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    scheduled_for = models.DateTimeField(default=timezone.now)
    leased_until = models.DateTimeField(null=True, blank=True)
    lease_id = models.CharField(max_length=32, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # Why a dropped email was not sent, worded in the reader's language when
    # read; `drop_params` holds its values (the registrant's status).
    drop_reason = models.CharField(
        max_length=20, choices=DropReason.choices, blank=True, default=""
    )
    drop_params = models.JSONField(default=dict, blank=True)
    recipient = models.CharField(max_length=320, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=200, default=new_message_id)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EmailLogQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("email")
        verbose_name_plural = _("emails")
        constraints = [
            models.UniqueConstraint(
                fields=["registrant", "kind", "session_key", "variant"],
                name="email_log_unique",
            ),
            models.UniqueConstraint(
                fields=["waitlist_entry", "kind", "variant"],
                condition=Q(waitlist_entry__isnull=False),
                name="email_log_unique_waitlist",
            ),
            models.CheckConstraint(
                condition=Q(registrant__isnull=False) | Q(waitlist_entry__isnull=False),
                name="email_log_has_recipient",
            ),
        ]
        indexes = [models.Index(fields=["status", "scheduled_for"])]

    def __str__(self) -> str:
        return f"{self.kind} to registrant {self.registrant_id}"

    @property
    def is_for_organizer(self) -> bool:
        return self.kind in ORGANIZER_KINDS

    @property
    def note(self) -> str:
        """Return why it was not sent in the active language, or the server's error."""
        if self.drop_reason:
            statuses = dict(Registrant.Status.choices)
            return describe_drop(self.drop_reason, self.drop_params, statuses)
        return self.last_error


ORGANIZER_KINDS = frozenset(
    {
        EmailLog.Kind.NEW_PAID_REGISTRATION,
        EmailLog.Kind.LIMIT_REACHED,
        EmailLog.Kind.ORGANIZER_AUTO_REFUNDED,
        EmailLog.Kind.DELIVERY_FAILED,
        EmailLog.Kind.REFUND_FAILED,
        EmailLog.Kind.REFUND_REQUEST,
        EmailLog.Kind.DISPUTE_OPENED,
        EmailLog.Kind.DISPUTE_CLOSED,
    }
)
