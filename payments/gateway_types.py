"""The plain values payments.gateway returns: what the product needs from Stripe.

Kept apart from the gateway so that code reading them (webhook handlers,
services) needs no import of the module that talks to Stripe.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class CheckoutSession:
    """A Checkout Session as the product needs it."""

    id: str
    url: str | None
    status: str
    payment_status: str
    amount_total: int
    currency: str
    payment_intent: str | None
    expires_at: int
    client_reference_id: str | None
    metadata: dict[str, str]


@dataclass(frozen=True)
class Charged:
    """What a PaymentIntent and a Refund share: an amount that has a status."""

    id: str
    status: str
    amount: int
    currency: str
    charge: str | None
    metadata: dict[str, str]


@dataclass(frozen=True)
class PaymentDetails(Charged):
    """A PaymentIntent with its charge and the Stripe fee from its balance.

    `stripe_fee` is in `stripe_fee_currency`, the currency the charge settled
    in; `exchange_rate` converts the charge's currency to it (None: the same).
    """

    amount_received: int
    application_fee_amount: int | None
    stripe_fee: int | None
    amount_refunded: int
    stripe_fee_currency: str | None = None
    exchange_rate: Decimal | None = None


@dataclass(frozen=True)
class RefundResult(Charged):
    """A refund and where it stands."""

    payment_intent: str | None
    reason: str | None
    created: int


@dataclass(frozen=True)
class ConnectedAccountToken:
    """The result of an OAuth code exchange."""

    stripe_user_id: str
    livemode: bool
    scope: str


@dataclass(frozen=True)
class AccountInfo:
    """What the product shows and checks about a connected account."""

    id: str
    livemode: bool
    charges_enabled: bool
    details_submitted: bool
    business_name: str | None
    email: str | None
    default_currency: str | None
    country: str | None

    @classmethod
    def from_stripe(cls, obj: dict[str, Any], *, livemode: bool) -> "AccountInfo":
        """Read an account object as Stripe returns it."""
        profile = obj["business_profile"] or {}
        dashboard = (obj["settings"] or {}).get("dashboard") or {}
        return cls(
            id=obj["id"],
            livemode=livemode,
            charges_enabled=bool(obj["charges_enabled"]),
            details_submitted=bool(obj["details_submitted"]),
            business_name=profile.get("name") or dashboard.get("display_name"),
            email=obj["email"],
            default_currency=obj["default_currency"],
            country=obj["country"],
        )


@dataclass(frozen=True)
class AccountLink:
    """A single-use link to Stripe's hosted onboarding for one account."""

    url: str
    expires_at: int


@dataclass(frozen=True)
class WebhookEvent:
    """A verified webhook event, as plain data."""

    id: str
    type: str
    account: str | None
    livemode: bool
    created: int
    object: dict[str, Any]
    previous_attributes: dict[str, Any] | None
    api_version: str | None

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> "WebhookEvent":
        """Read an event as Stripe sends or lists it.

        Raise TypeError or ValueError for a payload no Stripe event has (an id,
        type or account that is not a short string): even correctly signed, it
        must not reach the database.
        """
        body = data["data"]
        account = data.get("account")
        if not (
            _short_text(data["id"], 255)
            and _short_text(data["type"], 100)
            and (account is None or _short_text(account, 64))
        ):
            raise ValueError("event id, type or account is not a short string")
        return cls(
            id=data["id"],
            type=data["type"],
            account=account,
            livemode=bool(data.get("livemode")),
            created=int(data["created"]),
            object=dict(body["object"]),
            previous_attributes=body.get("previous_attributes"),
            api_version=data.get("api_version"),
        )


def _short_text(value: object, max_length: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= max_length


@dataclass(frozen=True)
class EventPage:
    """One page of an account's events, newest first, as `GET /v1/events` lists it.

    `payloads` holds each event as Stripe sent it (same order as `events`),
    for the audit trail the webhook endpoint keeps too.
    """

    events: list[WebhookEvent]
    payloads: list[dict[str, Any]]
    has_more: bool
