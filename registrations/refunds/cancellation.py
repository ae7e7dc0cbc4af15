"""Cancelling a session or a whole webinar, and refunding who it concerns.

The cancellation and its Refund rows are written in one transaction; the
refunds then go to Stripe from `run_cancellation_refunds`, a task that
resumes where it stopped when it runs again.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from celery import Task
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from payments.models import Payment, Refund
from payments.money import format_money
from registrations import hooks
from registrations.checkout import OPEN_PAYMENT, release_registration
from registrations.emails.outbox import queue_email
from registrations.models import Registrant, SeatHold
from registrations.refunds.ledger import (
    ACTIVE_REGISTRANT,
    RefundError,
    create_refund,
    is_paid,
    refundable_amount,
    share_key,
    share_summary,
)
from registrations.refunds.organizer_actions import cancel_registrant
from registrations.refunds.stripe_sync import (
    retry_while,
    retrying_task,
    submit_refund,
)
from registrations.waitlist.cancelled import close_waitlist, count_closing
from webinars.models import Session, Webinar


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
    # People in the line it closes (waiting, or with an open offer).
    waitlisted: int = 0

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
            share = share_summary(registrant)
            remaining = share.refundable
            if mode == RefundMode.FULL:
                amount = remaining
            elif mode == RefundMode.PRORATE and total:
                amount = min(share.amount * left // total, remaining)
            totals[currency] += amount
        preview.rows.append(AffectedRegistrant(registrant, amount, currency))
    preview.totals = dict(totals)
    closes, line = closed_waitlist(webinar=webinar, session=session, cancels=cancels)
    if closes:
        preview.waitlisted = count_closing(webinar=webinar, session=line)
    return preview


def closed_waitlist(
    *, webinar: Webinar, session: Session | None, cancels: bool
) -> tuple[bool, Session | None]:
    """Whether a cancellation closes a waitlist, and which one.

    A series' session has its own line; otherwise the webinar's lines close
    with the webinar (`cancels`: the registrations end, the last session or
    the whole webinar). The session returned is None for every line.
    """
    if session is not None and webinar.is_series:
        return True, session
    return cancels, None


def cancel_webinar(
    *,
    webinar: Webinar,
    session: Session | None = None,
    mode: str = RefundMode.FULL,
    requested_by: object | None = None,
) -> str:
    """Cancel a session or the whole webinar; refunds go out in the background.

    In one transaction: mark it cancelled, cancel the registrations, close
    its waitlist (registrations.waitlist.cancelled), queue the emails and
    create one Refund row per paid registrant with a deterministic
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
            hooks.announce(hooks.webinar_cancelled_handlers, webinar)
        if session is not None:
            session.cancelled_at = now
            session.save(update_fields=["cancelled_at"])
            SeatHold.objects.filter(session=session, released_at__isnull=True).update(
                released_at=now
            )
        _close_open_checkouts(webinar=webinar, session=session)
        closes, line = closed_waitlist(
            webinar=webinar, session=session, cancels=preview.cancels_registrations
        )
        if closes:
            close_waitlist(webinar=webinar, session=line)
        key = batch_key(webinar=webinar, session=session)
        cancelled_by = (
            hooks.CANCELLED_WITH_WEBINAR
            if webinar.cancelled_at is not None
            else hooks.CANCELLED_WITH_SESSION
        )
        for row in preview.rows:
            registrant = row.registrant
            payment = None
            if row.refund_amount > 0:
                payment = Payment.objects.lock(registrant.payment_id)
            # Shares of one payment never add up past what remains of it.
            amount = (
                min(row.refund_amount, refundable_amount(payment)) if payment else 0
            )
            if amount > 0:
                create_refund(
                    payment=payment,
                    amount=amount,
                    reason_kind=Refund.ReasonKind.WEBINAR_CANCELLED,
                    requested_by=requested_by,
                    idempotency_key=f"{key}{share_key(registrant)}",
                    registrant=registrant,
                )
            if preview.cancels_registrations:
                cancel_registrant(registrant, by=cancelled_by, session=session)
            else:
                queue_email(registrant=registrant, kind="cancelled", session=session)
        transaction.on_commit(lambda: run_cancellation_refunds.delay(key), robust=True)
    return key


def _close_open_checkouts(*, webinar: Webinar, session: Session | None) -> None:
    """Release the holds of checkouts in the cancelled scope; expire them after commit.

    Their Checkout Sessions could otherwise still be paid. A session already
    complete at Stripe is fulfilled, then refunded because the webinar is cancelled.
    """
    pending = Registrant.objects.filter(
        webinar=webinar,
        status=Registrant.Status.PENDING,
        payment__status__in=OPEN_PAYMENT,
    )
    if webinar.cancelled_at is None:
        if session is None or not webinar.is_series:
            # One session of an all-sessions webinar: the others still run.
            return
        pending = pending.filter(session=session)
    for registrant in pending.order_by("pk"):
        release_registration(registrant=registrant, expire_at_stripe=True)


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


@retrying_task(
    name="registrations.tasks_refunds.run_cancellation_refunds", max_retries=60
)
def run_cancellation_refunds(self: Task, key: str) -> int:
    """Send the refunds of a cancellation; a rerun resumes where it stopped."""
    remaining = send_cancellation_refunds(key=key)
    retry_while(self, pending=remaining > 0)
    return remaining
