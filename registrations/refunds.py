"""Refunds and cancellations: by the organizer, by the registrant, and from Stripe.

Every refund is a `payments.Refund` row created first, in a transaction that
locks the Payment row and checks that it fits in what remains; the Stripe call
happens after commit, outside the lock, with the row's idempotency key. A retry
or a double click reuses the row and its key, so Stripe refunds once.

Refund rows then follow Stripe through webhooks (`sync_refund`), including
refunds made in the Stripe dashboard, recorded as external refunds.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import models, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from payments import gateway
from payments.models import MAXIMUM_AMOUNT, Payment, Refund
from payments.money import MoneyError, format_money, parse_money
from registrations.emails.outbox import notify_organizer, queue_email
from registrations.models import EmailLog, RefundRequest, Registrant, SeatHold
from webinars.models import Session, Webinar

logger = logging.getLogger(__name__)

# Refunds that count against what remains refundable: in flight or done.
ACTIVE_STATUSES = (
    Refund.Status.REQUESTED,
    Refund.Status.PENDING,
    Refund.Status.REQUIRES_ACTION,
    Refund.Status.SUCCEEDED,
)
IN_FLIGHT_STATUSES = ACTIVE_STATUSES[:3]
FINAL_STATUSES = (Refund.Status.FAILED, Refund.Status.CANCELED)
STRIPE_STATUSES = {choice.value for choice in Refund.Status} - {"requested"}
ACTIVE_REGISTRANT = (Registrant.Status.CONFIRMED, Registrant.Status.AWAITING)
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class RefundError(Exception):
    """A refund or cancellation that cannot be done; the message is user-safe."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


# -- amounts ----------------------------------------------------------------------


def parse_amount(text: str, currency: str) -> int:
    """Return minor units for an amount typed in major units ("12.50", "12,5")."""
    try:
        amount = parse_money(text, currency)
    except MoneyError as error:
        raise RefundError(str(error)) from error
    if amount <= 0:
        raise RefundError(_("The amount must be more than zero."))
    if amount > MAXIMUM_AMOUNT:
        raise RefundError(_("This amount is too large."))
    return amount


def new_refund_token() -> str:
    """Return a one-time token that a refund form carries to be replay-safe."""
    return secrets.token_urlsafe(24)


def committed_amount(payment: Payment) -> int:
    """Return what is refunded or being refunded (pending and succeeded)."""
    total = payment.refunds.filter(status__in=ACTIVE_STATUSES).aggregate(
        total=Sum("amount")
    )["total"]
    return total or 0


def refundable_amount(payment: Payment) -> int:
    """Return what can still be refunded: paid minus refunds pending or done."""
    return max(payment.amount - committed_amount(payment), 0)


@dataclass(frozen=True)
class RefundSummary:
    """What a confirmation page shows about a payment."""

    amount: int
    currency: str
    refunded: int
    in_flight: int
    refundable: int
    stripe_fee: int | None
    application_fee: int

    def money(self, amount: int | None) -> str:
        return "" if amount is None else format_money(amount, self.currency)

    @property
    def amount_display(self) -> str:
        return self.money(self.amount)

    @property
    def refunded_display(self) -> str:
        return self.money(self.refunded)

    @property
    def in_flight_display(self) -> str:
        return self.money(self.in_flight)

    @property
    def refundable_display(self) -> str:
        return self.money(self.refundable)

    @property
    def stripe_fee_display(self) -> str:
        return self.money(self.stripe_fee)

    @property
    def application_fee_display(self) -> str:
        return self.money(self.application_fee)


def summarize_payment(payment: Payment) -> RefundSummary:
    """Return the amounts paid, refunded, in flight and still refundable."""
    by_status = dict(
        payment.refunds.filter(status__in=ACTIVE_STATUSES)
        .values_list("status")
        .annotate(total=Sum("amount"))
    )
    refunded = by_status.pop(Refund.Status.SUCCEEDED, 0)
    in_flight = sum(by_status.values())
    return RefundSummary(
        amount=payment.amount,
        currency=payment.currency,
        refunded=refunded,
        in_flight=in_flight,
        refundable=max(payment.amount - refunded - in_flight, 0),
        stripe_fee=payment.stripe_fee,
        application_fee=payment.application_fee,
    )


def is_paid(registrant: Registrant) -> bool:
    """Tell whether the registrant has a payment that Stripe captured."""
    payment = registrant.payment
    return bool(
        payment is not None
        and payment.paid_at is not None
        and payment.status in (Payment.Status.PAID, Payment.Status.REFUNDED)
        and payment.payment_intent_id
    )


