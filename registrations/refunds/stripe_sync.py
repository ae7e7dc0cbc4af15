"""Sending refunds to Stripe and following their status there.

The one way a refund reaches Stripe: `send_after_commit` queues
`submit_refund_task` once the row's transaction commits, and the task calls
Stripe with the row's own idempotency key. Refund rows then follow Stripe
through webhooks (`sync_refund`), including refunds made in the Stripe
dashboard, recorded as external refunds.
"""

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from celery import Task, shared_task
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from payments import gateway
from payments.models import Payment, Refund
from registrations import hooks
from registrations.emails.outbox import queue_email
from registrations.models import RefundRequest, RefundShare, Registrant
from registrations.refunds.ledger import (
    ACTIVE_REGISTRANT,
    STRIPE_STATUSES,
    create_refund,
    find_payment,
)
from registrations.refunds.notices import notify_refund_failed

logger = logging.getLogger(__name__)

RETRY_DELAY_SECONDS = 60


def retrying_task(*, name: str, max_retries: int) -> Callable:
    """Declare a bound task that retries while Stripe has not taken its work.

    Acknowledged late, so a worker lost mid-run leaves the message queued.
    """
    return shared_task(name=name, bind=True, max_retries=max_retries, acks_late=True)


def retry_while(task: Task, *, pending: bool) -> None:
    """Retry `task` in a minute while its work is still pending."""
    if pending:
        raise task.retry(countdown=RETRY_DELAY_SECONDS)


def send_after_commit(refund: Refund) -> None:
    """Queue the Stripe call of a refund once the transaction commits."""
    refund_id = refund.pk
    transaction.on_commit(lambda: submit_refund_task.delay(refund_id), robust=True)


def create_and_send(**fields: Any) -> Refund:
    """Create a refund (see ledger.create_refund) and, if new, send it after commit.

    A second call with the same idempotency key returns the first row and
    sends nothing more.
    """
    refund, created = create_refund(**fields)
    if created:
        send_after_commit(refund)
    return refund


@retrying_task(name="registrations.tasks_refunds.submit_refund_task", max_retries=30)
def submit_refund_task(self: Task, refund_id: int) -> str:
    """Send one requested refund to Stripe; retry while Stripe is unavailable."""
    refund = submit_refund(refund_id=refund_id)
    retry_while(self, pending=refund.status == refund.Status.REQUESTED)
    return refund.status


@shared_task(name="registrations.tasks_refunds.retry_requested_refunds")
def retry_requested_refunds_task() -> int:
    """Periodically resubmit refunds that Stripe could not take yet."""
    return retry_requested_refunds()


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
            idempotency_key=refund.stripe_idempotency_key,
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
                    stripe_refund=as_refund_dict(made),
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
            stripe_refund=as_refund_dict(result),
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


def as_refund_dict(result: gateway.RefundResult) -> dict:
    """Return a refund from the gateway in the shape of Stripe's refund object."""
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
    payment = find_payment(
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
        refund, _created = create_refund(
            payment=payment,
            amount=int(stripe_refund["amount"]),
            reason_kind=Refund.ReasonKind.STRIPE_DASHBOARD,
            stripe_refund_id=stripe_id,
            external=True,
            idempotency_key=f"stripe-{stripe_id}",
        )
    elif not refund.stripe_refund_id:
        refund.stripe_refund_id = stripe_id
        refund.save(update_fields=["stripe_refund_id", "updated_at"])
    status = stripe_refund.get("status")
    moved = status in STRIPE_STATUSES and _apply_status(
        refund,
        status,
        failure_reason=stripe_refund.get("failure_reason") or "",
    )
    _refresh_payment(payment.pk)
    if refund.status == Refund.Status.SUCCEEDED:
        _settle_requests(refund)
    if moved and refund.status == Refund.Status.SUCCEEDED:
        _announce_refunded(refund)
    return refund


def _announce_refunded(refund: Refund) -> None:
    """Tell the hook's receivers, once per refund, that Stripe refunded it."""
    registrant = (
        Registrant.objects.select_related("webinar__account", "payment")
        .filter(payment_id=refund.payment_id)
        .first()
    )
    if registrant is not None:
        hooks.announce(hooks.registrant_refunded_handlers, registrant, refund)


def _int_or_none(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


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
    # A share's refund is told to its registrant; else the payment's first.
    share = RefundShare.objects.filter(refund=refund).select_related("registrant")
    registrant = next((row.registrant for row in share), None) or (
        Registrant.objects.filter(payment_id=refund.payment_id).order_by("pk").first()
    )
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
    registrants = list(
        Registrant.objects.select_for_update().filter(payment_id=payment.pk)
    )
    full = payment.amount_refunded >= payment.amount
    if not full and len(registrants) < 2:
        return
    for registrant in registrants:
        if not full and not _share_refunded(registrant, refunds):
            continue
        if registrant.status == Registrant.Status.CANCELLED:
            registrant.status = Registrant.Status.REFUNDED
            registrant.save(update_fields=["status"])
        elif (
            full
            and registrant.status in ACTIVE_REGISTRANT
            and refunds.filter(external=True).exists()
        ):
            # Refunded in full from the Stripe dashboard: the seat goes with
            # the money.
            registrant.status = Registrant.Status.REFUNDED
            registrant.cancelled_at = timezone.now()
            registrant.save(update_fields=["status", "cancelled_at"])


def _settle_requests(refund: Refund) -> None:
    """Close the open refund requests a succeeded refund leaves nothing to answer.

    A registrant refunded in full by any path (the webinar or session
    cancelled, the organizer's refund, Stripe's dashboard, a bulk refund)
    has no request waiting any more: it is settled by that refund.
    """
    requests = list(
        RefundRequest.objects.select_for_update()
        .filter(
            registrant__payment_id=refund.payment_id,
            outcome=RefundRequest.Outcome.OPEN,
        )
        .select_related("registrant")
    )
    if not requests:
        return
    payment = Payment.objects.get(pk=refund.payment_id)
    full = payment.amount_refunded >= payment.amount
    refunds = payment.refunds.filter(status=Refund.Status.SUCCEEDED)
    for request in requests:
        if full or _share_refunded(request.registrant, refunds):
            request.outcome = RefundRequest.Outcome.SETTLED
            request.answered_at = timezone.now()
            request.refund = refund
            request.save(update_fields=["outcome", "answered_at", "refund"])


def _share_refunded(registrant: Registrant, refunds: QuerySet) -> bool:
    """Tell whether a shared payment's refunds cover this registrant's share."""
    done = refunds.filter(share__registrant=registrant).aggregate(total=Sum("amount"))[
        "total"
    ]
    return (done or 0) >= registrant.amount


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
