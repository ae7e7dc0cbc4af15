"""Refund notices: one email per refund, never two for the same news."""

import pytest
from django.core import mail

from payments.models import Refund
from registrations.approval import deny_registrant
from registrations.emails import sending as emails
from registrations.models import Registrant
from registrations.refunds.stripe_sync import submit_refund
from tests.registrations.checkout_support import (
    pay_a_wrong_amount,
    register,
    send_refunds,
    session_id_of,
)

pytestmark = pytest.mark.django_db


def mail_to(address: str) -> list[str]:
    """Return the subjects of the messages sent to `address`."""
    return [m.subject for m in mail.outbox if address in m.to]


def deliver_everything(webhooks) -> None:
    """Post every webhook the sandbox sent (checkout and refund events)."""
    deliveries = webhooks.collect(prefix="")
    while deliveries:
        assert set(webhooks.deliver(deliveries)) == {200}
        deliveries = webhooks.collect(prefix="")


def test_auto_refunded_registrant_gets_exactly_one_email(
    client,
    paid_webinar,
    stripe_sandbox,
    webhooks,
    django_capture_on_commit_callbacks,
):
    # Refunded automatically.
    pay_a_wrong_amount(client, paid_webinar, stripe_sandbox)

    with django_capture_on_commit_callbacks(execute=True):
        deliver_everything(webhooks)
    send_refunds(django_capture_on_commit_callbacks)
    emails.send_due_emails()

    refund = Refund.objects.get()
    assert refund.status == Refund.Status.SUCCEEDED
    assert not refund.notify_registrant
    registrant = Registrant.objects.get()
    assert registrant.status in (
        Registrant.Status.CANCELLED,
        Registrant.Status.REFUNDED,
    )
    assert "refund" not in registrant.emails.values_list("kind", flat=True)
    assert len(mail_to(registrant.email)) == 1


def test_denied_registrant_gets_the_denial_and_no_second_refund_email(
    client,
    paid_webinar,
    stripe_sandbox,
    webhooks,
    django_capture_on_commit_callbacks,
):
    paid_webinar.approval = "manual"
    paid_webinar.save()
    session_id = session_id_of(register(client, paid_webinar)["Location"])
    stripe_sandbox.pay(session_id)
    deliver_everything(webhooks)
    registrant = Registrant.objects.get()
    assert registrant.status == Registrant.Status.AWAITING
    emails.send_due_emails()
    before = len(mail_to(registrant.email))

    with django_capture_on_commit_callbacks(execute=True):
        deny_registrant(registrant=registrant)
    send_refunds(django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        deliver_everything(webhooks)
    emails.send_due_emails()

    assert Refund.objects.get().status == Refund.Status.SUCCEEDED
    assert "refund" not in registrant.emails.values_list("kind", flat=True)
    assert len(mail_to(registrant.email)) == before + 1


def test_a_refund_made_by_the_organizer_still_gets_its_notice(
    client,
    paid_webinar,
    stripe_sandbox,
    webhooks,
    django_capture_on_commit_callbacks,
):
    stripe_sandbox.pay(session_id_of(register(client, paid_webinar)["Location"]))
    deliver_everything(webhooks)
    registrant = Registrant.objects.get()
    payment = registrant.payment
    refund = Refund.objects.create(
        payment=payment, amount=1000, idempotency_key=f"refund-test-{payment.pk}"
    )
    with django_capture_on_commit_callbacks(execute=True):
        submit_refund(refund_id=refund.pk)
        deliver_everything(webhooks)

    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    assert "refund" in registrant.emails.values_list("kind", flat=True)
