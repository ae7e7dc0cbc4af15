"""Build Stripe-shaped objects carrying exactly the keys of Stripe's fixtures.

Keys starting with `_` are the sandbox's own bookkeeping; `public()` strips
them before anything leaves the sandbox.
"""

from __future__ import annotations

import copy
import secrets
import string
from typing import Any

API_VERSION = "2026-10-28.endive"
PLATFORM_ACCOUNT = "acct_1TesseraPlatform"
PLATFORM_NAME = "Tessera (sandbox platform)"
DEMO_ACCOUNT = "acct_1TesseraDemo0001"
DEMO_BUSINESS_NAME = "Demo Webinars Ltd"

# Stripe's minimum charge per currency, in minor units; all ten are two-decimal.
MINIMUM_AMOUNTS = {
    "usd": 50,
    "aud": 50,
    "cad": 50,
    "chf": 50,
    "dkk": 250,
    "eur": 50,
    "gbp": 30,
    "mxn": 1000,
    "nok": 300,
    "sek": 300,
}
MAXIMUM_AMOUNT = 99_999_999

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 24) -> str:
    """Return a random Stripe-looking id such as `pi_3Q...`."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def public(obj: Any) -> Any:
    """Return a deep copy without the sandbox's `_` bookkeeping keys."""
    if isinstance(obj, dict):
        return {k: public(v) for k, v in obj.items() if not k.startswith("_")}
    if isinstance(obj, list):
        return [public(v) for v in obj]
    return copy.deepcopy(obj)


def format_amount(amount: int, currency: str) -> str:
    """Format minor units for the hosted pages, e.g. `$50.00` or `CHF 50.00`."""
    symbols = {"usd": "$", "aud": "A$", "cad": "CA$", "eur": "€", "gbp": "£"}
    symbols["mxn"] = "MX$"
    major = f"{amount / 100:,.2f}"
    symbol = symbols.get(currency)
    return f"{symbol}{major}" if symbol else f"{currency.upper()} {major}"


def _address() -> dict[str, Any]:
    return dict.fromkeys(("city", "country", "line1", "line2", "postal_code", "state"))


def _list(url: str, data: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"object": "list", "data": data or [], "has_more": False, "url": url}


def account(
    *,
    account_id: str,
    created: int,
    business_name: str,
    email: str | None,
    country: str = "US",
    default_currency: str = "usd",
    charges_enabled: bool = True,
    details_submitted: bool = True,
) -> dict[str, Any]:
    """Return a Standard connected account."""
    due = [] if charges_enabled else ["external_account", "tos_acceptance.date"]
    requirements = {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": list(due),
        "disabled_reason": None if charges_enabled else "requirements.past_due",
        "errors": [],
        "eventually_due": list(due),
        "past_due": list(due),
        "pending_verification": [],
    }
    capability = "active" if charges_enabled else "inactive"
    return {
        "business_profile": {
            "annual_revenue": None,
            "estimated_worker_count": None,
            "mcc": None,
            "name": business_name,
            "product_description": None,
            "support_address": None,
            "support_email": email,
            "support_phone": None,
            "support_url": None,
            "url": None,
            "minority_owned_business_designation": None,
        },
        "business_type": "company",
        "capabilities": {"card_payments": capability, "transfers": capability},
        "charges_enabled": charges_enabled,
        "controller": {"type": "account"},
        "country": country,
        "created": created,
        "default_currency": default_currency,
        "details_submitted": details_submitted,
        "email": email,
        "external_accounts": _list(f"/v1/accounts/{account_id}/external_accounts"),
        "future_requirements": {**requirements, "currently_due": [], "past_due": []},
        "id": account_id,
        "metadata": {},
        "object": "account",
        "payouts_enabled": charges_enabled,
        "requirements": requirements,
        "settings": {
            "bacs_debit_payments": {"display_name": None, "service_user_number": None},
            "branding": {
                "icon": None,
                "logo": None,
                "primary_color": None,
                "secondary_color": None,
            },
            "card_issuing": {"tos_acceptance": {"date": None, "ip": None}},
            "card_payments": {
                "decline_on": {"avs_failure": False, "cvc_failure": False},
                "statement_descriptor_prefix": None,
                "statement_descriptor_prefix_kana": None,
                "statement_descriptor_prefix_kanji": None,
            },
            "dashboard": {"display_name": business_name, "timezone": "Etc/UTC"},
            "invoices": {
                "default_account_tax_ids": None,
                "hosted_payment_method_save": "offer",
            },
            "payments": {
                "statement_descriptor": business_name.upper()[:22],
                "statement_descriptor_kana": None,
                "statement_descriptor_kanji": None,
                "statement_descriptor_prefix_kana": None,
                "statement_descriptor_prefix_kanji": None,
            },
            "payouts": {
                "debit_negative_balances": True,
                "schedule": {"delay_days": 2, "interval": "daily"},
                "statement_descriptor": None,
            },
            "sepa_debit_payments": {},
        },
        "tos_acceptance": {"date": created, "ip": "127.0.0.1", "user_agent": None},
        "type": "standard",
        # The platform's OAuth link to this account.
        "_connected": True,
    }


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
        "automatic_tax": {"enabled": False, "liability": None, "status": None},
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
        "ui_mode": "hosted",
        "url": url,
        "wallet_options": None,
        "_line_items": line_items,
        "_payment_intent_data": payment_intent_data,
    }


