"""History entries kept as a kind with parameters, worded when they are read.

A price change or a refund's reason is stored as what happened (`kind`) and
its values (`params`: amounts in minor units with their currency, moments in
ISO 8601), never as a sentence: a French co-organizer reads in French, with
French money and dates, what an English one did. The sentences below are the
msgids of the entries written as text before kinds existed (with
WRITTEN_PRICE_CHANGE_TEXTS for those reworded since), so the migration that
converts those rows (see `legacy_history`) matches them in both languages.
"""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from django.db import models
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from payments.money import format_money
from webinars.templatetags.console_time import zoned_text


class PriceChangeKind(models.TextChoices):
    PRICE_SET = "price_set", _("Price set")
    PRICE_CHANGED = "price_changed", _("Price changed")
    PAYMENTS_ON = "payments_on", _("Payments turned on")
    PAYMENTS_OFF = "payments_off", _("Payments turned off")
    STRIPE_DISCONNECTED = "stripe_disconnected", _("Stripe disconnected")
    TIER_ADDED = "tier_added", _("Early-bird price added")
    TIER_REMOVED = "tier_removed", _("Early-bird price removed")
    CODE_CREATED = "code_created", _("Discount code created")
    CODE_CHANGED = "code_changed", _("Discount code changed")
    CODE_DEACTIVATED = "code_deactivated", _("Discount code deactivated")
    CODES_GENERATED = "codes_generated", _("Discount codes generated")
    # Written as a sentence before kinds existed: `description` verbatim.
    LEGACY = "legacy", _("Earlier entry")


class RefundReasonKind(models.TextChoices):
    # The reason as typed by the organizer (or written before kinds
    # existed), shown as it is.
    TEXT = "text", _("As written")
    REGISTRANT_CANCELLED = "registrant_cancelled", _("Registrant cancelled")
    REQUEST_APPROVED = "request_approved", _("Refund request approved")
    STRIPE_DASHBOARD = "stripe_dashboard", _("Refunded in Stripe")
    WEBINAR_CANCELLED = "webinar_cancelled", _("Webinar cancelled")
    DENIED = "denied", _("Registration denied")
    AMOUNT_MISMATCH = "amount_mismatch", _("Amount did not match")
    CANCELLED_BEFORE_PAYMENT = (
        "cancelled_before_payment",
        _("Cancelled before the payment"),
    )
    DISCONNECTED = "disconnected", _("Payment account disconnected")
    INACTIVE = "inactive", _("Registration no longer active")
    DUPLICATE = "duplicate", _("Already registered")
    SOLD_OUT = "sold_out", _("Seats taken")


PRICE_CHANGE_TEXTS = {
    "price_set": gettext_noop("Price set to %(now)s."),
    "price_changed": gettext_noop("Price changed from %(was)s to %(now)s."),
    "payments_on": gettext_noop("Payments turned on."),
    "payments_off": gettext_noop("Payments turned off."),
    "stripe_disconnected": gettext_noop(
        "Payments turned off: Stripe account %(account)s disconnected."
    ),
    "tier_added": gettext_noop("Early-bird price %(p)s added, until %(when)s."),
    "tier_removed": gettext_noop("Early-bird price %(p)s until %(when)s removed."),
    "code_created": gettext_noop("Discount code %(code)s created at %(p)s."),
    "code_changed": gettext_noop("Discount code %(code)s changed (%(p)s)."),
    "code_deactivated": gettext_noop("Discount code %(code)s deactivated."),
    "codes_generated": gettext_noop("%(count)d discount codes generated at %(p)s."),
}

# The sentences as they were written before kinds existed, where today's
# wording differs: the migration's conversion (legacy_history) matches these.
# Today's "until" moment carries its zone in parentheses, hence no parentheses
# around it any more.
WRITTEN_PRICE_CHANGE_TEXTS = {
    **PRICE_CHANGE_TEXTS,
    "tier_added": gettext_noop("Early-bird price %(p)s added (until %(when)s)."),
}

REFUND_REASON_TEXTS = {
    "registrant_cancelled": gettext_noop(
        "Cancelled by the registrant within the policy"
    ),
    "request_approved": gettext_noop("Refund request approved"),
    "stripe_dashboard": gettext_noop("Refunded in the Stripe dashboard"),
    "webinar_cancelled": gettext_noop("Webinar cancelled by the organizer"),
    "denied": gettext_noop("Registration denied by the organizer"),
    "amount_mismatch": gettext_noop("The amount charged did not match the price."),
    "cancelled_before_payment": gettext_noop("The webinar was cancelled."),
    "disconnected": gettext_noop(
        "The organizer's payment account is no longer connected."
    ),
    "inactive": gettext_noop("This registration is no longer active."),
    "duplicate": gettext_noop("You were already registered with another payment."),
    "sold_out": gettext_noop("All seats were taken before your payment arrived."),
}


class Entry(Protocol):
    kind: str
    params: Mapping[str, Any]
    description: str

    def get_kind_display(self) -> str: ...


def money_params(amount: int, currency: str, prefix: str = "") -> dict[str, Any]:
    """Return the params of an amount: ``{"amount": 5000, "currency": "EUR"}``."""
    return {f"{prefix}amount": amount, f"{prefix}currency": currency}


def moment_param(moment: datetime) -> str:
    """Return a moment as params keep it: ISO 8601 in UTC."""
    return moment.astimezone(UTC).isoformat()


def change_values(params: Mapping[str, Any], zone: str | None) -> dict[str, Any]:
    """Return the placeholders of a change's sentence in the active language."""
    values: dict[str, Any] = {}
    if "amount" in params:
        money = format_money(params["amount"], params["currency"])
        values["p"] = values["now"] = money
    if "was_amount" in params:
        values["was"] = format_money(params["was_amount"], params["was_currency"])
    if "ends_at" in params:
        values["when"] = zoned_text(datetime.fromisoformat(params["ends_at"]), zone)
    for name in ("code", "count", "account"):
        if name in params:
            values[name] = params[name]
    return values


def describe_change(entry: Entry, *, zone: str | None) -> str:
    """Return a price change in the active language; a legacy one verbatim."""
    template = PRICE_CHANGE_TEXTS.get(entry.kind)
    if template is None:
        return entry.description
    try:
        return gettext(template) % change_values(entry.params, zone)
    except (KeyError, TypeError, ValueError):
        # Params that do not fit their kind: say what is known rather than fail.
        return entry.description or entry.get_kind_display()


def describe_refund_reason(kind: str, text: str) -> str:
    """Return a refund's reason in the active language; a typed one as typed."""
    template = REFUND_REASON_TEXTS.get(kind)
    return gettext(template) if template else text
