"""The one door to Stripe: typed calls in, plain values out, one error family.

This is the only module that imports `stripe`, with gateway_client.py, which
builds the SDK's client. It talks to whatever Stripe the
settings name: the real API in production, the sandbox in development and
tests (`STRIPE_API_BASE`). Nothing here knows which one it is.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any, NoReturn, TypeVar
from urllib.parse import quote

import stripe
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from stripe import oauth_error

from payments.gateway_client import client
from payments.gateway_errors import (
    INVALID_REQUEST_CODES,
    AccountDisconnected,
    CardDeclined,
    GatewayError,
    InvalidRequest,
    SignatureInvalid,
    StripeUnavailable,
)
from payments.gateway_types import (
    AccountInfo,
    AccountLink,
    CheckoutSession,
    ConnectedAccountToken,
    EventPage,
    PaymentDetails,
    RefundResult,
    WebhookEvent,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")
V = TypeVar("V")

CONNECT_BASE = "https://connect.stripe.com"
WEBHOOK_TOLERANCE = 300
_LIST_PAGE = 100  # Stripe's largest page


def _livemode() -> bool:
    return settings.STRIPE_SECRET_KEY.startswith("sk_live_")


def _raise(error: stripe.StripeError, action: str) -> NoReturn:
    """Log Stripe's request id and raise the matching GatewayError."""
    request_id = getattr(error, "request_id", None)
    code = getattr(error, "code", None)
    logger.warning(
        "Stripe %s failed: %s (code=%s, request=%s, status=%s)",
        action,
        error.user_message or type(error).__name__,
        code,
        request_id,
        error.http_status,
    )
    kwargs = {"code": code, "request_id": request_id}
    if isinstance(error, stripe.CardError):
        raise CardDeclined(**kwargs) from error
    if isinstance(error, stripe.PermissionError):
        raise AccountDisconnected(**kwargs) from error
    if isinstance(error, oauth_error.InvalidGrantError):
        raise InvalidRequest(
            _("The Stripe authorization expired or was already used. Connect again."),
            code="invalid_grant",
            request_id=request_id,
        ) from error
    if isinstance(error, oauth_error.OAuthError):
        raise InvalidRequest(**kwargs) from error
    if isinstance(error, stripe.InvalidRequestError):
        message = error.user_message or ""
        if code == "account_invalid" or "No such account" in message:
            raise AccountDisconnected(**kwargs) from error
        raise INVALID_REQUEST_CODES.get(code or "", InvalidRequest)(**kwargs) from error
    if isinstance(error, stripe.AuthenticationError):
        # A wrong or revoked key is the operator's problem; users see an outage.
        logger.error("Stripe rejected the API key (request=%s)", request_id)
        raise StripeUnavailable(**kwargs) from error
    if isinstance(
        error, (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError)
    ):
        raise StripeUnavailable(**kwargs) from error
    raise GatewayError(**kwargs) from error


def _options(account: str | None, idempotency_key: str | None = None) -> Any:
    options: dict[str, str] = {}
    if account:
        options["stripe_account"] = account
    if idempotency_key:
        options["idempotency_key"] = idempotency_key
    return options


def _call(action: str, request: Callable[[], T]) -> T:
    """Run one SDK request; turn a Stripe error into ours (see _raise)."""
    try:
        return request()
    except stripe.StripeError as error:
        _raise(error, action)


def _plain(obj: Any) -> dict[str, Any]:
    """Return an SDK object as plain, recursive dicts and lists."""
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def _values(cls: type[V], obj: dict[str, Any], **computed: Any) -> V:
    """Build `cls` from the same-named keys of `obj`, except the `computed` ones."""
    if "metadata" in obj:
        computed.setdefault("metadata", dict(obj["metadata"] or {}))
    names = [field.name for field in dataclasses.fields(cls)]  # type: ignore[arg-type]
    return cls(
        **{name: obj[name] for name in names if name not in computed}, **computed
    )


def _session(obj: Any) -> CheckoutSession:
    obj = _plain(obj)
    intent = obj["payment_intent"]
    if not (isinstance(intent, str) or intent is None):
        intent = intent["id"]
    return _values(CheckoutSession, obj, payment_intent=intent)


def _refund(obj: Any) -> RefundResult:
    return _values(RefundResult, _plain(obj))


# -- Checkout -------------------------------------------------------------------


def checkout_session_from_event(obj: dict[str, Any]) -> CheckoutSession:
    """Return the Checkout Session a verified webhook event carries."""
    return _session(obj)