def line_item(
    *, name: str, currency: str, unit_amount: int, quantity: int, created: int
) -> dict[str, Any]:
    """Return a Checkout line item (`item`) built from inline `price_data`."""
    price_id = new_id("price_1")
    total = unit_amount * quantity
    return {
        "adjustable_quantity": None,
        "amount_discount": 0,
        "amount_subtotal": total,
        "amount_tax": 0,
        "amount_total": total,
        "currency": currency,
        "description": name,
        "id": new_id("li_1"),
        "metadata": {},
        "object": "item",
        "price": {
            "active": False,
            "billing_scheme": "per_unit",
            "created": created,
            "currency": currency,
            "custom_unit_amount": None,
            "id": price_id,
            "livemode": False,
            "lookup_key": None,
            "metadata": {},
            "nickname": None,
            "object": "price",
            "product": new_id("prod_", 14),
            "recurring": None,
            "tax_behavior": "unspecified",
            "tiers_mode": None,
            "transform_quantity": None,
            "type": "one_time",
            "unit_amount": unit_amount,
            "unit_amount_decimal": str(unit_amount),
        },
        "quantity": quantity,
    }


def payment_intent(
    *,
    intent_id: str,
    created: int,
    amount: int,
    currency: str,
    status: str,
    metadata: dict[str, str],
    description: str | None,
    receipt_email: str | None,
    application_fee_amount: int | None,
    payment_method: str,
    latest_charge: str | None,
) -> dict[str, Any]:
    """Return a PaymentIntent created by a Checkout payment."""
    return {
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": amount if status == "succeeded" else 0,
        "application": None,
        "application_fee_amount": application_fee_amount,
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic_async",
        "client_secret": f"{intent_id}_secret_{new_id('', 25)}",
        "confirmation_method": "automatic",
        "created": created,
        "currency": currency,
        "customer": None,
        "customer_account": None,
        "description": description,
        "excluded_payment_method_types": None,
        "id": intent_id,
        "last_payment_error": None,
        "latest_charge": latest_charge,
        "livemode": False,
        "managed_payments": {"enabled": False},
        "metadata": metadata,
        "next_action": None,
        "object": "payment_intent",
        "on_behalf_of": None,
        "payment_method": payment_method,
        "payment_method_configuration_details": None,
        "payment_method_options": {
            "card": {
                "installments": None,
                "mandate_options": None,
                "network": None,
                "request_three_d_secure": "automatic",
            }
        },
        "payment_method_types": ["card"],
        "processing": None,
        "receipt_email": receipt_email,
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "source": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": status,
        "transfer_data": None,
        "transfer_group": None,
    }