# -- organizer actions -------------------------------------------------------------


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
    *, registrant: Registrant, action: str, amount: int | None = None
) -> ActionPlan:
    """Check an organizer action and return what it will do; raise RefundError."""
    if action not in Action.values:
        raise RefundError(_("Choose what to do."))
    cancel = action != Action.REFUND_PARTIAL
    if cancel and registrant.status not in ACTIVE_REGISTRANT:
        raise RefundError(_("This registration is already cancelled."))
    if action == Action.CANCEL_ONLY:
        summary = summarize_payment(registrant.payment) if is_paid(registrant) else None
        return ActionPlan(action, True, 0, summary)
    if not is_paid(registrant):
        raise RefundError(_("This registrant has not paid: nothing to refund."))
    payment = registrant.payment
    if payment.disputed_at and not payment.dispute_closed_at:
        raise RefundError(
            _("This payment is disputed: Stripe does not allow a refund until then.")
        )
    summary = summarize_payment(payment)
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
) -> Refund | None:
    """Cancel and/or refund a registrant as the organizer asked, exactly once.

    `token` comes from the confirmation form: submitting the same form again
    maps to the same Refund row, so Stripe is asked once.
    """
    if not TOKEN_RE.match(token or ""):
        raise RefundError(_("This form has expired. Please start again."))
    key = f"refund-{token}"
    refund: Refund | None = None
    with transaction.atomic():
        payment = _lock_payment(registrant)
        registrant = Registrant.objects.select_for_update().get(pk=registrant.pk)
        existing = Refund.objects.filter(idempotency_key=key).first()
        if existing is not None:
            if payment is None or existing.payment_id != payment.pk:
                raise RefundError(_("This form has expired. Please start again."))
            refund = existing
        else:
            plan = plan_action(registrant=registrant, action=action, amount=amount)
            if plan.refund_amount:
                refund = Refund.objects.create(
                    payment=payment,
                    amount=plan.refund_amount,
                    reason=reason[:200],
                    requested_by=requested_by,
                    idempotency_key=key,
                )
            if plan.cancel:
                _cancel_registrant(registrant)
        if refund is not None and refund.status == Refund.Status.REQUESTED:
            _submit_on_commit(refund)
    if refund is not None:
        refund.refresh_from_db()
    return refund


def _lock_payment(registrant: Registrant) -> Payment | None:
    if registrant.payment_id is None:
        return None
    # The Payment row is the lock that serialises refunds of one payment.
    return Payment.objects.lock(registrant.payment_id)


def _cancel_registrant(
    registrant: Registrant, *, session: Session | None = None, email: bool = True
) -> None:
    """Mark the registrant cancelled (their seat frees up) and tell them."""
    registrant.status = Registrant.Status.CANCELLED
    registrant.cancelled_at = registrant.cancelled_at or timezone.now()
    registrant.save(update_fields=["status", "cancelled_at"])
    SeatHold.objects.filter(
        registrant=registrant, released_at__isnull=True, consumed_at__isnull=True
    ).update(released_at=timezone.now())
    if email:
        queue_email(registrant=registrant, kind="cancelled", session=session)


def _submit_on_commit(refund: Refund) -> None:
    """Send the refund to Stripe right after commit (the console shows the answer)."""
    refund_id = refund.pk
    transaction.on_commit(lambda: submit_refund(refund_id=refund_id), robust=True)


def _queue_on_commit(refund: Refund) -> None:
    """Queue the Stripe call after commit, so a public page never waits on it."""
    from registrations.tasks_refunds import submit_refund_task

    refund_id = refund.pk
    transaction.on_commit(lambda: submit_refund_task.delay(refund_id), robust=True)


# -- talking to Stripe --------------------------------------------------------------


