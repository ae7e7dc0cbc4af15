"""Stripe disconnected with a checkout open: webhooks answer 200, seat and code back."""

from datetime import timedelta

import pytest
from django.utils import timezone

from payments.connect.disconnect import disconnect_stripe
from payments.models import Payment, StripeConnection, StripeEvent
from registrations.capacity import seats_taken
from registrations.checkout import reconcile_checkouts
from registrations.models import Registrant
from tests import factories
from tests.registrations.checkout_support import (
    register,
    session_id_of,
    success_path,
)
from tests.sandbox_fixtures import ASYNC_CARD

pytestmark = pytest.mark.django_db


@pytest.fixture
def code(paid_webinar):
    return factories.DiscountCodeFactory(
        webinar=paid_webinar, code="HALF", amount=2500, max_uses=1
    )


def open_checkout_with_code(client, webinar, code) -> str:
    """Register with the code; return the open session's id."""
    session_id = session_id_of(
        register(client, webinar, discount_code="HALF")["Location"]
    )
    code.refresh_from_db()
    assert code.uses == 1
    assert seats_taken(webinar=webinar) == 1
    return session_id


def assert_state(code, status: str, payment_status: str, uses: int) -> None:
    registrant = Registrant.objects.get()
    assert (registrant.status, registrant.payment.status) == (status, payment_status)
    code.refresh_from_db()
    assert code.uses == uses


def assert_closed(webinar, code) -> None:
    assert_state(code, Registrant.Status.EXPIRED, Payment.Status.EXPIRED, 0)
    assert seats_taken(webinar=webinar) == 0
    assert not StripeEvent.objects.filter(processed_at__isnull=True).exists()


def test_account_unlinked_on_stripe_then_session_expiry_answers_200_and_frees_seat(
    client, paid_webinar, stripe_sandbox, webhooks, code
):
    session_id = open_checkout_with_code(client, paid_webinar, code)
    webhooks.skip()

    # The organizer unlinks Tessera in the Stripe dashboard; later Stripe
    # expires the session, and the platform may no longer read it (403).
    stripe_sandbox.deauthorize(stripe_sandbox.demo_account)
    stripe_sandbox.expire(session_id)
    answers = webhooks.deliver_all()

    assert answers == [
        ("account.application.deauthorized", 200),
        ("checkout.session.expired", 200),
    ]
    assert_closed(paid_webinar, code)


def test_console_disconnect_with_open_checkout_answers_200_and_frees_seat(
    client, paid_webinar, stripe_sandbox, webhooks, code
):
    open_checkout_with_code(client, paid_webinar, code)
    webhooks.skip()

    disconnect_stripe(connection=StripeConnection.objects.get(), user=None)
    answers = dict(webhooks.deliver_all())

    assert answers["checkout.session.expired"] == 200
    assert_closed(paid_webinar, code)


def test_reconcile_sweep_closes_a_checkout_of_a_revoked_account(
    client, paid_webinar, stripe_sandbox, webhooks, code
):
    open_checkout_with_code(client, paid_webinar, code)
    stripe_sandbox.deauthorize(stripe_sandbox.demo_account)
    # Past its expiry and the sweep's grace: the webhook never came.
    Payment.objects.update(expires_at=timezone.now() - timedelta(minutes=5))

    assert reconcile_checkouts() == 1

    assert_state(code, Registrant.Status.EXPIRED, Payment.Status.EXPIRED, 0)


def test_paid_session_of_a_revoked_account_is_settled_from_the_signed_event(
    client, paid_webinar, stripe_sandbox, webhooks, code
):
    session_id = open_checkout_with_code(client, paid_webinar, code)
    stripe_sandbox.pay(session_id)
    stripe_sandbox.deauthorize(stripe_sandbox.demo_account)
    answers = webhooks.deliver_all()

    assert {status for _type, status in answers} == {200}
    assert [t for t, _status in answers if t.startswith("checkout.")] == [
        "checkout.session.completed"
    ]
    assert_state(code, Registrant.Status.CONFIRMED, Payment.Status.PAID, 1)


def test_processing_payment_of_a_revoked_account_is_flagged_and_left_alone(
    client, paid_webinar, stripe_sandbox, code
):
    session_id = open_checkout_with_code(client, paid_webinar, code)
    stripe_sandbox.pay(session_id, card=ASYNC_CARD)
    client.get(success_path(paid_webinar, session_id))
    stripe_sandbox.deauthorize(stripe_sandbox.demo_account)
    Payment.objects.update(expires_at=timezone.now() - timedelta(minutes=5))

    assert reconcile_checkouts() == 1

    payment = Payment.objects.get()
    assert payment.status == Payment.Status.PROCESSING
    assert "disconnected" in payment.flagged_reason
    # Stripe will not answer about it: the sweep stops asking.
    assert reconcile_checkouts() == 0