def charge(
    *,
    charge_id: str,
    created: int,
    amount: int,
    currency: str,
    status: str,
    payment_intent_id: str,
    payment_method: str,
    metadata: dict[str, str],
    description: str | None,
    email: str | None,
    application_fee_amount: int | None,
    balance_transaction: str | None,
    card: dict[str, Any],
    account_name: str,
) -> dict[str, Any]:
    """Return the card charge of a PaymentIntent."""
    paid = status == "succeeded"
    return {
        "amount": amount,
        "amount_captured": amount if paid else 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": new_id("fee_1") if application_fee_amount else None,
        "application_fee_amount": application_fee_amount,
        "balance_transaction": balance_transaction,
        "billing_details": {
            "address": _address(),
            "email": email,
            "name": None,
            "phone": None,
            "tax_id": None,
        },
        "calculated_statement_descriptor": account_name.upper()[:22],
        "captured": paid,
        "created": created,
        "currency": currency,
        "customer": None,
        "description": description,
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "fraud_details": {},
        "id": charge_id,
        "livemode": False,
        "metadata": metadata,
        "object": "charge",
        "on_behalf_of": None,
        "outcome": {
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "seller_message": "Payment complete.",
            "type": "authorized",
        },
        "paid": paid,
        "payment_intent": payment_intent_id,
        "payment_method": payment_method,
        "payment_method_details": {
            "card": {
                "amount_authorized": amount,
                "authorization_code": None,
                "brand": card["brand"],
                "checks": {
                    "address_line1_check": None,
                    "address_postal_code_check": None,
                    "cvc_check": "pass",
                },
                "country": "US",
                "exp_month": 12,
                "exp_year": 2034,
                "extended_authorization": {"status": "disabled"},
                "fingerprint": card["fingerprint"],
                "funding": "credit",
                "incremental_authorization": {"status": "unavailable"},
                "installments": None,
                "last4": card["last4"],
                "mandate": None,
                "multicapture": {"status": "unavailable"},
                "network": card["brand"],
                "network_token": {"used": False},
                "network_transaction_id": None,
                "overcapture": {
                    "maximum_amount_capturable": amount,
                    "status": "unavailable",
                },
                "regulated_status": "unregulated",
                "three_d_secure": None,
                "transaction_link_id": None,
                "wallet": None,
            },
            "type": "card",
        },
        "receipt_email": email,
        "receipt_number": None,
        "receipt_url": None,
        "refunded": False,
        "refunds": _list(f"/v1/charges/{charge_id}/refunds"),
        "review": None,
        "shipping": None,
        "source": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": status,
        "transfer_data": None,
        "transfer_group": None,
    }


def stripe_fee(amount: int) -> int:
    """Return the sandbox's card fee: 2.9% + 30 minor units, rounded half up."""
    return (amount * 29 + 500) // 1000 + 30


def balance_transaction(
    *,
    created: int,
    amount: int,
    currency: str,
    source: str,
    kind: str,
    description: str | None,
    fee_details: list[dict[str, Any]],
) -> dict[str, Any]:
    """Return a balance transaction of a charge or a refund."""
    fee = sum(detail["amount"] for detail in fee_details)
    return {
        "amount": amount,
        "available_on": created + 2 * 86400,
        "balance_type": "payments",
        "created": created,
        "currency": currency,
        "description": description,
        "exchange_rate": None,
        "fee": fee,
        "fee_details": fee_details,
        "id": new_id("txn_3"),
        "net": amount - fee,
        "object": "balance_transaction",
        "reporting_category": kind,
        "source": source,
        "status": "pending",
        "type": kind,
    }


def fee_detail(amount: int, currency: str, kind: str, description: str) -> dict:
    """Return one entry of a balance transaction's `fee_details`."""
    return {
        "amount": amount,
        "application": None,
        "currency": currency,
        "description": description,
        "type": kind,
    }