def submit_refund(*, refund_id: int) -> Refund:
    """Ask Stripe for a requested refund, with its own idempotency key.

    Safe to call any number of times: a refund that Stripe already has is left
    alone, and a retry of one whose answer was lost gets Stripe's first answer.
    Stripe being unavailable leaves the refund `requested` for a later retry.
    """
    refund = Refund.objects.select_related("payment").get(pk=refund_id)
    if refund.status != Refund.Status.REQUESTED:
        return refund
    payment = refund.payment
    try:
        result = gateway.create_refund(
            account=payment.stripe_account_id,
            payment_intent=payment.payment_intent_id,
            amount=refund.amount,
            reason=None,
            idempotency_key=refund.idempotency_key,
            metadata={
                "tessera_refund": str(refund.pk),
                "tessera_payment": str(payment.pk),
            },
        )
    except gateway.StripeUnavailable:
        logger.warning("Refund %s: Stripe unavailable, will retry", refund.pk)
        return refund
    except gateway.GatewayError as error:
        logger.warning("Refund %s refused by Stripe: %s", refund.pk, error.code)
        made = _find_in_stripe(refund)
        if made is not None:
            # Stripe has it already (an idempotency clash after a lost answer):
            # failing it here would let the amount be refunded twice.
            with transaction.atomic():
                return sync_refund(
                    account=payment.stripe_account_id,
                    stripe_refund=_as_refund_dict(made),
                    refund_id=refund.pk,
                )
        with transaction.atomic():
            Payment.objects.lock(payment.pk)
            refund = Refund.objects.get(pk=refund.pk)
            if refund.status == Refund.Status.REQUESTED:
                _apply_status(
                    refund, Refund.Status.FAILED, failure_reason=_refusal(error)
                )
                _refresh_payment(payment.pk)
        return refund
    with transaction.atomic():
        return sync_refund(
            account=payment.stripe_account_id,
            stripe_refund=_as_refund_dict(result),
            refund_id=refund.pk,
        )


def _find_in_stripe(refund: Refund) -> gateway.RefundResult | None:
    """Return Stripe's refund made for this row (by its metadata), if any."""
    payment = refund.payment
    try:
        made = gateway.list_refunds_for_payment(
            account=payment.stripe_account_id,
            payment_intent=payment.payment_intent_id,
        )
    except gateway.GatewayError:
        return None
    for result in made:
        if result.metadata.get("tessera_refund") == str(refund.pk):
            return result
    return None


def _refusal(error: gateway.GatewayError) -> str:
    """Return why Stripe refused a refund, in words an organizer can act on."""
    reasons = {
        "charge_disputed": _(
            "The payment is disputed (charged back): Stripe allows no refund."
        ),
        "charge_already_refunded": _(
            "Stripe says this payment is already fully refunded."
        ),
        "amount_too_large": _(
            "Stripe says this is more than what remains to refund (a refund may "
            "have been made in the Stripe dashboard)."
        ),
        "payment_intent_unexpected_state": _(
            "Stripe has no successful charge to refund on this payment."
        ),
    }
    message = reasons.get(error.code or "", error.message)
    return f"{message} ({error.code})" if error.code else message


def _as_refund_dict(result: gateway.RefundResult) -> dict:
    return {
        "id": result.id,
        "status": result.status,
        "amount": result.amount,
        "currency": result.currency,
        "payment_intent": result.payment_intent,
        "charge": result.charge,
        "metadata": result.metadata,
    }


def sync_refund(
    *, account: str | None, stripe_refund: dict, refund_id: int | None = None
) -> Refund | None:
    """Record a Stripe refund object (from an API answer or a webhook).

    Match it by Stripe id, then by the `tessera_refund` metadata this app sends;
    a refund of ours that is unknown here was made in the Stripe dashboard and
    is recorded as external. Return None when the payment is not ours.
    """
    payment = _find_payment(
        account=account,
        payment_intent=stripe_refund.get("payment_intent"),
        charge=stripe_refund.get("charge"),
    )
    if payment is None:
        logger.info("Refund %s is for no payment of ours", stripe_refund.get("id"))
        return None
    payment = Payment.objects.lock(payment.pk)
    stripe_id = stripe_refund["id"]
    refund = Refund.objects.filter(stripe_refund_id=stripe_id).first()
    if refund is None:
        ours = refund_id or _int_or_none(
            (stripe_refund.get("metadata") or {}).get("tessera_refund")
        )
        if ours:
            refund = Refund.objects.filter(
                pk=ours, payment=payment, stripe_refund_id__isnull=True
            ).first()
    if refund is None:
        refund = Refund.objects.create(
            payment=payment,
            amount=int(stripe_refund["amount"]),
            reason=_("Refunded in the Stripe dashboard"),
            stripe_refund_id=stripe_id,
            external=True,
            idempotency_key=f"stripe-{stripe_id}"[:100],
        )
    elif not refund.stripe_refund_id:
        refund.stripe_refund_id = stripe_id
        refund.save(update_fields=["stripe_refund_id", "updated_at"])
    status = stripe_refund.get("status")
    if status in STRIPE_STATUSES:
        _apply_status(
            refund,
            status,
            failure_reason=stripe_refund.get("failure_reason") or "",
        )
    _refresh_payment(payment.pk)
    return refund


