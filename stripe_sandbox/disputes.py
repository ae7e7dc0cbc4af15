"""Disputes: a cardholder's chargeback, opened and closed by the controls."""

from __future__ import annotations

from typing import Any

from .core import ApiRoute, Control, retrieve
from .errors import invalid
from .events import EventsMixin
from .objects import new_id, public


def dispute_object(
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
                "network": card["network"],
                "network_reason_code": "10.4",
            },
            "type": "card",
        },
        "reason": reason,
        "status": "needs_response",
    }


class DisputesMixin(EventsMixin):
    """Open and close disputes on succeeded charges."""

    def open_dispute(
        self, charge_id: str, reason: str = "fraudulent"
    ) -> dict[str, Any]:
        """Open a dispute on a charge and emit `charge.dispute.created`."""
        account, charge = self.find("charge", charge_id)
        if charge["status"] != "succeeded":
            raise invalid(f"Charge {charge_id} has not succeeded.")
        dispute = dispute_object(created=self.now(), charge_obj=charge, reason=reason)
        charge["disputed"] = True
        self.store.put(charge, account)
        self.store.put(dispute, account)
        self.emit("charge.dispute.created", dispute, account=account)
        return dispute

    def close_dispute(self, dispute_id: str, status: str) -> dict[str, Any]:
        """Close a dispute as won or lost and emit `charge.dispute.closed`."""
        if status not in ("won", "lost"):
            raise invalid("status must be won or lost", param="status")
        account, dispute = self.find("dispute", dispute_id)
        previous = {"status": dispute["status"]}
        dispute["status"] = status
        self.store.put(dispute, account)
        self.emit("charge.dispute.closed", dispute, account=account, previous=previous)
        return dispute


API_ROUTES: list[ApiRoute] = [
    ("GET", r"/v1/disputes/(?P<id>[^/]+)", retrieve("dispute")),
]
CONTROLS: list[Control] = [
    (
        r"charges/(?P<id>[^/]*)/dispute",
        lambda s, p, id: public(
            s.open_dispute(id, str(p.get("reason") or "fraudulent"))
        ),
    ),
    (
        r"disputes/(?P<id>[^/]*)/close",
        lambda s, p, id: public(s.close_dispute(id, str(p.get("status")))),
    ),
]