def refund(
    *,
    refund_id: str,
    created: int,
    amount: int,
    currency: str,
    charge_id: str,
    payment_intent_id: str | None,
    reason: str | None,
    metadata: dict[str, str],
    status: str,
    balance_transaction: str | None,
) -> dict[str, Any]:
    """Return a card refund."""
    return {
        "amount": amount,
        "balance_transaction": balance_transaction,
        "charge": charge_id,
        "created": created,
        "currency": currency,
        "customer": None,
        "customer_account": None,
        "destination_details": {
            "card": {
                "reference_status": "pending",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
            "type": "card",
        },
        "id": refund_id,
        "metadata": metadata,
        "object": "refund",
        "payment_intent": payment_intent_id,
        "payment_method": None,
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": status,
        "transfer_reversal": None,
    }


def dispute(
    *,
    created: int,
    charge_obj: dict[str, Any],
    reason: str,
) -> dict[str, Any]:
    """Return a newly opened dispute on a charge."""
    evidence_keys = [
        "access_activity_log",
        "billing_address",
        "cancellation_policy",
        "cancellation_policy_disclosure",
        "cancellation_rebuttal",
        "customer_communication",
        "customer_email_address",
        "customer_name",
        "customer_purchase_ip",
        "customer_signature",
        "duplicate_charge_documentation",
        "duplicate_charge_explanation",
        "duplicate_charge_id",
        "product_description",
        "receipt",
        "refund_policy",
        "refund_policy_disclosure",
        "refund_refusal_explanation",
        "service_date",
        "service_documentation",
        "shipping_address",
        "shipping_carrier",
        "shipping_date",
        "shipping_documentation",
        "shipping_tracking_number",
        "uncategorized_file",
        "uncategorized_text",
    ]
    card = charge_obj["payment_method_details"]["card"]
    return {
        "amount": charge_obj["amount"],
        "balance_transactions": [],
        "charge": charge_obj["id"],
        "created": created,
        "currency": charge_obj["currency"],
        "enhanced_eligibility_types": [],
        "evidence": {**dict.fromkeys(evidence_keys), "enhanced_evidence": {}},
        "evidence_details": {
            "due_by": created + 7 * 86400,
            "enhanced_eligibility": {},
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        "id": new_id("dp_1"),
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "object": "dispute",
        "payment_intent": charge_obj["payment_intent"],
        "payment_method_details": {
            "card": {
                "brand": card["brand"],
                "case_type": "chargeback",
                "network_reason_code": "10.4",
            },
            "type": "card",
        },
        "reason": reason,
        "status": "needs_response",
    }


def webhook_endpoint(
    *,
    created: int,
    url: str,
    enabled_events: list[str],
    description: str | None,
    metadata: dict[str, str],
    secret: str,
    connect: bool,
) -> dict[str, Any]:
    """Return a webhook endpoint; the secret is kept for signing deliveries."""
    return {
        "api_version": None,
        "application": None,
        "created": created,
        "description": description,
        "enabled_events": enabled_events,
        "id": new_id("we_1"),
        "livemode": False,
        "metadata": metadata,
        "object": "webhook_endpoint",
        "status": "enabled",
        "url": url,
        "_secret": secret,
        "_connect": connect,
    }


def event(
    *,
    event_type: str,
    created: int,
    obj: dict[str, Any],
    account: str | None,
    previous_attributes: dict[str, Any] | None,
    request_id: str | None,
    idempotency_key: str | None,
    pending_webhooks: int,
) -> dict[str, Any]:
    """Return an event; Connect events carry `account`, as Stripe's do."""
    data: dict[str, Any] = {"object": public(obj)}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    result: dict[str, Any] = {
        "api_version": API_VERSION,
        "created": created,
        "data": data,
        "id": new_id("evt_3"),
        "livemode": False,
        "object": "event",
        "pending_webhooks": pending_webhooks,
        "request": {"id": request_id, "idempotency_key": idempotency_key},
        "type": event_type,
    }
    if account is not None:
        result["account"] = account
    return result
