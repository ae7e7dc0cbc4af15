"""Stripe idempotency keys are unique to the installation that sends them."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction

from payments.models import Installation, Payment, Refund
from registrations.checkout import open_checkout
from registrations.models import Registrant
from tests.registrations.checkout_support import register, session_id_of

pytestmark = pytest.mark.django_db


def test_keys_carry_the_installation_id_and_stay_stable():
    key = Installation.idempotency_key("checkout-7")
    token = Installation.objects.get().token

    assert key == f"tessera-{token}-checkout-7"
    assert len(token) == 16
    assert Installation.idempotency_key("checkout-7") == key
    assert Installation.objects.count() == 1


def test_the_token_is_read_once_per_process(django_assert_num_queries):
    Installation.idempotency_key("checkout-1")

    with django_assert_num_queries(0):
        Installation.idempotency_key("checkout-2")


def test_a_reset_installation_sends_other_keys_for_the_same_rows(paid):
    payment = paid.payment
    refund = Refund(payment=payment, amount=100, idempotency_key="self-cancel-1")
    before = (payment.idempotency_key, refund.stripe_idempotency_key)

    Installation.objects.all().delete()
    Installation.forget_token()  # the processes restarted on the new database

    after = (payment.idempotency_key, refund.stripe_idempotency_key)
    token = Installation.objects.get().token
    assert all(token in key for key in after)
    assert before[0] != after[0]
    assert before[1] != after[1]


def test_another_installation_with_the_same_payment_pk_gets_no_idempotency_error(
    client, paid_webinar, stripe_sandbox
):
    first = session_id_of(register(client, paid_webinar)["Location"])
    registrant = Registrant.objects.get()

    # Another installation (or this one after a database reset) on the same
    # platform account: same payment pk, other parameters.
    Installation.objects.all().delete()
    Installation.forget_token()
    Payment.objects.update(amount=4000, checkout_session_id=None)
    registrant.refresh_from_db()

    url = open_checkout(registrant=registrant, base_url="http://testserver")

    second = session_id_of(url)
    assert second != first
    assert stripe_sandbox.object(second)["amount_total"] == 4000


@pytest.mark.postgres
def test_racing_first_uses_agree_on_one_installation_id(transactional_db):
    barrier = threading.Barrier(4)

    def first_use(_racer: int) -> str:
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                return Installation.idempotency_key("checkout-1")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        keys = list(pool.map(first_use, range(4), timeout=30))

    assert len(set(keys)) == 1
    assert Installation.objects.count() == 1
