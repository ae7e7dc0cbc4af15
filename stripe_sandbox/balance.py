"""Balance transactions: what a succeeded charge or refund does to the balance."""

from __future__ import annotations

from typing import Any

from .core import ApiRoute, SandboxCore, retrieve
from .objects import PLATFORM_NAME, new_id


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


class BalanceMixin(SandboxCore):
    """Record the balance transactions of charges and refunds."""

    def _record(self, account: str, **fields: Any) -> str:
        txn = balance_transaction(created=self.now(), **fields)
        self.store.put(txn, account)
        return txn["id"]

    def settle_charge(self, charge: dict[str, Any], account: str) -> None:
        """Mark a charge succeeded and record its balance transaction with fees."""
        amount = charge["amount"]
        currency = charge["currency"]
        details = [
            fee_detail(
                stripe_fee(amount), currency, "stripe_fee", "Stripe processing fees"
            )
        ]
        if charge["application_fee_amount"]:
            details.append(
                fee_detail(
                    charge["application_fee_amount"],
                    currency,
                    "application_fee",
                    f"{PLATFORM_NAME} application fee",
                )
            )
        txn_id = self._record(
            account,
            amount=amount,
            currency=currency,
            source=charge["id"],
            kind="charge",
            description=charge["description"],
            fee_details=details,
        )
        charge.update(
            status="succeeded",
            paid=True,
            captured=True,
            amount_captured=amount,
            balance_transaction=txn_id,
        )

    def refund_balance(self, refund: dict[str, Any], account: str) -> None:
        """Record the balance transaction of a succeeded refund."""
        refund["balance_transaction"] = self._record(
            account,
            amount=-refund["amount"],
            currency=refund["currency"],
            source=refund["id"],
            kind="refund",
            description="REFUND FOR CHARGE",
            fee_details=[],
        )


API_ROUTES: list[ApiRoute] = [
    (
        "GET",
        r"/v1/balance_transactions/(?P<id>[^/]+)",
        retrieve("balance_transaction"),
    ),
]
