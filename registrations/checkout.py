"""Checkout: open it for a held seat, release or expire it, and the sweeps.

Stripe is called only after the hold's transaction commits, never under a
lock. Seat holds last settings.SEAT_HOLD_MINUTES (31): the Checkout Session
expires at the hold's expiry, and Stripe refuses an `expires_at` less than 30
minutes ahead of its own clock, so one minute of margin keeps the request
valid. Two sweeps (Celery beat) release holds nobody paid for and ask Stripe
about checkouts whose webhook never came.
"""

import logging
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Case, IntegerField, Q, Value, When
from django.urls import reverse
from django.utils import timezone

from config.busy import is_busy
from payments import gateway
from payments.models import Payment
from registrations import start_sql
from registrations.capacity import release_seat
from registrations.emails.endings import tell_checkout_ended
from registrations.fulfilment import PROCESSING_RECHECK, fulfil_checkout
from registrations.models import Registrant, SeatHold
from registrations.purchase import format_moment
from registrations.tokens import checkout_cancel_token
from webinars.models import Webinar

logger = logging.getLogger(__name__)

Status = Registrant.Status
# Stripe's own expiry and webhook get this long before the sweep asks Stripe.
RECONCILE_GRACE = timedelta(minutes=2)
RECONCILE_BATCH = 100
STRIPE_LOCALES = {"en", "fr"}
OPEN_PAYMENT = (Payment.Status.CREATED, Payment.Status.OPEN)


def stripe_locale(language: str) -> str:
    """Return the Checkout locale for a language, or "auto"."""
    short = (language or "").split("-")[0].lower()
    return short if short in STRIPE_LOCALES else "auto"


def application_fee(amount: int) -> int | None:
    """Return the platform's fee on an amount, or None when there is none."""
    percent = getattr(settings, "STRIPE_APPLICATION_FEE_PERCENT", 0) or 0
    return amount * percent // 100 or None


def open_checkout(
    *, registrant: Registrant, base_url: str, others: tuple[Registrant, ...] = ()
) -> str:
    """Create the Checkout Session of a held registration; return its URL.

    Call it after the hold's transaction committed: it talks to Stripe.
    `others`: the registrants of the other sessions the same payment is for
    (a series), one line item each.
    """
    payment = registrant.payment
    assert payment is not None  # noqa: S101 - only paid registrants get here
    webinar = registrant.webinar
    base = base_url.rstrip("/")
    key = webinar.registration_key
    success = reverse("registrations:checkout_success", args=[key])
    cancel = reverse("registrations:checkout_cancelled", args=[key])
    checkout = gateway.create_checkout_session(
        account=payment.stripe_account_id,
        amount=payment.amount,
        currency=payment.currency,
        name=webinar.title,
        items=_line_items([registrant, *others], webinar) if others else None,
        customer_email=registrant.email,
        client_reference_id=str(registrant.pk),
        metadata={
            "registrant": str(registrant.pk),
            "webinar": str(webinar.pk),
            "payment": str(payment.pk),
        },
        success_url=f"{base}{success}?session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=f"{base}{cancel}?r={checkout_cancel_token(registrant)}",
        expires_at=int(payment.expires_at.timestamp()),
        locale=stripe_locale(registrant.language),
        idempotency_key=payment.idempotency_key,
        application_fee_amount=application_fee(payment.amount),
    )
    # A webhook may already have moved the status on: only a created payment
    # opens, and the rare other one keeps its status (one plain statement).
    start_sql.record_checkout(
        payment_id=payment.pk, session_id=checkout.id, url=checkout.url or ""
    )
    payment.checkout_session_id = checkout.id
    payment.checkout_url = checkout.url or ""
    if payment.status == Payment.Status.CREATED:
        payment.status = Payment.Status.OPEN
    return checkout.url or ""


def _line_items(
    registrants: list[Registrant], webinar: Webinar
) -> list[tuple[str, int]]:
    """Return one line item per session a series checkout pays for."""
    return [
        (f"{webinar.title} – {_session_name(row, webinar)}", row.amount)
        for row in registrants
    ]


def _session_name(registrant: Registrant, webinar: Webinar) -> str:
    """The session's start as the registrant reads it on our pages and emails."""
    if registrant.session is None:
        return ""
    return format_moment(registrant.session.starts_at, webinar, registrant.language)


