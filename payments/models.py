from datetime import datetime

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from organizers.models import Account, Organizer
from payments import history
from payments.installation import Installation
from webinars.models import Webinar

CURRENCIES = ["USD", "AUD", "CAD", "CHF", "DKK", "EUR", "GBP", "MXN", "NOK", "SEK"]
CURRENCY_CHOICES = [(c, c) for c in CURRENCIES]
# Stripe's minimum charge per currency, in minor units.
MINIMUM_AMOUNTS = {
    "USD": 50,
    "AUD": 50,
    "CAD": 50,
    "CHF": 50,
    "DKK": 250,
    "EUR": 50,
    "GBP": 30,
    "MXN": 1000,
    "NOK": 300,
    "SEK": 300,
}
MAXIMUM_AMOUNT = 99_999_999


class StripeConnection(models.Model):
    """A Stripe account linked to a Tessera account, or to one organizer of it."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="stripe_connections"
    )
    # Null for an account-wide connection; set when each organizer connects their own.
    organizer = models.ForeignKey(
        Organizer,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="stripe_connections",
    )
    stripe_account_id = models.CharField(_("Stripe account"), max_length=64)
    livemode = models.BooleanField(default=False)
    charges_enabled = models.BooleanField(default=False)
    details_submitted = models.BooleanField(default=False)
    business_name = models.CharField(max_length=200, blank=True)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    connected_at = models.DateTimeField(auto_now_add=True)
    # When Stripe last told the account's state: older account.updated events
    # (delivered out of order) must not undo newer ones.
    synced_at = models.DateTimeField(null=True, blank=True)
    disconnected_at = models.DateTimeField(null=True, blank=True)
    disconnected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("Stripe connection")
        verbose_name_plural = _("Stripe connections")
        ordering = ["-connected_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(disconnected_at__isnull=True, organizer__isnull=True),
                name="one_live_account_connection",
            ),
            models.UniqueConstraint(
                fields=["organizer"],
                condition=Q(disconnected_at__isnull=True, organizer__isnull=False),
                name="one_live_organizer_connection",
            ),
        ]

    def __str__(self) -> str:
        return self.stripe_account_id

    @property
    def is_active(self) -> bool:
        return self.disconnected_at is None

    @property
    def is_usable(self) -> bool:
        """Tell whether payments can be taken through this connection now.

        Stripe's rule for Connect: sell only once the account's owner submitted
        its details and Stripe enabled charges.
        """
        return self.is_active and self.charges_enabled and self.details_submitted

    @property
    def masked_id(self) -> str:
        return f"acct_…{self.stripe_account_id[-4:]}"


class Price(models.Model):
    """What a webinar costs. Amounts are integers in minor units."""

    webinar = models.OneToOneField(
        Webinar, on_delete=models.CASCADE, related_name="price"
    )
    enabled = models.BooleanField(_("accept payments"), default=False)
    amount = models.PositiveIntegerField(_("price"), default=0)
    currency = models.CharField(
        _("currency"), max_length=3, choices=CURRENCY_CHOICES, default="USD"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__lte=MAXIMUM_AMOUNT), name="price_amount_max"
            )
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


class PriceTier(models.Model):
    """A scheduled price (early bird) valid until a moment."""

    price = models.ForeignKey(Price, on_delete=models.CASCADE, related_name="tiers")
    amount = models.PositiveIntegerField(_("price"))
    ends_at = models.DateTimeField(_("until"))

    class Meta:
        ordering = ["ends_at"]
        verbose_name = _("price tier")
        verbose_name_plural = _("price tiers")

    def __str__(self) -> str:
        return f"{self.amount} until {self.ends_at:%Y-%m-%d %H:%M}"


class PriceChange(models.Model):
    """The history of price changes: who changed what, and when."""

    Kind = history.PriceChangeKind
    price = models.ForeignKey(Price, on_delete=models.CASCADE, related_name="changes")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    # What happened, worded when read (payments.history); LEGACY: `description`.
    kind = models.CharField(max_length=40, choices=Kind.choices, default=Kind.LEGACY)
    params = models.JSONField(default=dict, blank=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.params or self.description}"

    @property
    def text(self) -> str:
        """Return the entry in the active language, moments in the webinar's zone."""
        return history.describe_change(self, zone=self.price.webinar.timezone)


class DiscountCodeQuerySet(models.QuerySet):
    def with_held(self) -> "DiscountCodeQuerySet":
        """Annotate `held`: uses counted for checkouts still open (not yet paid)."""
        return self.annotate(
            held=models.Count(
                "registrants",
                filter=Q(
                    registrants__payment__status__in=[
                        Payment.Status.CREATED,
                        Payment.Status.OPEN,
                    ]
                ),
            )
        )