def _int_or_none(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _find_payment(
    *, account: str | None, payment_intent: str | None, charge: str | None
) -> Payment | None:
    """Return our Payment for a Stripe payment, on the event's account only."""
    query = Q()
    if payment_intent:
        query |= Q(payment_intent_id=payment_intent)
    if charge:
        query |= Q(charge_id=charge)
    if not query:
        return None
    payments = Payment.objects.filter(query)
    if account:
        payments = payments.filter(stripe_account_id=account)
    return payments.first()


# A refund only moves forward: a late or replayed event never undoes a final state.
_ALLOWED = {
    Refund.Status.REQUESTED: STRIPE_STATUSES,
    Refund.Status.PENDING: STRIPE_STATUSES - {"pending"},
    Refund.Status.REQUIRES_ACTION: STRIPE_STATUSES - {"requires_action"},
    # Stripe can fail a refund after reporting it succeeded.
    Refund.Status.SUCCEEDED: {"failed"},
    Refund.Status.FAILED: set(),
    Refund.Status.CANCELED: set(),
}


def _apply_status(refund: Refund, status: str, *, failure_reason: str = "") -> bool:
    """Move a refund to `status` if that is forward; act on what changed."""
    previous = refund.status
    if status not in _ALLOWED[previous]:
        return False
    refund.status = status
    fields = ["status", "updated_at"]
    if status == Refund.Status.FAILED:
        refund.failure_reason = (
            failure_reason or _("Stripe could not complete the refund.")
        )[:200]
        fields.append("failure_reason")
    refund.save(update_fields=fields)
    registrant = Registrant.objects.filter(payment_id=refund.payment_id).first()
    if (
        status == Refund.Status.SUCCEEDED
        and registrant is not None
        and refund.notify_registrant
    ):
        # One notice per refund: a second partial refund gets its own email.
        # Automatic refunds and denials carry their own email instead.
        queue_email(registrant=registrant, kind="refund", variant=refund.pk)
    if status == Refund.Status.FAILED:
        refund_pk = refund.pk
        transaction.on_commit(
            lambda: notify_refund_failed(refund_id=refund_pk), robust=True
        )
    return True


def _refresh_payment(payment_pk: int) -> None:
    """Recount what Stripe refunded; a full refund ends the registration."""
    payment = Payment.objects.get(pk=payment_pk)
    refunds = payment.refunds.filter(status=Refund.Status.SUCCEEDED)
    refunded = refunds.aggregate(total=Sum("amount"))["total"] or 0
    if refunded > payment.amount:
        logger.error("Payment %s: refunds exceed the amount paid", payment.pk)
        refunded = payment.amount
    payment.amount_refunded = refunded
    if payment.paid_at is not None:
        full = refunded >= payment.amount
        payment.status = Payment.Status.REFUNDED if full else Payment.Status.PAID
    payment.save(update_fields=["amount_refunded", "status"])
    if payment.amount_refunded < payment.amount:
        return
    registrant = (
        Registrant.objects.select_for_update().filter(payment_id=payment.pk).first()
    )
    if registrant is None:
        return
    if registrant.status == Registrant.Status.CANCELLED:
        registrant.status = Registrant.Status.REFUNDED
        registrant.save(update_fields=["status"])
    elif (
        registrant.status in ACTIVE_REGISTRANT
        and refunds.filter(external=True).exists()
    ):
        # Refunded in full from the Stripe dashboard: the seat goes with the money.
        registrant.status = Registrant.Status.REFUNDED
        registrant.cancelled_at = timezone.now()
        registrant.save(update_fields=["status", "cancelled_at"])


def notify_refund_failed(*, refund_id: int) -> None:
    """Tell the webinar's owner that a refund failed, with Stripe's reason."""
    refund = Refund.objects.select_related("payment__registrant").get(pk=refund_id)
    notify_organizer(
        registrant=getattr(refund.payment, "registrant", None),
        kind=EmailLog.Kind.REFUND_FAILED,
        variant=refund.pk,
    )


def retry_requested_refunds(*, older_than: timedelta = timedelta(minutes=2)) -> int:
    """Submit refunds still `requested` (Stripe was down); return how many remain."""
    cutoff = timezone.now() - older_than
    remaining = 0
    pending = Refund.objects.filter(
        status=Refund.Status.REQUESTED, created_at__lte=cutoff
    )
    for refund_id in pending.values_list("pk", flat=True):
        if submit_refund(refund_id=refund_id).status == Refund.Status.REQUESTED:
            remaining += 1
    return remaining


# -- refund policy and self-cancellation -----------------------------------------------


def policy_text(webinar: Webinar) -> str:
    """Return the webinar's refund policy in one sentence."""
    policy = webinar.refund_policy
    hours = webinar.refund_hours_before
    if policy == Webinar.RefundPolicy.FULL_UNTIL:
        return _(
            "Full refund if you cancel up to %(hours)s hours before the session."
        ) % {"hours": hours}
    if policy == Webinar.RefundPolicy.PERCENT_UNTIL:
        return _(
            "%(percent)s%% refunded if you cancel up to %(hours)s hours "
            "before the session."
        ) % {"percent": webinar.refund_percent, "hours": hours}
    return _("No refund on cancellation.")


def policy_session(registrant: Registrant) -> Session | None:
    """Return the session the policy counts from: theirs, or the first one."""
    if registrant.session_id:
        return registrant.session
    return registrant.webinar.sessions.active().order_by("starts_at").first()


def refund_deadline(registrant: Registrant) -> datetime | None:
    """Return the last moment a cancellation is refunded under the policy."""
    webinar = registrant.webinar
    if webinar.refund_policy == Webinar.RefundPolicy.NONE:
        return None
    session = policy_session(registrant)
    if session is None:
        return None
    return session.starts_at - timedelta(hours=webinar.refund_hours_before)


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
        remaining = refundable_amount(registrant.payment)
        if registrant.webinar.refund_policy == Webinar.RefundPolicy.PERCENT_UNTIL:
            share = registrant.payment.amount * registrant.webinar.refund_percent // 100
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
        payment = _lock_payment(registrant)
        registrant = Registrant.objects.select_for_update().get(pk=registrant.pk)
        quote = quote_self_cancel(registrant=registrant, at=at)
        if not quote.can_cancel:
            raise RefundError(quote.blocked_reason)
        if quote.refund_amount > 0:
            refund, _created = Refund.objects.get_or_create(
                idempotency_key=f"self-cancel-{registrant.pk}",
                defaults={
                    "payment": payment,
                    "amount": quote.refund_amount,
                    "reason": _("Cancelled by the registrant within the policy"),
                },
            )
            _queue_on_commit(refund)
        registrant.refund_requests.filter(outcome=RefundRequest.Outcome.OPEN).update(
            outcome=RefundRequest.Outcome.DECLINED, answered_at=timezone.now()
        )
        _cancel_registrant(registrant)
    return refund


def request_refund(*, registrant: Registrant, message: str) -> RefundRequest:
    """Send the organizer a refund request for a cancellation outside the policy."""
    with transaction.atomic():
        registrant = Registrant.objects.select_for_update().get(pk=registrant.pk)
        quote = quote_self_cancel(registrant=registrant)
        if not quote.can_cancel:
            raise RefundError(quote.blocked_reason)
        if not quote.paid or refundable_amount(registrant.payment) <= 0:
            raise RefundError(_("There is nothing to refund on this registration."))
        if quote.open_request is not None:
            return quote.open_request
        request = RefundRequest.objects.create(
            registrant=registrant, message=message.strip()[:2000]
        )
        request_pk = request.pk
        transaction.on_commit(
            lambda: notify_refund_request(request_id=request_pk), robust=True
        )
    return request


def notify_refund_request(*, request_id: int) -> None:
    """Tell the webinar's owner that a registrant asks for a refund."""
    request = RefundRequest.objects.select_related("registrant").get(pk=request_id)
    notify_organizer(
        registrant=request.registrant,
        kind=EmailLog.Kind.REFUND_REQUEST,
        variant=request.pk,
    )


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
            if request.refund_id:
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
                reason=_("Refund request approved"),
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


# -- cancelling a session or a whole webinar -----------------------------------------


class RefundMode(models.TextChoices):
    FULL = "full", gettext_lazy("Refund in full")
    PRORATE = "prorate", gettext_lazy("Refund the sessions left (prorated)")
    NONE = "none", gettext_lazy("No refund")


@dataclass(frozen=True)
class AffectedRegistrant:
    registrant: Registrant
    refund_amount: int
    currency: str

    @property
    def refund_display(self) -> str:
        return format_money(self.refund_amount, self.currency) if self.currency else ""


@dataclass
class CancellationPreview:
    """Who a cancellation touches and what it refunds."""

    webinar: Webinar
    session: Session | None
    mode: str
    mode_choice: bool
    cancels_registrations: bool
    sessions_left: int
    sessions_total: int
    rows: list[AffectedRegistrant] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def totals_display(self) -> list[str]:
        return [format_money(total, cur) for cur, total in sorted(self.totals.items())]


def batch_key(*, webinar: Webinar, session: Session | None) -> str:
    """Return the idempotency prefix of one cancellation's refunds."""
    return f"cancel-s{session.pk}-" if session else f"cancel-w{webinar.pk}-"


def preview_cancellation(
    *,
    webinar: Webinar,
    session: Session | None = None,
    mode: str = RefundMode.FULL,
    at: datetime | None = None,
) -> CancellationPreview:
    """List the registrants a cancellation touches and the refund each gets."""
    now = at or timezone.now()
    if webinar.cancelled_at is not None:
        raise RefundError(_("This webinar is already cancelled."))
    if session is not None and session.cancelled_at is not None:
        raise RefundError(_("This session is already cancelled."))
    if session is not None and session.has_ended:
        raise RefundError(_("This session has already taken place."))
    all_sessions = not webinar.is_series
    active = webinar.sessions.active()
    total = webinar.sessions.count()
    mode_choice = all_sessions and total > 1
    if not mode_choice:
        mode = RefundMode.FULL
    if mode not in RefundMode.values:
        raise RefundError(_("Choose how to refund."))
    registrants = Registrant.objects.filter(
        webinar=webinar, status__in=ACTIVE_REGISTRANT
    ).select_related("payment")
    if session is None:
        left = active.filter(starts_at__gt=now).count()
        cancels = True
    elif all_sessions:
        left = 1
        # The last session left of an all-sessions webinar ends the registrations.
        cancels = not active.exclude(pk=session.pk).filter(ends_at__gt=now).exists()
    else:
        left = 1
        cancels = True
        registrants = registrants.filter(session=session)
    preview = CancellationPreview(
        webinar=webinar,
        session=session,
        mode=mode,
        mode_choice=mode_choice,
        cancels_registrations=cancels,
        sessions_left=left,
        sessions_total=total,
    )
    totals: dict[str, int] = defaultdict(int)
    for registrant in registrants.order_by("last_name", "first_name", "pk"):
        amount = 0
        currency = ""
        if is_paid(registrant):
            currency = registrant.payment.currency
            remaining = refundable_amount(registrant.payment)
            if mode == RefundMode.FULL:
                amount = remaining
            elif mode == RefundMode.PRORATE and total:
                amount = min(registrant.payment.amount * left // total, remaining)
            totals[currency] += amount
        preview.rows.append(AffectedRegistrant(registrant, amount, currency))
    preview.totals = dict(totals)
    return preview


def cancel_webinar(
    *,
    webinar: Webinar,
    session: Session | None = None,
    mode: str = RefundMode.FULL,
    requested_by: object | None = None,
) -> str:
    """Cancel a session or the whole webinar; refunds go out in the background.

    In one transaction: mark it cancelled, cancel the registrations, queue the
    emails and create one Refund row per paid registrant with a deterministic
    idempotency key. The task that sends them (`run_cancellation_refunds`) can
    run any number of times. Return the batch key the task takes.
    """
    with transaction.atomic():
        webinar = Webinar.objects.select_for_update().get(pk=webinar.pk)
        if session is not None:
            session = Session.objects.select_for_update().get(
                pk=session.pk, webinar=webinar
            )
        preview = preview_cancellation(webinar=webinar, session=session, mode=mode)
        now = timezone.now()
        if session is None or (preview.cancels_registrations and not webinar.is_series):
            webinar.cancelled_at = now
            webinar.save(update_fields=["cancelled_at"])
            webinar.sessions.active().filter(ends_at__gt=now).update(cancelled_at=now)
        if session is not None:
            session.cancelled_at = now
            session.save(update_fields=["cancelled_at"])
            SeatHold.objects.filter(session=session, released_at__isnull=True).update(
                released_at=now
            )
        _close_open_checkouts(webinar=webinar, session=session)
        key = batch_key(webinar=webinar, session=session)
        for row in preview.rows:
            registrant = row.registrant
            if row.refund_amount > 0:
                payment = Payment.objects.lock(registrant.payment_id)
                Refund.objects.get_or_create(
                    idempotency_key=f"{key}{payment.pk}",
                    defaults={
                        "payment": payment,
                        "amount": row.refund_amount,
                        "reason": _("Webinar cancelled by the organizer"),
                        "requested_by": requested_by,
                    },
                )
            if preview.cancels_registrations:
                _cancel_registrant(registrant, session=session)
            else:
                queue_email(registrant=registrant, kind="cancelled", session=session)
        from registrations.tasks_refunds import run_cancellation_refunds

        transaction.on_commit(lambda: run_cancellation_refunds.delay(key), robust=True)
    return key


def _close_open_checkouts(*, webinar: Webinar, session: Session | None) -> None:
    """Release the holds of checkouts in the cancelled scope; expire them after commit.

    Their Checkout Sessions could otherwise still be paid. A session already
    complete at Stripe is fulfilled, then refunded because the webinar is cancelled.
    """
    from registrations import services

    pending = Registrant.objects.filter(
        webinar=webinar,
        status=Registrant.Status.PENDING,
        payment__status__in=services.OPEN_PAYMENT,
    )
    if webinar.cancelled_at is None:
        if session is None or not webinar.is_series:
            # One session of an all-sessions webinar: the others still run.
            return
        pending = pending.filter(session=session)
    for registrant in pending.order_by("pk"):
        services.release_registration(registrant=registrant, expire_at_stripe=True)


def send_cancellation_refunds(*, key: str) -> int:
    """Submit the refunds of one cancellation still unsent; return how many remain."""
    remaining = 0
    refunds = Refund.objects.filter(
        idempotency_key__startswith=key, status=Refund.Status.REQUESTED
    ).order_by("pk")
    for refund_id in refunds.values_list("pk", flat=True):
        if submit_refund(refund_id=refund_id).status == Refund.Status.REQUESTED:
            remaining += 1
    return remaining


# -- disputes -------------------------------------------------------------------------


def record_dispute(*, account: str | None, dispute: dict, closed: bool) -> bool:
    """Flag the payment a dispute is about; return False if it is not ours."""
    payment = _find_payment(
        account=account,
        payment_intent=dispute.get("payment_intent"),
        charge=dispute.get("charge"),
    )
    if payment is None:
        logger.warning(
            "Dispute %s on unknown charge %s (account %s)",
            dispute.get("id"),
            dispute.get("charge"),
            account,
        )
        return False
    payment = Payment.objects.lock(payment.pk)
    now = timezone.now()
    first = not payment.dispute_id
    payment.dispute_id = dispute.get("id") or payment.dispute_id
    payment.dispute_reason = (dispute.get("reason") or "")[:100]
    if closed:
        payment.dispute_status = (dispute.get("status") or "closed")[:40]
        payment.dispute_closed_at = payment.dispute_closed_at or now
    elif payment.dispute_closed_at is None:
        # A late `created` after `closed` must not reopen the dispute.
        payment.dispute_status = (dispute.get("status") or "needs_response")[:40]
    payment.disputed_at = payment.disputed_at or now
    payment.save(
        update_fields=[
            "dispute_id",
            "dispute_status",
            "dispute_reason",
            "disputed_at",
            "dispute_closed_at",
        ]
    )
    if first or closed:
        payment_pk = payment.pk
        transaction.on_commit(
            lambda: notify_dispute(payment_id=payment_pk, closed=closed), robust=True
        )
    return True


def notify_dispute(*, payment_id: int, closed: bool) -> None:
    """Tell the webinar's owner about a dispute opened or closed."""
    kind = EmailLog.Kind.DISPUTE_CLOSED if closed else EmailLog.Kind.DISPUTE_OPENED
    notify_organizer(
        registrant=Registrant.objects.filter(payment_id=payment_id).first(),
        kind=kind,
    )


# -- reports --------------------------------------------------------------------------


@dataclass
class CurrencyTotals:
    currency: str
    payments: int = 0
    gross: int = 0
    refunded: int = 0
    stripe_fees: int = 0
    application_fees: int = 0

    @property
    def net(self) -> int:
        return self.gross - self.refunded - self.stripe_fees - self.application_fees

    def money(self, name: str) -> str:
        return format_money(getattr(self, name), self.currency)

    @property
    def gross_display(self) -> str:
        return self.money("gross")

    @property
    def refunded_display(self) -> str:
        return self.money("refunded")

    @property
    def stripe_fees_display(self) -> str:
        return self.money("stripe_fees")

    @property
    def application_fees_display(self) -> str:
        return self.money("application_fees")

    @property
    def net_display(self) -> str:
        return self.money("net")


def paid_payments(webinar: Webinar) -> models.QuerySet[Payment]:
    """Return the webinar's payments that Stripe captured."""
    return (
        Payment.objects.filter(webinar=webinar, paid_at__isnull=False)
        .select_related("registrant")
        .order_by("paid_at", "pk")
    )


def webinar_report(webinar: Webinar) -> list[CurrencyTotals]:
    """Return gross paid, refunded, Stripe fees and net, per currency."""
    totals: dict[str, CurrencyTotals] = {}
    for payment in paid_payments(webinar):
        row = totals.setdefault(payment.currency, CurrencyTotals(payment.currency))
        row.payments += 1
        row.gross += payment.amount
        row.refunded += payment.amount_refunded
        row.stripe_fees += payment.stripe_fee or 0
        row.application_fees += payment.application_fee
    return [totals[currency] for currency in sorted(totals)]


def report_rows(webinar: Webinar) -> list[list[str]]:
    """Return the CSV rows of a webinar's payments (amounts in major units)."""
    from payments.money import to_decimal

    header = [
        "paid_at",
        "first_name",
        "last_name",
        "email",
        "status",
        "currency",
        "amount",
        "refunded",
        "stripe_fee",
        "application_fee",
        "net",
        "disputed",
        "payment_intent",
    ]
    rows = [header]
    for payment in paid_payments(webinar):
        registrant = getattr(payment, "registrant", None)
        fee = payment.stripe_fee or 0
        net = payment.amount - payment.amount_refunded - fee - payment.application_fee
        rows.append(
            [
                payment.paid_at.isoformat(),
                _csv_safe(registrant.first_name if registrant else ""),
                _csv_safe(registrant.last_name if registrant else ""),
                _csv_safe(registrant.email if registrant else ""),
                registrant.status if registrant else payment.status,
                payment.currency,
                str(to_decimal(payment.amount, payment.currency)),
                str(to_decimal(payment.amount_refunded, payment.currency)),
                str(to_decimal(fee, payment.currency)),
                str(to_decimal(payment.application_fee, payment.currency)),
                str(to_decimal(net, payment.currency)),
                payment.dispute_status,
                payment.payment_intent_id,
            ]
        )
    return rows


def _csv_safe(value: str) -> str:
    # A cell starting with = + - @ is a formula to spreadsheet programs.
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


# -- console helpers ------------------------------------------------------------


def failed_refunds(webinar: Webinar) -> models.QuerySet[Refund]:
    """Return the webinar's failed refunds whose amount was not refunded since."""
    return Refund.objects.filter(
        payment__webinar=webinar, status=Refund.Status.FAILED
    ).select_related("payment__registrant")


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


def unresolved_failed_refunds(webinars: models.QuerySet[Webinar]) -> list[Refund]:
    """Return failed refunds not followed by another refund of the same payment."""
    failed = Refund.objects.filter(
        payment__webinar__in=webinars, status=Refund.Status.FAILED
    ).select_related("payment__registrant", "payment__webinar")
    return [
        refund
        for refund in failed
        if not Refund.objects.filter(
            payment_id=refund.payment_id,
            created_at__gt=refund.created_at,
            status__in=ACTIVE_STATUSES,
        ).exists()
    ]


def refund_warnings(organizer: object) -> list[str]:
    """Return dashboard warnings: failed refunds, refund requests, disputes."""
    webinars = Webinar.objects.visible_to(organizer)
    warnings = []
    for refund in unresolved_failed_refunds(webinars):
        warnings.append(
            _("A refund of %(amount)s for “%(title)s” failed: %(reason)s")
            % {
                "amount": format_money(refund.amount, refund.payment.currency),
                "title": refund.payment.webinar.title,
                "reason": refund.failure_reason,
            }
        )
    requests = RefundRequest.objects.filter(
        registrant__webinar__in=webinars, outcome=RefundRequest.Outcome.OPEN
    ).count()
    if requests:
        warnings.append(
            _("%(count)s refund request(s) are waiting for your answer.")
            % {"count": requests}
        )
    disputes = Payment.objects.filter(
        webinar__in=webinars, disputed_at__isnull=False, dispute_closed_at__isnull=True
    ).count()
    if disputes:
        warnings.append(
            _("%(count)s payment(s) are disputed: respond in your Stripe dashboard.")
            % {"count": disputes}
        )
    return warnings


DEMO_POLICY_TITLE = "Project management for beginners"


def seed_demo_policy(*, webinars: dict[str, Webinar], **kwargs: object) -> None:
    """Give the demo webinar its policy: full refund until 24 hours before."""
    webinar = webinars.get(DEMO_POLICY_TITLE)
    if webinar is not None:
        save_policy(
            webinar=webinar,
            policy=Webinar.RefundPolicy.FULL_UNTIL,
            hours_before=24,
            percent=100,
        )
