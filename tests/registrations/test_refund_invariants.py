"""Refunds never exceed what was paid, whatever mix of actions and events."""

import contextlib
import random
from datetime import timedelta

import pytest

from payments.models import Payment, Refund
from registrations.approval import deny_registrant
from registrations.models import Registrant
from registrations.refunds.ledger import RefundError, committed_amount, new_refund_token
from registrations.refunds.organizer_actions import Action, perform_action
from registrations.refunds.stripe_sync import retry_requested_refunds
from tests.registrations.checkout_support import (
    Webhooks,
    make_paid_webinar,
    register,
    send_refunds,
    session_id_of,
    success_path,
)
from tests.registrations.refund_support import (
    pay_registrant,
    refunded_in_stripe,
)

pytestmark = pytest.mark.django_db


def test_refunds_never_exceed_what_was_paid(
    stripe_sandbox,
    webhook_receiver,
    client,
    webinar,
    django_capture_on_commit_callbacks,
):
    acct = stripe_sandbox.create_account(default_currency="eur")
    registrant = pay_registrant(
        sandbox=stripe_sandbox, webinar=webinar, account=acct, amount=5000
    )
    hooks = Webhooks(stripe_sandbox, webhook_receiver, client)
    rng = random.Random(9)
    payment = registrant.payment
    for step in range(14):
        choice = rng.choice(["ours", "ours", "dashboard", "pending", "settle", "down"])
        amount = rng.randint(1, 2500)
        with django_capture_on_commit_callbacks(execute=True):
            if choice == "dashboard":
                left = 5000 - refunded_in_stripe(payment)
                if left:
                    stripe_sandbox.dashboard_refund(
                        charge=payment.charge_id, amount=min(amount, left)
                    )
            elif choice == "settle":
                for row in Refund.objects.filter(status=Refund.Status.PENDING):
                    outcome = rng.choice(["succeeded", "failed"])
                    stripe_sandbox.settle_refund(row.stripe_refund_id, outcome)
            else:
                stripe_sandbox.refunds_pending(choice == "pending")
                if choice == "down":
                    stripe_sandbox.inject_fault("500", count=3)
                with contextlib.suppress(RefundError):
                    perform_action(
                        registrant=registrant,
                        action="refund_partial",
                        amount=amount,
                        token=new_refund_token(),
                        requested_by=None,
                    )
            hooks.deliver_all()
            if step % 3 == 2:
                retry_requested_refunds(older_than=timedelta(0))
        payment = Payment.objects.get(pk=payment.pk)
        assert committed_amount(payment) <= payment.amount
        assert payment.amount_refunded <= payment.amount
        succeeded = sum(
            r.amount for r in payment.refunds.filter(status=Refund.Status.SUCCEEDED)
        )
        assert succeeded == payment.amount_refunded
    # Settle what is left and compare with Stripe's own count.
    stripe_sandbox.refunds_pending(False)
    with django_capture_on_commit_callbacks(execute=True):
        retry_requested_refunds(older_than=timedelta(0))
        for row in Refund.objects.filter(status=Refund.Status.PENDING):
            stripe_sandbox.settle_refund(row.stripe_refund_id, "succeeded")
        hooks.deliver_all()
    payment.refresh_from_db()
    assert payment.amount_refunded == refunded_in_stripe(payment) <= payment.amount


def test_deny_after_a_pending_partial_refund_never_refunds_more_than_paid(
    client, organizer, stripe_sandbox, django_capture_on_commit_callbacks
):
    webinar = make_paid_webinar(
        owner=organizer, stripe_account=stripe_sandbox.demo_account, approval="manual"
    )
    session_id = session_id_of(register(client, webinar)["Location"])
    stripe_sandbox.pay(session_id)
    client.get(success_path(webinar, session_id))
    registrant = Registrant.objects.get()
    assert registrant.status == Registrant.Status.AWAITING
    # Created but not sent yet: in flight.
    partial = perform_action(
        registrant=registrant,
        action=Action.REFUND_PARTIAL,
        amount=2000,
        token=new_refund_token(),
        requested_by=None,
    )
    assert partial.status == Refund.Status.REQUESTED

    deny_registrant(registrant=registrant)
    send_refunds(django_capture_on_commit_callbacks)

    payment = Payment.objects.get()
    assert sorted(payment.refunds.values_list("amount", flat=True)) == [2000, 3000]
    assert refunded_in_stripe(payment) == 5000
