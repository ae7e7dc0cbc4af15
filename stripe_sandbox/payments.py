"""PaymentIntents and charges: paying a Checkout Session with a test card.

A card either pays at once, pays later ("async": the payment is processing
until a control settles it), or is declined on the page.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from .balance import BalanceMixin
from .checkout import CheckoutMixin
from .core import ApiRoute, Control, retrieve
from .errors import invalid, missing
from .objects import address, new_id, public


@dataclass(frozen=True)
class Card:
    """What a test card number does on the hosted checkout page."""

    outcome: str  # "paid", "async" or "declined"
    brand: str = "visa"
    decline_code: str | None = None
    message: str | None = None


CARDS = {
    "4242424242424242": Card("paid"),
    "5555555555554444": Card("paid", brand="mastercard"),
    "378282246310005": Card("paid", brand="amex"),
    "6011111111111117": Card("paid", brand="discover"),
    "4000000000000077": Card("async"),
    "4000000000000002": Card(
        "declined", decline_code="generic_decline", message="Your card was declined."
    ),
    "4000000000009995": Card(
        "declined",
        decline_code="insufficient_funds",
        message="Your card has insufficient funds.",
    ),
    "4000000000000069": Card(
        "declined", decline_code="expired_card", message="Your card has expired."
    ),
}
PAY_CARD = "4242424242424242"
DECLINE_CARD = "4000000000000002"
ASYNC_CARD = "4000000000000077"


def _fingerprint(card_number: str) -> str:
    return hashlib.sha256(card_number.encode()).hexdigest()[:16]


def payment_intent_object(
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


def charge_object(
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
            "address": address(),
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


class PaymentsMixin(CheckoutMixin, BalanceMixin):
    """Pay Checkout Sessions and settle payments that are processing."""

    def pay(self, session_id: str, card_number: str) -> tuple[str, dict[str, Any]]:
        """Pay an open session with a test card; return (outcome, session).

        The outcome is "paid", "async", or a decline message for the page.
        """
        account, session = self.find_session(session_id)
        if session["status"] != "open":
            raise invalid(f"This Checkout Session is {session['status']}.")
        number = "".join(card_number.split())
        if not number:
            return "Your card number is incomplete.", session
        card = CARDS.get(number)
        if card is None:
            return "Your card number is incorrect.", session
        if card.outcome == "declined":
            return card.message or "Your card was declined.", session
        intent_data = session["_payment_intent_data"]
        intent_id = new_id("pi_3")
        charge_id = new_id("ch_3")
        email = session["customer_email"]
        shared = {
            "created": self.now(),
            "amount": session["amount_total"],
            "currency": session["currency"],
            "description": intent_data["description"],
            "application_fee_amount": intent_data["application_fee_amount"],
            "payment_method": new_id("pm_1"),
        }
        charge = charge_object(
            charge_id=charge_id,
            status="succeeded" if card.outcome == "paid" else "pending",
            payment_intent_id=intent_id,
            metadata=dict(intent_data["metadata"]),
            email=email,
            balance_transaction=None,
            card={
                "brand": card.brand,
                "last4": number[-4:],
                "fingerprint": _fingerprint(number),
            },
            account_name=self.display_name(account),
            **shared,
        )
        intent = payment_intent_object(
            intent_id=intent_id,
            status="succeeded" if card.outcome == "paid" else "processing",
            metadata=dict(intent_data["metadata"]),
            receipt_email=email,
            latest_charge=charge_id,
            **shared,
        )
        if card.outcome == "paid":
            self.settle_charge(charge, account)
        self.store.put(charge, account)
        self.store.put(intent, account)
        session.update(
            status="complete",
            payment_status="paid" if card.outcome == "paid" else "unpaid",
            payment_intent=intent_id,
            url=None,
            customer_details={
                "address": None,
                "business_name": None,
                "email": email or "customer@example.com",
                "individual_name": None,
                "name": "Sandbox Customer",
                "phone": None,
                "tax_exempt": "none",
                "tax_ids": [],
            },
            collected_information={
                "business_name": None,
                "individual_name": None,
                "shipping_details": None,
            },
        )
        self.store.put(session, account)
        if card.outcome == "paid":
            self.emit("charge.succeeded", charge, account=account)
            self.emit("payment_intent.succeeded", intent, account=account)
        else:
            self.emit("charge.pending", charge, account=account)
            self.emit("payment_intent.processing", intent, account=account)
        self.emit("checkout.session.completed", session, account=account)
        return card.outcome, session

    def settle_payment(self, intent_id: str, outcome: str) -> dict[str, Any]:
        """Finish a processing (async) payment as succeeded or failed."""
        account, intent = self.find("payment_intent", intent_id)
        if intent["status"] != "processing":
            raise invalid(
                f"PaymentIntent {intent_id} is {intent['status']}, not processing."
            )
        charge = self.store.get(intent["latest_charge"], account)
        sessions = [
            s
            for s in self.store.all("checkout.session", account)
            if s["payment_intent"] == intent_id
        ]
        if charge is None:
            raise missing("charge", intent["latest_charge"])
        if outcome == "succeeded":
            self.settle_charge(charge, account)
            intent.update(status="succeeded", amount_received=intent["amount"])
            self.store.put(charge, account)
            self.store.put(intent, account)
            self.emit("charge.succeeded", charge, account=account)
            self.emit("payment_intent.succeeded", intent, account=account)
            for session in sessions:
                session["payment_status"] = "paid"
                self.store.put(session, account)
                self.emit(
                    "checkout.session.async_payment_succeeded",
                    session,
                    account=account,
                    previous={"payment_status": "unpaid"},
                )
        elif outcome == "failed":
            charge.update(
                status="failed",
                failure_code="insufficient_funds",
                failure_message="The payment could not be completed.",
            )
            charge["outcome"].update(
                network_status="declined_by_network",
                reason="insufficient_funds",
                seller_message="The bank returned the payment.",
                type="issuer_declined",
            )
            intent.update(
                status="requires_payment_method",
                last_payment_error={
                    "charge": charge["id"],
                    "code": "card_declined",
                    "decline_code": "insufficient_funds",
                    "message": "The payment could not be completed.",
                    "type": "card_error",
                },
            )
            self.store.put(charge, account)
            self.store.put(intent, account)
            self.emit("charge.failed", charge, account=account)
            self.emit("payment_intent.payment_failed", intent, account=account)
            for session in sessions:
                self.emit(
                    "checkout.session.async_payment_failed", session, account=account
                )
        else:
            raise invalid("outcome must be succeeded or failed", param="outcome")
        return intent


API_ROUTES: list[ApiRoute] = [
    ("GET", r"/v1/payment_intents/(?P<id>[^/]+)", retrieve("payment_intent")),
    ("GET", r"/v1/charges/(?P<id>[^/]+)", retrieve("charge")),
]
CONTROLS: list[Control] = [
    (
        r"payment_intents/(?P<id>[^/]*)/settle",
        lambda s, p, id: public(s.settle_payment(id, str(p.get("outcome")))),
    ),
]
