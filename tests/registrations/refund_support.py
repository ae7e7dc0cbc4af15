"""Helpers of the refund tests: paid registrants on the sandbox, webhook delivery."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from payments import gateway
from payments.connect.connections import connection_for
from payments.models import Payment, Price, Refund, StripeConnection
from registrations.fulfilment import fulfil_checkout
from registrations.models import Registrant
from registrations.refunds.ledger import new_refund_token
from registrations.refunds.organizer_actions import perform_action
from registrations.registration import start_registration
from tests import factories
from tests.registrations.checkout_support import send_refunds
from tests.sandbox_fixtures import SandboxHandle
from webinars.models import Session, Webinar


def pay_registrant(
    *,
    sandbox: SandboxHandle,
    webinar: Webinar,
    account: str,
    amount: int = 5000,
    currency: str = "EUR",
    email: str | None = None,
    session: Session | None = None,
    status: str = Registrant.Status.CONFIRMED,
) -> Registrant:
    """Pay a Checkout Session on the sandbox and record the paid registrant."""
    registrant = Registrant.objects.create(
        webinar=webinar,
        session=session,
        email=email or f"reg{Registrant.objects.count() + 1}@example.com",
        first_name="Regina",
        last_name=f"Payer{Registrant.objects.count() + 1}",
        status=Registrant.Status.PENDING,
        source=Registrant.Source.PAID,
        amount=amount,
        currency=currency,
    )
    payment = Payment.objects.create(
        account=webinar.account,
        webinar=webinar,
        stripe_account_id=account,
        amount=amount,
        currency=currency,
    )
    checkout = factories.open_checkout_session(
        payment,
        name=webinar.title,
        customer_email=registrant.email,
        client_reference_id=str(registrant.pk),
        metadata={"registrant": str(registrant.pk)},
        success_url="http://testserver/paid/?session={CHECKOUT_SESSION_ID}",
        locale="en",
    )
    answer = sandbox.pay(checkout.id)
    assert answer.status in (302, 303), answer.text
    checkout = gateway.retrieve_checkout_session(
        account=account, session_id=checkout.id
    )
    details = gateway.retrieve_payment(
        account=account, payment_intent=checkout.payment_intent
    )
    Payment.objects.filter(pk=payment.pk).update(
        checkout_session_id=checkout.id,
        payment_intent_id=checkout.payment_intent,
        charge_id=details.charge or "",
        stripe_fee=details.stripe_fee,
        stripe_fee_currency=details.stripe_fee_currency or "",
        exchange_rate=details.exchange_rate,
        application_fee=details.application_fee_amount or 0,
        status=Payment.Status.PAID,
        paid_at=timezone.now(),
    )
    Registrant.objects.filter(pk=registrant.pk).update(
        status=status, payment=payment, confirmed_at=timezone.now()
    )
    registrant.refresh_from_db()
    return registrant


def stripe_refunds(payment: Payment) -> list[gateway.RefundResult]:
    """Return the refunds Stripe holds for a payment (the truth to compare with)."""
    return gateway.list_refunds_for_payment(
        account=payment.stripe_account_id, payment_intent=payment.payment_intent_id
    )


def refunded_in_stripe(payment: Payment) -> int:
    """Return what Stripe counts as refunded on the payment's charge."""
    return gateway.retrieve_payment(
        account=payment.stripe_account_id, payment_intent=payment.payment_intent_id
    ).amount_refunded


def our_refunds(payment: Payment) -> list[Refund]:
    return list(Refund.objects.filter(payment=payment).order_by("pk"))


def register_and_pay(
    *, sandbox: SandboxHandle, webinar: Webinar, amount: int = 5000, email: str
) -> Registrant:
    """Register through the product's own flow and pay on the sandbox."""
    connection = connection_for(webinar)
    if connection is None:
        connection = StripeConnection.objects.create(
            account=webinar.account,
            stripe_account_id=sandbox.create_account(default_currency="eur"),
            charges_enabled=True,
            details_submitted=True,
        )
    Price.objects.update_or_create(
        webinar=webinar, defaults={"enabled": True, "amount": amount, "currency": "EUR"}
    )
    started = start_registration(
        webinar=webinar,
        first_name="Paula",
        last_name="Flow",
        email=email,
        answers={},
        base_url="http://testserver",
    )
    payment = started.registrant.payment
    payment.refresh_from_db()
    answer = sandbox.pay(payment.checkout_session_id)
    assert answer.status in (302, 303), answer.text
    fulfil_checkout(
        checkout_session_id=payment.checkout_session_id,
        account=connection.stripe_account_id,
    )
    registrant = Registrant.objects.get(pk=started.registrant.pk)
    assert registrant.status == Registrant.Status.CONFIRMED
    return registrant


def refund_part(registrant: Registrant, *, amount: int, capture: Any) -> Refund | None:
    """Refund part of a payment as the organizer does; let the worker send it."""
    with capture(execute=True):
        refund = perform_action(
            registrant=registrant,
            action="refund_partial",
            amount=amount,
            token=new_refund_token(),
            requested_by=None,
        )
    send_refunds(capture)
    return refund