def create_checkout_session(
    *,
    account: str,
    amount: int,
    currency: str,
    name: str,
    customer_email: str,
    client_reference_id: str,
    metadata: dict[str, str],
    success_url: str,
    cancel_url: str,
    expires_at: int,
    locale: str,
    idempotency_key: str,
    application_fee_amount: int | None = None,
    items: list[tuple[str, int]] | None = None,
) -> CheckoutSession:
    """Create a Checkout Session (direct charge): `items` (name, amount) or one."""
    intent_data: dict[str, Any] = {"metadata": metadata}
    if application_fee_amount:
        intent_data["application_fee_amount"] = application_fee_amount
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {
                    "currency": currency.lower(),
                    "unit_amount": unit_amount,
                    "product_data": {"name": item_name},
                },
                "quantity": 1,
            }
            for item_name, unit_amount in items or [(name, amount)]
        ],
        "customer_email": customer_email,
        "client_reference_id": client_reference_id,
        "metadata": metadata,
        "success_url": success_url,
        "cancel_url": cancel_url,
        "expires_at": expires_at,
        "locale": locale,
        "payment_intent_data": intent_data,
    }
    # raw_request: the same request, retries and errors, but the answer stays
    # the parsed JSON; building the SDK's nested objects (then turning them
    # back into dicts) cost a paid start more than its own queries.
    return _session(
        _call(
            "checkout session create",
            lambda: (
                client()
                .raw_request(
                    "post",
                    "/v1/checkout/sessions",
                    **params,
                    **_options(account, idempotency_key),
                )
                .data
            ),
        )
    )


def retrieve_checkout_session(*, account: str, session_id: str) -> CheckoutSession:
    """Return a Checkout Session of `account`."""
    return _on_session("retrieve", account=account, session_id=session_id)


def expire_checkout_session(*, account: str, session_id: str) -> CheckoutSession:
    """Expire an open Checkout Session so it can no longer be paid."""
    return _on_session("expire", account=account, session_id=session_id)


def _on_session(verb: str, *, account: str, session_id: str) -> CheckoutSession:
    method = getattr(client().v1.checkout.sessions, verb)
    return _session(
        _call(
            f"checkout session {verb}",
            lambda: method(session_id, None, _options(account)),
        )
    )


# -- payments and refunds -------------------------------------------------------


def retrieve_payment(*, account: str, payment_intent: str) -> PaymentDetails:
    """Return a PaymentIntent with its charge and the Stripe fee kept on it."""
    # raw_request, as for the Checkout create: the parsed JSON, not the SDK's
    # objects (a confirmation spent more on building them than on its queries).
    intent = _call(
        "payment intent retrieve",
        lambda: (
            client()
            .raw_request(
                "get",
                f"/v1/payment_intents/{quote(payment_intent, safe='')}",
                expand=["latest_charge.balance_transaction"],
                **_options(account),
            )
            .data
        ),
    )
    charge = intent["latest_charge"] or {}
    txn = charge.get("balance_transaction")
    fee: dict[str, Any] = {}
    if txn is not None and not isinstance(txn, str):
        fee = _settled_fee(txn)
    return _values(
        PaymentDetails,
        intent,
        charge=charge.get("id"),
        amount_refunded=charge.get("amount_refunded", 0),
        stripe_fee=fee.get("stripe_fee"),
        stripe_fee_currency=fee.get("stripe_fee_currency"),
        exchange_rate=fee.get("exchange_rate"),
    )


def _settled_fee(txn: dict[str, Any]) -> dict[str, Any]:
    """Return Stripe's fee of a charge's balance transaction, in its currency."""
    # On a direct charge the platform's application fee is among the fees;
    # the organizer's "Stripe fee" is Stripe's part: its fee and tax on it.
    rate = txn["exchange_rate"]
    return {
        "stripe_fee": sum(
            detail["amount"]
            for detail in txn["fee_details"]
            if detail["type"] != "application_fee"
        ),
        "stripe_fee_currency": txn["currency"].upper(),
        # Through str: the JSON float's shortest form is Stripe's figure.
        "exchange_rate": Decimal(str(rate)) if rate is not None else None,
    }


def create_refund(
    *,
    account: str,
    payment_intent: str,
    amount: int | None,
    reason: str | None,
    idempotency_key: str,
    metadata: dict[str, str],
    refund_application_fee: bool = False,
) -> RefundResult:
    """Refund all (`amount=None`) or part of a payment."""
    params: dict[str, Any] = {"payment_intent": payment_intent, "metadata": metadata}
    if amount is not None:
        params["amount"] = amount
    if reason:
        params["reason"] = reason
    if refund_application_fee:
        params["refund_application_fee"] = True
    refunds = client().v1.refunds
    return _refund(
        _call(
            "refund create",
            lambda: refunds.create(params, _options(account, idempotency_key)),
        )
    )


def list_refunds_for_payment(
    *, account: str, payment_intent: str
) -> list[RefundResult]:
    """Return every refund of a payment, newest first, including dashboard ones."""
    return _list_refunds(account, {"payment_intent": payment_intent})


def list_refunds(*, account: str | None, charge: str) -> list[RefundResult]:
    """Return every refund of a charge, newest first, reading page after page.

    A Charge no longer carries its refunds (API 2022-11-15 on), so this is how
    a `charge.refunded` event learns what was refunded.
    """
    return _list_refunds(account, {"charge": charge})


def _list_refunds(account: str | None, filters: dict[str, str]) -> list[RefundResult]:
    params = {**filters, "limit": _LIST_PAGE}
    refunds = client().v1.refunds
    return _call(
        "refund list",
        lambda: [
            _refund(obj)
            for obj in refunds.list(params, _options(account)).auto_paging_iter()
        ],
    )


