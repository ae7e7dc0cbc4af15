"""Balance transactions: what a succeeded charge or refund does to the balance."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .core import ApiRoute, SandboxCore, retrieve
from .objects import PLATFORM_ACCOUNT, PLATFORM_NAME, new_id

# Fixed rates, in US dollars per unit: an account that settles in one currency
# converts charges in another at their ratio (Stripe uses the day's rate).
USD_VALUE = {
    "usd": Decimal("1"),
    "eur": Decimal("1.08"),
    "gbp": Decimal("1.27"),
    "chf": Decimal("1.12"),
    "cad": Decimal("0.73"),
    "aud": Decimal("0.66"),
    "dkk": Decimal("0.145"),
    "nok": Decimal("0.093"),
    "sek": Decimal("0.095"),
    "mxn": Decimal("0.058"),
}
# Tax Stripe adds on its fees by the account's country (GST, in percent).
FEE_TAX_PERCENT = {"AU": 10}


def stripe_fee(amount: int) -> int:
    """Return the sandbox's card fee: 2.9% + 30 minor units, rounded half up."""
    return (amount * 29 + 500) // 1000 + 30


def exchange_rate(source: str, target: str) -> Decimal:
    """Return how many units of `target` one unit of `source` buys."""
    return (USD_VALUE[source] / USD_VALUE[target]).quantize(Decimal("0.000001"))


def convert(amount: int, rate: Decimal) -> int:
    """Return `amount` times `rate`, rounded half up to a minor unit."""
    return int((amount * rate).to_integral_value(rounding=ROUND_HALF_UP))


def balance_transaction(
    *,
    created: int,
    amount: int,
    currency: str,
    source: str,
    kind: str,
    description: str | None,
    fee_details: list[dict[str, Any]],
    rate: Decimal | None = None,
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
        "exchange_rate": float(rate) if rate is not None else None,
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

    def settlement(self, account: str, currency: str) -> tuple[str, Decimal | None]:
        """Return the currency a charge in `currency` settles in, and the rate.

        An account created with `settlement_currency` converts charges in any
        other currency to it; other accounts settle each in its own currency.
        """
        acct = self.store.get(account, PLATFORM_ACCOUNT) or {}
        target = acct.get("_settlement_currency")
        if not target or target == currency:
            return currency, None
        return target, exchange_rate(currency, target)

    def settle_charge(self, charge: dict[str, Any], account: str) -> None:
        """Mark a charge succeeded and record its balance transaction with fees."""
        amount = charge["amount"]
        currency, rate = self.settlement(account, charge["currency"])
        settled = convert(amount, rate) if rate is not None else amount
        fee = stripe_fee(settled)
        details = [fee_detail(fee, currency, "stripe_fee", "Stripe processing fees")]
        acct = self.store.get(account, PLATFORM_ACCOUNT) or {}
        tax_percent = FEE_TAX_PERCENT.get(acct.get("country") or "")
        if tax_percent:
            tax = convert(fee, Decimal(tax_percent) / 100)
            details.append(fee_detail(tax, currency, "tax", "GST on Stripe fees"))
        if charge["application_fee_amount"]:
            application_fee = charge["application_fee_amount"]
            details.append(
                fee_detail(
                    convert(application_fee, rate) if rate else application_fee,
                    currency,
                    "application_fee",
                    f"{PLATFORM_NAME} application fee",
                )
            )
        txn_id = self._record(
            account,
            amount=settled,
            currency=currency,
            source=charge["id"],
            kind="charge",
            description=charge["description"],
            fee_details=details,
            rate=rate,
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
        currency, rate = self.settlement(account, refund["currency"])
        amount = refund["amount"]
        refund["balance_transaction"] = self._record(
            account,
            amount=-(convert(amount, rate) if rate is not None else amount),
            currency=currency,
            source=refund["id"],
            kind="refund",
            description="REFUND FOR CHARGE",
            fee_details=[],
            rate=rate,
        )


API_ROUTES: list[ApiRoute] = [
    (
        "GET",
        r"/v1/balance_transactions/(?P<id>[^/]+)",
        retrieve("balance_transaction"),
    ),
]