class DiscountCode(models.Model):
    class State(models.TextChoices):
        INACTIVE = "inactive", _("Deactivated")
        SCHEDULED = "scheduled", _("Scheduled")
        ACTIVE = "active", _("Active")
        EXPIRED = "expired", _("Expired")
        USED_UP = "used_up", _("Used up")
        HELD = "held", _("Held by an open checkout")

    webinar = models.ForeignKey(
        Webinar, on_delete=models.CASCADE, related_name="discount_codes"
    )
    code = models.CharField(_("code"), max_length=40)
    amount = models.PositiveIntegerField(_("price with the code"))
    max_uses = models.PositiveIntegerField(_("maximum uses"), null=True, blank=True)
    uses = models.PositiveIntegerField(_("uses"), default=0)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DiscountCodeQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("discount code")
        verbose_name_plural = _("discount codes")
        constraints = [
            models.UniqueConstraint(
                models.functions.Upper("code"),
                "webinar",
                name="discount_code_unique_per_webinar",
            ),
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(uses__lte=models.F("max_uses")),
                name="discount_code_uses_within_max",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def state(self, *, at: "datetime", held: int = 0) -> "DiscountCode.State":
        """What the code is at `at`; `held`: uses held by open checkouts.

        A code whose last uses are held by checkouts still open is "held": the
        uses come back if those checkouts expire.
        """
        if not self.active:
            return self.State.INACTIVE
        if self.valid_until is not None and at >= self.valid_until:
            return self.State.EXPIRED
        if self.valid_from is not None and at < self.valid_from:
            return self.State.SCHEDULED
        if self.max_uses is not None and self.uses >= self.max_uses:
            return self.State.HELD if held else self.State.USED_UP
        return self.State.ACTIVE


class PaymentQuerySet(models.QuerySet):
    def lock(self, pk: int) -> "Payment":
        """Lock one Payment row until the transaction ends, and return it.

        The Payment row is the lock that serialises everything that changes
        what a payment is worth: fulfilment, refunds, disputes, denial. Take it
        before locking its Registrant, always in that order, so two operations
        never wait on each other. Refuses to run outside transaction.atomic(),
        where the lock would be released at once.
        """
        if not transaction.get_connection(self.db).in_atomic_block:
            raise RuntimeError("Payment.objects.lock() needs transaction.atomic().")
        return self.select_for_update().get(pk=pk)


class Payment(models.Model):
    """One Checkout attempt and what Stripe says of it."""

    class Status(models.TextChoices):
        CREATED = "created", _("Created")
        OPEN = "open", _("Checkout open")
        PROCESSING = "processing", _("Processing")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")
        REFUNDED = "refunded", _("Refunded")

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="payments"
    )
    webinar = models.ForeignKey(
        Webinar, on_delete=models.PROTECT, related_name="payments"
    )
    stripe_account_id = models.CharField(max_length=64)
    # Unique and indexed in Meta (unique=True or db_index=True adds a LIKE
    # index on PostgreSQL that no query uses). Null until Stripe answers.
    checkout_session_id = models.CharField(  # noqa: DJ001
        max_length=255, null=True, blank=True
    )
    checkout_url = models.URLField(max_length=2000, blank=True)
    payment_intent_id = models.CharField(max_length=255, blank=True)
    charge_id = models.CharField(max_length=255, blank=True)
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    amount_refunded = models.PositiveIntegerField(default=0)
    application_fee = models.PositiveIntegerField(default=0)
    # Stripe's fees (tax on them included, the platform's fee not), in minor
    # units of the currency the charge settled in, which may differ from the
    # charge's: `exchange_rate` is charge currency -> settlement currency.
    stripe_fee = models.PositiveIntegerField(null=True, blank=True)
    stripe_fee_currency = models.CharField(max_length=3, blank=True)
    exchange_rate = models.DecimalField(
        max_digits=24, decimal_places=12, null=True, blank=True
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.CREATED
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    flagged_reason = models.TextField(blank=True)
    # Disputes (chargebacks), recorded from charge.dispute.* webhooks.
    dispute_id = models.CharField(max_length=255, blank=True)
    dispute_status = models.CharField(max_length=40, blank=True)
    dispute_reason = models.CharField(max_length=100, blank=True)
    disputed_at = models.DateTimeField(null=True, blank=True)
    dispute_closed_at = models.DateTimeField(null=True, blank=True)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_refunded__lte=models.F("amount")),
                name="payment_refunds_within_amount",
            ),
            models.UniqueConstraint(
                fields=["checkout_session_id"], name="payment_checkout_session_unique"
            ),
        ]
        # Stripe's ids, looked up once known: a start writes no entry for "".
        indexes = [
            models.Index(fields=[field], name=name, condition=~Q((field, "")))
            for field, name in [
                ("payment_intent_id", "payment_intent_known"),
                ("charge_id", "payment_charge_known"),
            ]
        ]

    def __str__(self) -> str:
        return f"{self.checkout_session_id or self.pk}: {self.amount} {self.currency}"

    @property
    def idempotency_key(self) -> str:
        """Return the key of this payment's Checkout Session create."""
        return Installation.idempotency_key(f"checkout-{self.pk}")