def release_registration(
    *, registrant: Registrant, expire_at_stripe: bool, tell: bool = False
) -> bool:
    """Give a held seat back (checkout abandoned or expired); True if released.

    With `expire_at_stripe`, the Checkout Session is expired after commit so it
    can no longer be paid; a payment that slips through anyway is fulfilled or
    refunded by `fulfil_checkout`. With `tell` (the hold ran out, the
    registrant did not leave), the checkout-expired email is queued. A
    checkout of several sessions is released whole: every registrant it holds
    a seat for.
    """
    with transaction.atomic():
        payment = None
        rows = Registrant.objects.filter(pk=registrant.pk)
        if registrant.payment_id:
            payment = Payment.objects.lock(registrant.payment_id)
            rows = Registrant.objects.filter(payment_id=payment.pk)
        pending = [
            row
            for row in rows.select_for_update().order_by("pk")
            if row.status == Status.PENDING
        ]
        if registrant.pk not in {row.pk for row in pending}:
            return False
        if payment is not None and payment.status not in OPEN_PAYMENT:
            # Processing or paid: the money decides, not the abandoned page.
            return False
        for locked in pending:
            release_seat(locked)
        if tell:
            tell_checkout_ended(registrant=pending[0], failed=False)
        if payment is not None and not payment.checkout_session_id:
            # Stripe never answered: nothing there can be paid through us.
            payment.status = Payment.Status.EXPIRED
            payment.save(update_fields=["status"])
        if expire_at_stripe and payment is not None and payment.checkout_session_id:
            transaction.on_commit(
                lambda pk=payment.pk: expire_checkout(payment_id=pk), robust=True
            )
    registrant.refresh_from_db()
    return True


def expire_checkout(*, payment_id: int) -> None:
    """Expire the payment's Checkout Session at Stripe and record what it says."""
    payment = Payment.objects.get(pk=payment_id)
    if payment.status not in OPEN_PAYMENT or not payment.checkout_session_id:
        return
    try:
        gateway.expire_checkout_session(
            account=payment.stripe_account_id, session_id=payment.checkout_session_id
        )
    except gateway.GatewayError as error:
        # Already complete (or Stripe is down): the reconcile sweep decides later.
        logger.info("Could not expire %s: %s", payment.checkout_session_id, error)
    try:
        fulfil_checkout(
            checkout_session_id=payment.checkout_session_id,
            account=payment.stripe_account_id,
        )
    except gateway.GatewayError as error:
        logger.info("Could not re-read %s: %s", payment.checkout_session_id, error)


def release_expired_holds(*, now: Any = None) -> int:
    """Release holds past their expiry whose payment never started; return count."""
    now = now or timezone.now()
    registrant_ids = list(
        SeatHold.objects.filter(
            released_at__isnull=True,
            consumed_at__isnull=True,
            expires_at__lte=now,
            registrant__status=Status.PENDING,
        )
        .filter(
            Q(registrant__payment__isnull=True)
            | Q(registrant__payment__status__in=OPEN_PAYMENT)
        )
        .values_list("registrant_id", flat=True)[:1000]
    )
    released = 0
    for registrant in Registrant.objects.filter(pk__in=registrant_ids):
        try:
            if release_registration(
                registrant=registrant, expire_at_stripe=False, tell=True
            ):
                released += 1
        except DatabaseError as error:
            # A lock not granted in time (config/busy.py): the next run
            # (a minute later) tries again; the others go on now.
            if not is_busy(error):
                raise
            logger.warning("Release of registrant %s put off: %s", registrant.pk, error)
    return released


def reconcile_checkouts(*, now: Any = None) -> int:
    """Ask Stripe about checkouts past expiry still open or processing here.

    A lost or late webhook thus loses nothing: paid sessions are fulfilled
    (or refunded), expired ones close. Return how many were looked at.
    """
    now = now or timezone.now()
    cutoff = now - RECONCILE_GRACE
    # Open payments (a lost webhook) first: processing ones wait on a bank.
    stale = (
        Payment.objects.filter(
            status__in=[*OPEN_PAYMENT, Payment.Status.PROCESSING],
            expires_at__lte=cutoff,
        )
        .annotate(
            processing=Case(
                When(status=Payment.Status.PROCESSING, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("processing", "expires_at", "pk")[:RECONCILE_BATCH]
    )
    seen = 0
    for payment in stale:
        seen += 1
        if payment.status == Payment.Status.PROCESSING:
            # Looked at now: asked again later whatever Stripe answers.
            Payment.objects.filter(
                pk=payment.pk, status=Payment.Status.PROCESSING
            ).update(expires_at=now + PROCESSING_RECHECK)
        if not payment.checkout_session_id:
            Payment.objects.filter(pk=payment.pk, status__in=OPEN_PAYMENT).update(
                status=Payment.Status.EXPIRED
            )
            continue
        try:
            fulfil_checkout(
                checkout_session_id=payment.checkout_session_id,
                account=payment.stripe_account_id,
            )
        except gateway.GatewayError as error:
            logger.warning(
                "Reconcile of %s failed: %s", payment.checkout_session_id, error
            )
        except DatabaseError as error:
            # A lock not granted in time: the next run asks again.
            if not is_busy(error):
                raise
            logger.warning(
                "Reconcile of %s put off: %s", payment.checkout_session_id, error
            )
    return seen


@shared_task(name="registrations.tasks.release_expired_holds", ignore_result=True)
def release_expired_holds_task() -> int:
    """Release seat holds whose checkout was never paid (every minute)."""
    return release_expired_holds()


@shared_task(name="registrations.tasks.reconcile_checkouts", ignore_result=True)
def reconcile_checkouts_task() -> int:
    """Ask Stripe about checkouts past expiry, so a lost webhook loses nothing."""
    return reconcile_checkouts()
