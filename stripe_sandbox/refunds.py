"""Refunds: through the API, from the dashboard, and their settlement.

With `Options.refunds_pending` a refund stays pending until a control settles
it as succeeded or failed, as card refunds sometimes do on Stripe.
"""

from __future__ import annotations

from typing import Any

from .balance import BalanceMixin
from .core import ApiRoute, Context, Control, retrieve
from .errors import invalid, missing
from .events import EventsMixin
from .objects import format_amount, new_id, public
from .params import as_bool, as_int, as_metadata, as_str

REFUND_REASONS = frozenset({"duplicate", "fraudulent", "requested_by_customer"})


def refund_object(
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


class RefundsMixin(EventsMixin, BalanceMixin):
    """Refund succeeded charges, in full or in part."""

    def create_refund(
        self,
        ctx: Context,
        params: dict[str, Any],
        *,
        by_api: bool = True,
    ) -> dict[str, Any]:
        """Refund all or part of a charge; refuse more than remains."""
        intent_id = as_str(params, "payment_intent")
        charge_id = as_str(params, "charge")
        if intent_id:
            intent = self.get(ctx, "payment_intent", intent_id)
            if intent["status"] != "succeeded" or not intent["latest_charge"]:
                raise invalid(
                    f"This PaymentIntent ({intent_id}) does not have a successful "
                    "charge to refund.",
                    param="payment_intent",
                    code="payment_intent_unexpected_state",
                )
            if charge_id and charge_id != intent["latest_charge"]:
                raise invalid(
                    "The charge does not belong to this PaymentIntent.", param="charge"
                )
            charge_id = intent["latest_charge"]
        if not charge_id:
            raise invalid(
                "One of the following params should be provided for this request: "
                "payment_intent or charge.",
                code="parameter_missing",
            )
        charge = self.get(ctx, "charge", charge_id)
        if charge["status"] != "succeeded":
            raise invalid(
                f"Charge {charge_id} has not succeeded and cannot be refunded.",
                param="charge",
                code="charge_not_refundable",
            )
        if charge["disputed"]:
            raise invalid(
                f"Charge {charge_id} has been charged back; cannot issue a refund.",
                code="charge_disputed",
            )
        remaining = charge["amount"] - charge["amount_refunded"]
        if remaining <= 0:
            raise invalid(
                f"Charge {charge_id} has already been refunded.",
                code="charge_already_refunded",
            )
        amount = remaining
        if params.get("amount") not in (None, ""):
            amount = as_int(params["amount"], "amount")
            if amount <= 0:
                raise invalid(
                    "Invalid positive integer",
                    param="amount",
                    code="parameter_invalid_integer",
                )
            if amount > remaining:
                currency = charge["currency"]
                raise invalid(
                    f"Refund amount ({format_amount(amount, currency)}) is "
                    "greater than unrefunded amount on charge "
                    f"({format_amount(remaining, currency)})",
                    param="amount",
                    code="amount_too_large",
                )
        reason = as_str(params, "reason")
        if reason is not None and reason not in REFUND_REASONS:
            raise invalid(
                "Invalid reason: must be one of duplicate, fraudulent, or "
                "requested_by_customer",
                param="reason",
            )
        if params.get("refund_application_fee") not in (None, ""):
            as_bool(params["refund_application_fee"], "refund_application_fee")
        pending = self.options.refunds_pending
        refund = refund_object(
            refund_id=new_id("re_3"),
            created=self.now(),
            amount=amount,
            currency=charge["currency"],
            charge_id=charge_id,
            payment_intent_id=charge["payment_intent"],
            reason=reason,
            metadata=as_metadata(params.get("metadata")),
            status="pending" if pending else "succeeded",
            balance_transaction=None,
        )
        refund["_by_api"] = by_api
        if not pending:
            self.refund_balance(refund, ctx.account)
        previous = {
            "amount_refunded": charge["amount_refunded"],
            "refunded": charge["refunded"],
        }
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        self.store.put(refund, ctx.account)
        self.store.put(charge, ctx.account)
        event_ctx = ctx if by_api else None
        self.emit(
            "charge.refunded",
            charge,
            account=ctx.account,
            previous=previous,
            ctx=event_ctx,
        )
        self.emit("refund.created", refund, account=ctx.account, ctx=event_ctx)
        return refund

    def settle_refund(self, refund_id: str, outcome: str) -> dict[str, Any]:
        """Move a pending refund to succeeded or failed, emitting Stripe's events."""
        account, refund = self.find("refund", refund_id)
        if refund["status"] != "pending":
            raise invalid(f"Refund {refund_id} is {refund['status']}, not pending.")
        previous = {"status": "pending"}
        if outcome == "succeeded":
            refund["status"] = "succeeded"
            self.refund_balance(refund, account)
            self.store.put(refund, account)
            self.emit("refund.updated", refund, account=account, previous=previous)
        elif outcome == "failed":
            refund["status"] = "failed"
            self.store.put(refund, account)
            charge = self.store.get(refund["charge"], account)
            if charge is not None:
                charge["amount_refunded"] -= refund["amount"]
                charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
                self.store.put(charge, account)
            self.emit("refund.updated", refund, account=account, previous=previous)
            self.emit("refund.failed", refund, account=account, previous=previous)
        else:
            raise invalid("outcome must be succeeded or failed", param="outcome")
        return refund

    def dashboard_refund(
        self, charge_or_intent: str, amount: int | None, reason: str | None
    ) -> dict[str, Any]:
        """Refund as a person would in the Stripe dashboard (no API request)."""
        found = self.store.find(charge_or_intent)
        if found is None or found[1]["object"] not in ("charge", "payment_intent"):
            raise missing("charge", charge_or_intent)
        account, obj = found
        key = "charge" if obj["object"] == "charge" else "payment_intent"
        params: dict[str, Any] = {key: charge_or_intent}
        if amount is not None:
            params["amount"] = amount
        if reason:
            params["reason"] = reason
        return self.create_refund(Context(account=account), params, by_api=False)

    def list_refunds(self, ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
        """Return `GET /v1/refunds`, optionally for one PaymentIntent or charge."""
        items = self.store.all("refund", ctx.account)
        for name in ("payment_intent", "charge"):
            if params.get(name):
                items = [r for r in items if r[name] == params[name]]
        return self.page(ctx, items, params, "/v1/refunds")


def _dashboard_refund(sandbox: RefundsMixin, params: dict[str, Any]) -> dict[str, Any]:
    target = params.get("charge") or params.get("payment_intent") or ""
    amount = params.get("amount")
    refund = sandbox.dashboard_refund(
        str(target),
        int(amount) if amount not in (None, "") else None,
        params.get("reason") or None,
    )
    return public(refund)


API_ROUTES: list[ApiRoute] = [
    (
        "POST",
        r"/v1/refunds",
        lambda s, c, p: s.render(s.create_refund(c, p), c.account, p.get("expand")),
    ),
    ("GET", r"/v1/refunds", lambda s, c, p: s.list_refunds(c, p)),
    ("GET", r"/v1/refunds/(?P<id>[^/]+)", retrieve("refund")),
]
CONTROLS: list[Control] = [
    (
        r"refunds/(?P<id>[^/]*)/settle",
        lambda s, p, id: public(s.settle_refund(id, str(p.get("outcome")))),
    ),
    (r"dashboard_refunds", _dashboard_refund),
]