class Refund(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        PENDING = "pending", _("Pending")
        REQUIRES_ACTION = "requires_action", _("Requires action")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        CANCELED = "canceled", _("Canceled")

    ReasonKind = history.RefundReasonKind
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="refunds"
    )
    amount = models.PositiveIntegerField()
    # Why, worded when read; TEXT shows `reason` as typed (see payments.history).
    reason_kind = models.CharField(max_length=40, choices=ReasonKind, default="text")
    reason = models.CharField(max_length=200, blank=True)
    stripe_refund_id = models.CharField(
        max_length=255, unique=True, null=True, blank=True
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.REQUESTED
    )
    failure_reason = models.CharField(max_length=200, blank=True)
    external = models.BooleanField(
        default=False, help_text=_("Made in the Stripe dashboard, not in Tessera.")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    idempotency_key = models.CharField(max_length=100, unique=True)
    # Off when the flow that made the refund already tells the registrant
    # (automatic refund, denial): no second "refund" email then.
    notify_registrant = models.BooleanField(
        default=True,
        help_text=_("Email the registrant when the refund succeeds."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_positive")
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.payment.currency} ({self.status})"

    @property
    def reason_text(self) -> str:
        """Return why, in the active language."""
        return history.describe_refund_reason(self.reason_kind, self.reason)

    @property
    def stripe_idempotency_key(self) -> str:
        """Return the key sent to Stripe: the row's own, unique to this installation."""
        return Installation.idempotency_key(self.idempotency_key)


class StripeEvent(models.Model):
    """Every webhook event received: the audit trail and the dedup key."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    stripe_account_id = models.CharField(max_length=64, blank=True)
    livemode = models.BooleanField(default=False)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    # Unprocessed, taken by a drain (or the sweep) until then; after a failure,
    # not retried before then (payments/event_drain.py).
    leased_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            # The drains' and the sweep's claims read only unprocessed events.
            models.Index(
                fields=["received_at"],
                condition=models.Q(processed_at__isnull=True),
                name="stripe_event_unprocessed",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"


class EventCursor(models.Model):
    """How far the events sweep has read one account's Stripe events.

    The platform's own events are under `stripe_account_id=""`.
    """

    stripe_account_id = models.CharField(max_length=64, unique=True, blank=True)
    # Stripe's `created` (Unix seconds) of the newest event processed so far.
    last_created = models.BigIntegerField()
    last_event_id = models.CharField(max_length=255, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.stripe_account_id or 'platform'} @ {self.last_created}"


class StripeDisconnection(models.Model):
    """A Stripe connection that ended: who, when, and which webinars became free."""

    class Source(models.TextChoices):
        CONSOLE = "console", _("Disconnected in Tessera")
        REPLACED = "replaced", _("Replaced by another Stripe account")
        STRIPE = "stripe", _("Disconnected from Stripe's side")

    connection = models.ForeignKey(
        StripeConnection, on_delete=models.CASCADE, related_name="disconnections"
    )
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="stripe_disconnections"
    )
    stripe_account_id = models.CharField(max_length=64)
    source = models.CharField(max_length=20, choices=Source.choices)
    disconnected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    disconnected_at = models.DateTimeField(auto_now_add=True)
    webinars = models.ManyToManyField(Webinar, blank=True, related_name="+")
    # Titles as they were, so the record reads the same after a webinar is renamed.
    webinar_titles = models.JSONField(default=list, blank=True)
    expired_sessions = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-disconnected_at", "-pk"]
        verbose_name = _("Stripe disconnection")
        verbose_name_plural = _("Stripe disconnections")

    def __str__(self) -> str:
        return f"{self.stripe_account_id} ({self.source})"
