"""What the organizer does to one registrant: cancel, refund, or both."""

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from payments.models import Refund
from payments.money import format_money
from registrations import hooks
from registrations.emails.outbox import queue_email
from registrations.models import Registrant, SeatHold
from registrations.refunds.ledger import (
    ACTIVE_REGISTRANT,
    RefundError,
    RefundSummary,
    create_refund,
    is_paid,
    lock_payment,
    share_summary,
)
from registrations.refunds.stripe_sync import send_after_commit
from webinars.models import Session

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class Action(models.TextChoices):
    CANCEL_FULL = "cancel_full", gettext_lazy("Cancel and refund in full")
    CANCEL_PARTIAL = "cancel_partial", gettext_lazy("Cancel and refund part")
    CANCEL_ONLY = "cancel_only", gettext_lazy("Cancel without refund")
    REFUND_PARTIAL = (
        "refund_partial",
        gettext_lazy("Refund part, keep the registration"),
    )


@dataclass(frozen=True)
class ActionPlan:
    """What an action will do, checked but not done yet."""

    action: str
    cancel: bool
    refund_amount: int
    summary: RefundSummary | None

    @property
    def label(self) -> str:
        return str(Action(self.action).label)


def plan_action(
    *,
    registrant: Registrant,
    action: str,
    amount: int | None = None,
    summarize: Callable[[Registrant], RefundSummary] = share_summary,
) -> ActionPlan:
    """Check an organizer action and return what it will do; raise RefundError.

    `summarize`: how the registrant's share is read (share_summary, or a
    selection's SharesRead.summary).
    """
    if action not in Action.values:
        raise RefundError(_("Choose what to do."))
    cancel = action != Action.REFUND_PARTIAL
    if cancel and registrant.status not in ACTIVE_REGISTRANT:
        raise RefundError(_("This registration is already cancelled."))
    if action == Action.CANCEL_ONLY:
        summary = summarize(registrant) if is_paid(registrant) else None
        return ActionPlan(action, True, 0, summary)
    if not is_paid(registrant):
        raise RefundError(_("This registrant has not paid: nothing to refund."))
    payment = registrant.payment
    if payment.disputed_at and not payment.dispute_closed_at:
        raise RefundError(
            _("This payment is disputed: Stripe does not allow a refund until then.")
        )
    summary = summarize(registrant)
    if summary.refundable <= 0:
        raise RefundError(_("This payment is already fully refunded."))
    if action == Action.CANCEL_FULL:
        refund_amount = summary.refundable
    else:
        if amount is None:
            raise RefundError(_("Enter the amount to refund."))
        if amount <= 0:
            raise RefundError(_("The amount must be more than zero."))
        if amount > summary.refundable:
            raise RefundError(
                _("At most %(amount)s can be refunded.")
                % {"amount": format_money(summary.refundable, payment.currency)}
            )
        refund_amount = amount
    return ActionPlan(action, cancel, refund_amount, summary)


def perform_action(
    *,
    registrant: Registrant,
    action: str,
    amount: int | None,
    token: str,
    requested_by: object | None,
    reason: str = "",
    reason_kind: str = Refund.ReasonKind.TEXT,
) -> Refund | None:
    """Cancel and/or refund a registrant as the organizer asked, exactly once.

    `token` comes from the confirmation form: submitting the same form again
    maps to the same Refund row, so Stripe is asked once. The refund goes to
    Stripe in the background after commit; the returned row is still
    `requested` until then.
    """
    if not TOKEN_RE.match(token or ""):
        raise RefundError(_("This form has expired. Please start again."))
    key = f"refund-{token}"
    refund: Refund | None = None
    with transaction.atomic():
        payment = lock_payment(registrant)
        registrant = Registrant.objects.select_for_update().get(pk=registrant.pk)
        existing = Refund.objects.filter(idempotency_key=key).first()
        if existing is not None:
            if payment is None or existing.payment_id != payment.pk:
                raise RefundError(_("This form has expired. Please start again."))
            refund = existing
        else:
            plan = plan_action(registrant=registrant, action=action, amount=amount)
            if plan.refund_amount:
                refund, _created = create_refund(
                    payment=payment,
                    amount=plan.refund_amount,
                    reason=reason,
                    reason_kind=reason_kind,
                    requested_by=requested_by,
                    idempotency_key=key,
                    registrant=registrant,
                )
            if plan.cancel:
                cancel_registrant(registrant, by=hooks.CANCELLED_BY_ORGANIZER)
        if refund is not None and refund.status == Refund.Status.REQUESTED:
            # The console shows it pending until Stripe answers (it polls).
            send_after_commit(refund)
    if refund is not None:
        refund.refresh_from_db()
    return refund


def cancel_registrant(
    registrant: Registrant,
    *,
    by: str = hooks.CANCELLED_BY_ORGANIZER,
    session: Session | None = None,
    email: bool = True,
) -> None:
    """Mark the registrant cancelled (their seat frees up) and tell them.

    `by`: who or what ended it, a hooks.CANCELLED_* value (for its receivers).
    """
    registrant.status = Registrant.Status.CANCELLED
    registrant.cancelled_at = registrant.cancelled_at or timezone.now()
    registrant.cancelled_by = by
    registrant.save(update_fields=["status", "cancelled_at", "cancelled_by"])
    SeatHold.objects.filter(
        registrant=registrant, released_at__isnull=True, consumed_at__isnull=True
    ).update(released_at=timezone.now())
    if email:
        queue_email(registrant=registrant, kind="cancelled", session=session)
    hooks.announce(hooks.registrant_cancelled_handlers, registrant, by)
