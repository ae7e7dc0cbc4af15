"""Checkout Sessions: creating, listing, expiring; the hosted page pays them.

Paying a session lives in `payments` (it creates the PaymentIntent and the
charge) and the hosted page in `checkout_page`.
"""

from __future__ import annotations

from typing import Any

from .accounts import AccountsMixin
from .core import ApiRoute, Context, Control, retrieve
from .errors import invalid
from .line_items import parse_line_items
from .objects import (
    MAXIMUM_AMOUNT,
    MINIMUM_AMOUNTS,
    PLATFORM_ACCOUNT,
    format_amount,
    new_id,
    public,
)
from .params import as_int, as_metadata, as_str

CHECKOUT_LOCALES = frozenset(
    [
        "auto",
        "bg",
        "cs",
        "da",
        "de",
        "el",
        "en",
        "en-GB",
        "es",
        "es-419",
        "et",
        "fi",
        "fil",
        "fr",
        "fr-CA",
        "hr",
        "hu",
        "id",
        "it",
        "ja",
        "ko",
        "lt",
        "lv",
        "ms",
        "mt",
        "nb",
        "nl",
        "pl",
        "pt",
        "pt-BR",
        "ro",
        "ru",
        "sk",
        "sl",
        "sv",
        "th",
        "tr",
        "vi",
        "zh",
        "zh-HK",
        "zh-TW",
    ]
)
MIN_EXPIRY = 30 * 60
MAX_EXPIRY = 24 * 60 * 60
# Seconds of slack on the lower `expires_at` bound: a client computes "now +
# 30 minutes" a moment before the request reaches the sandbox.
EXPIRY_SLACK = 60