# -- Connect --------------------------------------------------------------------


def oauth_authorize_url(*, state: str, redirect_uri: str) -> str:
    """Return the Stripe page where an admin links an existing Stripe account."""
    base = getattr(settings, "STRIPE_API_BASE", "") or CONNECT_BASE
    stripe_client = client()
    url = stripe_client.oauth.authorize_url(
        {
            "response_type": "code",
            "scope": "read_write",
            "state": state,
            "redirect_uri": redirect_uri,
        }
    )
    # The SDK builds on the client's connect base, which is `base` already.
    assert url.startswith(base), url  # noqa: S101 - a configuration invariant
    return url


def oauth_exchange_code(*, code: str) -> ConnectedAccountToken:
    """Exchange the `code` Stripe sent back for the connected account's id."""
    params = {"grant_type": "authorization_code", "code": code}
    token = _plain(_call("oauth token", lambda: client().oauth.token(params)))
    return ConnectedAccountToken(
        stripe_user_id=token["stripe_user_id"],
        livemode=bool(token["livemode"]),
        scope=token["scope"],
    )


def oauth_deauthorize(*, account: str) -> bool:
    """Unlink `account`; return False if it was not linked (already unlinked)."""
    try:
        client().oauth.deauthorize({"stripe_user_id": account})
    except oauth_error.InvalidClientError as error:
        logger.info(
            "Stripe account %s was not connected (request=%s)",
            account,
            error.request_id,
        )
        return False
    except stripe.StripeError as error:
        _raise(error, "oauth deauthorize")
    return True


def retrieve_account(*, account: str) -> AccountInfo:
    """Return the connected account's state (charges enabled, names)."""
    accounts = client().v1.accounts
    obj = _plain(_call("account retrieve", lambda: accounts.retrieve(account)))
    return AccountInfo.from_stripe(obj, livemode=_livemode())


def create_account(
    *, email: str | None, country: str | None, idempotency_key: str
) -> AccountInfo:
    """Create a Standard account for the organizer to onboard (Connect Onboarding)."""
    params: dict[str, Any] = {"type": "standard"}
    if email:
        params["email"] = email
    if country:
        params["country"] = country
    accounts = client().v1.accounts
    obj = _plain(
        _call(
            "account create",
            lambda: accounts.create(params, _options(None, idempotency_key)),
        )
    )
    return AccountInfo.from_stripe(obj, livemode=_livemode())


def create_account_link(
    *, account: str, refresh_url: str, return_url: str
) -> AccountLink:
    """Return a single-use link to Stripe's onboarding for `account`."""
    params = {
        "account": account,
        "type": "account_onboarding",
        "refresh_url": refresh_url,
        "return_url": return_url,
    }
    links = client().v1.account_links
    obj = _plain(_call("account link", lambda: links.create(params)))
    return AccountLink(url=obj["url"], expires_at=int(obj["expires_at"]))


# -- webhooks -------------------------------------------------------------------


def parse_webhook(
    *, payload: bytes, sig_header: str, secrets: list[str]
) -> tuple[WebhookEvent, dict[str, Any]]:
    """Verify the signature against any of `secrets`; return the event and its body.

    The body is the parsed JSON, as StripeEvent stores it: parsed once.
    """
    text = payload.decode("utf-8", errors="replace")
    for secret in filter(None, secrets):
        try:
            stripe.WebhookSignature.verify_header(
                text, sig_header, secret, WEBHOOK_TOLERANCE
            )
        except stripe.SignatureVerificationError:
            continue
        break
    else:
        raise SignatureInvalid()
    if _signed_at(sig_header) > time.time() + WEBHOOK_TOLERANCE:
        # Stripe's check bounds only the past: a signature stamped in the future
        # would otherwise stay replayable until that day plus the tolerance.
        raise SignatureInvalid(_("Webhook timestamp is in the future."))
    try:
        body = json.loads(text)
        return WebhookEvent.from_payload(body), body
    except (ValueError, KeyError, TypeError) as error:
        raise SignatureInvalid(_("Invalid webhook payload.")) from error


def _signed_at(sig_header: str) -> int:
    """Return the `t=` timestamp of a verified Stripe-Signature header."""
    for part in sig_header.split(","):
        key, _sep, value = part.strip().partition("=")
        if key == "t":
            return int(value)
    raise SignatureInvalid()


def list_events(
    *,
    account: str | None,
    created_after: int,
    types: list[str],
    starting_after: str | None = None,
) -> EventPage:
    """Return events after `created_after`, newest first (`account=None`: platform)."""
    params = {"created": {"gt": created_after}, "types": types, "limit": 100}
    if starting_after:
        params["starting_after"] = starting_after
    page = _call(
        "event list", lambda: client().v1.events.list(params, _options(account))
    )
    payloads = [_plain(obj) for obj in page.data]
    events = [WebhookEvent.from_payload(data) for data in payloads]
    return EventPage(events=events, payloads=payloads, has_more=bool(page.has_more))
