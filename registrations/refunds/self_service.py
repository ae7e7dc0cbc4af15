"""The registrant's side: the refund policy, cancelling, and asking for a refund."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from payments.models import Refund
from payments.money import format_money
from registrations import hooks
from registrations.models import RefundRequest, Registrant
from registrations.refunds.ledger import (
    ACTIVE_REGISTRANT,
    RefundError,
    is_paid,
    lock_payment,
    share_amount,
    share_refundable,
)
from registrations.refunds.notices import notify_refund_request
from registrations.refunds.organizer_actions import (
    Action,
    cancel_registrant,
    perform_action,
)
from registrations.refunds.policy import (  # noqa: F401 - public here too
    policy_session,
    policy_text,
    refund_deadline,
)
from registrations.refunds.stripe_sync import create_and_send
from webinars.models import Session, Webinar


def save_policy(
    *, webinar: Webinar, policy: str, hours_before: int, percent: int
) -> Webinar:
    """Set the webinar's refund policy."""
    if policy not in Webinar.RefundPolicy.values:
        raise RefundError(_("Choose a refund policy."))
    if not 0 < percent <= 100:
        raise RefundError(_("The percentage must be between 1 and 100."))
    with transaction.atomic():
        Webinar.objects.filter(pk=webinar.pk).update(
            refund_policy=policy,
            refund_hours_before=hours_before,
            refund_percent=percent,
        )
    webinar.refresh_from_db()
    return webinar


@dataclass(frozen=True)
class CancelQuote:
    """What cancelling now means for a registrant."""

    can_cancel: bool
    blocked_reason: str
    within_policy: bool
    refund_amount: int
    currency: str
    deadline: datetime | None
    paid: bool
    open_request: RefundRequest | None = None

    @property
    def refund_display(self) -> str:
        return format_money(self.refund_amount, self.currency) if self.paid else ""


def quote_self_cancel(
    *, registrant: Registrant, at: datetime | None = None
) -> CancelQuote:
    """Return whether the registrant may cancel now and what comes back."""
    now = at or timezone.now()
    paid = is_paid(registrant)
    currency = registrant.payment.currency if paid else registrant.currency or "USD"
    blocked = _self_cancel_blocked(registrant, now)
    deadline = refund_deadline(registrant)
    within = bool(paid and deadline is not None and now <= deadline)
    amount = 0
    if within and not blocked:
        remaining = share_refundable(registrant)
        if registrant.webinar.refund_policy == Webinar.RefundPolicy.PERCENT_UNTIL:
            share = share_amount(registrant) * registrant.webinar.refund_percent // 100
            amount = min(share, remaining)
        else:
            amount = remaining
    return CancelQuote(
        can_cancel=not blocked,
        blocked_reason=blocked,
        within_policy=within,
        refund_amount=amount,
        currency=currency,
        deadline=deadline,
        paid=paid,
        open_request=registrant.refund_requests.filter(
            outcome=RefundRequest.Outcome.OPEN
        ).first(),
    )


def _self_cancel_blocked(registrant: Registrant, now: datetime) -> str:
    if registrant.status in (Registrant.Status.CANCELLED, Registrant.Status.REFUNDED):
        return _("This registration is already cancelled.")
    if registrant.webinar.cancelled_at is not None:
        return _("The organizer cancelled this webinar.")
    if registrant.status not in ACTIVE_REGISTRANT:
        return _("This registration is not active, so there is nothing to cancel.")
    if registrant.session_id:
        sessions = Session.objects.filter(pk=registrant.session_id)
    else:
        sessions = registrant.webinar.sessions.active()
    if sessions.exists() and not sessions.filter(ends_at__gt=now).exists():
        return _("This webinar has already taken place.")
    return ""


def self_cancel(*, registrant: Registrant, at: datetime | None = None) -> Refund | None:
    """Cancel at the registrant's request; refund under the policy, once."""
    refund: Refund | None = None
    with transaction.atomic():
        payment = lock_payment(registrant)
        registrant = Registrant.objects.select_for_update().get(pk=registrant.pk)
        quote = quote_self_cancel(registrant=registrant, at=at)
        if not quote.can_cancel:
            raise RefundError(quote.blocked_reason)
        if quote.refund_amount > 0:
            refund = create_and_send(
                payment=payment,
                amount=quote.refund_amount,
                reason_kind=Refund.ReasonKind.REGISTRANT_CANCELLED,
                idempotency_key=f"self-cancel-{registrant.pk}",
                registrant=registrant,
            )
        registrant.refund_requests.filter(outcome=RefundRequest.Outcome.OPEN).update(
            outcome=RefundRequest.Outcome.DECLINED, answered_at=timezone.now()
        )
        cancel_registrant(registrant, by=hooks.CANCELLED_BY_REGISTRANT)
    return refund


def request_refund(*, registrant: Registrant, message: str) -> RefundRequest:
    """Send the organizer a refund request for a cancellation outside the policy."""
    with transaction.atomic():
        registrant = Registrant.objects.select_for_update().get(pk=registrant.pk)
        quote = quote_self_cancel(registrant=registrant)
        if not quote.can_cancel:
            raise RefundError(quote.blocked_reason)
        if not quote.paid or share_refundable(registrant) <= 0:
            raise RefundError(_("There is nothing to refund on this registration."))
        if quote.open_request is not None:
            return quote.open_request
        request = RefundRequest.objects.create(
            registrant=registrant, message=message.strip()
        )
        request_pk = request.pk
        transaction.on_commit(
            lambda: notify_refund_request(request_id=request_pk), robust=True
        )
    return request


def answer_refund_request(
    *,
    refund_request: RefundRequest,
    approve: bool,
    amount: int | None,
    token: str,
    answered_by: object | None,
) -> Refund | None:
    """Approve (cancel and refund `amount`, or in full) or decline a request."""
    with transaction.atomic():
        request = RefundRequest.objects.select_for_update().get(pk=refund_request.pk)
        if request.outcome != RefundRequest.Outcome.OPEN:
            # The same approval sent twice gets its refund; a request a
            # refund settled meanwhile has nothing left to answer.
            if request.outcome == RefundRequest.Outcome.APPROVED and request.refund_id:
                return request.refund
            raise RefundError(_("This request has already been answered."))
        refund = None
        if approve:
            action = Action.CANCEL_FULL if amount is None else Action.CANCEL_PARTIAL
            refund = perform_action(
                registrant=request.registrant,
                action=action,
                amount=amount,
                token=token,
                requested_by=answered_by,
                reason_kind=Refund.ReasonKind.REQUEST_APPROVED,
            )
        request.outcome = (
            RefundRequest.Outcome.APPROVED
            if approve
            else RefundRequest.Outcome.DECLINED
        )
        request.answered_at = timezone.now()
        request.answered_by = answered_by
        request.refund = refund
        request.save(update_fields=["outcome", "answered_at", "answered_by", "refund"])
    return refund