def checkout_session(
    *,
    session_id: str,
    created: int,
    expires_at: int,
    url: str,
    line_items: list[dict[str, Any]],
    currency: str,
    amount_total: int,
    customer_email: str | None,
    client_reference_id: str | None,
    metadata: dict[str, str],
    success_url: str | None,
    cancel_url: str | None,
    locale: str | None,
    payment_intent_data: dict[str, Any],
) -> dict[str, Any]:
    """Return an open Checkout Session in payment mode."""
    return {
        "adaptive_pricing": {"enabled": False},
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": amount_total,
        "amount_total": amount_total,
        "automatic_tax": {
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        "billing_address_collection": None,
        "cancel_url": cancel_url,
        "client_reference_id": client_reference_id,
        "client_secret": None,
        "collected_information": None,
        "consent": None,
        "consent_collection": None,
        "created": created,
        "currency": currency,
        "currency_conversion": None,
        "custom_fields": [],
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "customer": None,
        "customer_account": None,
        "customer_creation": "if_required",
        "customer_details": None,
        "customer_email": customer_email,
        "discounts": [],
        "expires_at": expires_at,
        "id": session_id,
        "integration_identifier": None,
        "invoice": None,
        "invoice_creation": {
            "enabled": False,
            "invoice_data": {
                "account_tax_ids": None,
                "custom_fields": None,
                "description": None,
                "footer": None,
                "issuer": None,
                "metadata": {},
                "rendering_options": None,
            },
        },
        "livemode": False,
        "locale": locale,
        "managed_payments": {"enabled": False},
        "metadata": metadata,
        "mode": "payment",
        "object": "checkout.session",
        "origin_context": None,
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": "if_required",
        "payment_method_configuration_details": None,
        "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "permissions": None,
        "phone_number_collection": {"enabled": False},
        "recovered_from": None,
        "saved_payment_method_options": None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": None,
        "subscription": None,
        "success_url": success_url,
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted_page",
        "url": url,
        "wallet_options": None,
        "_line_items": line_items,
        "_payment_intent_data": payment_intent_data,
    }


class CheckoutMixin(AccountsMixin):
    """Create and expire Checkout Sessions in payment mode."""

    def create_session(
        self, ctx: Context, params: dict[str, Any], public_url: str
    ) -> dict[str, Any]:
        """Validate like Stripe and create an open Checkout Session."""
        mode = as_str(params, "mode", required=True)
        if mode != "payment":
            raise invalid(
                f"The sandbox supports only mode=payment, not {mode}.", param="mode"
            )
        now = self.now()
        line_items, currency, total = parse_line_items(params, now)
        minimum = MINIMUM_AMOUNTS[currency]
        if total == 0:
            raise invalid(
                "A Checkout Session in payment mode needs a total amount greater "
                "than zero.",
                code="amount_too_small",
            )
        if total < minimum:
            raise invalid(
                "The Checkout Session's total amount due must add up to at least "
                f"{format_amount(minimum, currency)} {currency}",
                code="amount_too_small",
            )
        if total > MAXIMUM_AMOUNT:
            raise invalid(
                "The Checkout Session's total amount due must be no more than "
                f"{format_amount(MAXIMUM_AMOUNT, currency)} {currency}",
                code="amount_too_large",
            )
        expires_at = now + MAX_EXPIRY
        if params.get("expires_at") not in (None, ""):
            expires_at = as_int(params["expires_at"], "expires_at")
            if expires_at < now + MIN_EXPIRY - EXPIRY_SLACK:
                raise invalid(
                    "The `expires_at` timestamp must be at least 30 minutes from "
                    "Checkout Session creation.",
                    param="expires_at",
                )
            if expires_at > now + MAX_EXPIRY:
                raise invalid(
                    "The `expires_at` timestamp must be less than 24 hours from "
                    "Checkout Session creation.",
                    param="expires_at",
                )
        email = as_str(params, "customer_email")
        if email is not None and ("@" not in email or " " in email):
            raise invalid(f"Invalid email address: {email}", param="customer_email")
        reference = as_str(params, "client_reference_id")
        if reference is not None and len(reference) > 200:
            raise invalid(
                "client_reference_id must be at most 200 characters.",
                param="client_reference_id",
            )
        locale = as_str(params, "locale")
        if locale is not None and locale not in CHECKOUT_LOCALES:
            raise invalid(
                f"Invalid locale: {locale}. Must be one of "
                + ", ".join(sorted(CHECKOUT_LOCALES)),
                param="locale",
            )
        for name in ("success_url", "cancel_url"):
            url = as_str(params, name)
            if url is not None and not url.startswith(("http://", "https://")):
                raise invalid("Not a valid URL", param=name)
        intent_data = self._parse_intent_data(ctx, params, total)
        session_id = new_id("cs_test_a1", 58)
        session = checkout_session(
            session_id=session_id,
            created=now,
            expires_at=expires_at,
            url=f"{public_url}/c/pay/{session_id}",
            line_items=line_items,
            currency=currency,
            amount_total=total,
            customer_email=email,
            client_reference_id=reference,
            metadata=as_metadata(params.get("metadata")),
            success_url=as_str(params, "success_url"),
            cancel_url=as_str(params, "cancel_url"),
            locale=locale,
            payment_intent_data=intent_data,
        )
        self.store.put(session, ctx.account)
        return session

    def _parse_intent_data(
        self, ctx: Context, params: dict[str, Any], total: int
    ) -> dict[str, Any]:
        data = params.get("payment_intent_data") or {}
        if not isinstance(data, dict):
            raise invalid("Invalid hash", param="payment_intent_data")
        fee = data.get("application_fee_amount")
        result: dict[str, Any] = {
            "metadata": as_metadata(
                data.get("metadata"), "payment_intent_data[metadata]"
            ),
            "description": data.get("description") or None,
            "application_fee_amount": None,
        }
        if fee not in (None, ""):
            param = "payment_intent_data[application_fee_amount]"
            amount = as_int(fee, param)
            if ctx.account == PLATFORM_ACCOUNT:
                raise invalid(
                    "Can only apply an application_fee_amount when the PaymentIntent "
                    "is attempting a direct payment (using an OAuth key or "
                    "Stripe-Account header) or destination payment (using "
                    "`transfer_data[destination]`).",
                    param=param,
                )
            if not 0 <= amount <= total:
                raise invalid(
                    "The application fee must be between 0 and the total amount.",
                    param=param,
                )
            result["application_fee_amount"] = amount
        if ctx.account != PLATFORM_ACCOUNT:
            acct = self.check_account(ctx.account)
            if not acct["charges_enabled"]:
                raise invalid(
                    f"The account {ctx.account} cannot currently make charges: "
                    "charges_enabled is false.",
                    code="account_invalid",
                )
        return result

    def expire_session(self, ctx: Context, session_id: str) -> dict[str, Any]:
        """Expire an open session (`POST /v1/checkout/sessions/{id}/expire`)."""
        session = self.get(ctx, "checkout.session", session_id)
        if session["status"] != "open":
            raise invalid(
                'Only Checkout Sessions with a status in ["open"] can be expired. '
                f'This Checkout Session has a status of "{session["status"]}".',
                param="session",
            )
        return self.expire(session, ctx.account, ctx=ctx)

    def expire(
        self, session: dict[str, Any], account: str, *, ctx: Context | None
    ) -> dict[str, Any]:
        """Expire a session and emit `checkout.session.expired`."""
        session["status"] = "expired"
        session["url"] = None
        self.store.put(session, account)
        self.emit("checkout.session.expired", session, account=account, ctx=ctx)
        return session

    def find_session(self, session_id: str) -> tuple[str, dict[str, Any]]:
        """Return (account, session) for the hosted page, on any account."""
        return self.find("checkout.session", session_id)

    def list_sessions(self, ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
        """Return `GET /v1/checkout/sessions`."""
        items = self.store.all("checkout.session", ctx.account)
        for name in ("payment_intent", "status"):
            if params.get(name):
                items = [s for s in items if s[name] == params[name]]
        return self.page(ctx, items, params, "/v1/checkout/sessions")

    def line_items(
        self, ctx: Context, session_id: str, params: dict[str, Any]
    ) -> dict[str, Any]:
        """Return `GET /v1/checkout/sessions/{id}/line_items`, a page at a time."""
        session = self.get(ctx, "checkout.session", session_id)
        url = f"/v1/checkout/sessions/{session_id}/line_items"
        return self.page(ctx, session["_line_items"], params, url)

    def sweep(self) -> None:
        """Expire open Checkout Sessions whose `expires_at` has passed."""
        for session_id in self.store.expired_sessions(self.now()):
            owner, session = self.store.find(session_id) or (None, None)
            if owner is not None and session is not None:
                self.expire(session, owner, ctx=None)


def _expire_control(
    sandbox: CheckoutMixin, params: dict[str, Any], id: str
) -> dict[str, Any]:
    account, session = sandbox.find_session(id)
    if session["status"] != "open":
        raise invalid(f"Session {id} is {session['status']}.")
    return public(sandbox.expire(session, account, ctx=None))


API_ROUTES: list[ApiRoute] = [
    (
        "POST",
        r"/v1/checkout/sessions",
        lambda s, c, p: s.render(
            s.create_session(c, p, c.public_url), c.account, p.get("expand")
        ),
    ),
    ("GET", r"/v1/checkout/sessions", lambda s, c, p: s.list_sessions(c, p)),
    ("GET", r"/v1/checkout/sessions/(?P<id>[^/]+)", retrieve("checkout.session")),
    (
        "POST",
        r"/v1/checkout/sessions/(?P<id>[^/]+)/expire",
        lambda s, c, p, id: s.render(
            s.expire_session(c, id), c.account, p.get("expand")
        ),
    ),
    (
        "GET",
        r"/v1/checkout/sessions/(?P<id>[^/]+)/line_items",
        lambda s, c, p, id: s.line_items(c, id, p),
    ),
]
CONTROLS: list[Control] = [
    (r"checkout/sessions/(?P<id>[^/]*)/expire", _expire_control),
]
