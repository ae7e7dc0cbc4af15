"""Two organizers refunding the same registrant at once (PostgreSQL locking)."""

import threading

import pytest
from django.db import connection

from payments.models import Refund
from registrations.refunds.ledger import RefundError, new_refund_token
from registrations.refunds.organizer_actions import perform_action
from tests.registrations.checkout_support import run_refund_tasks
from tests.registrations.refund_support import stripe_refunds


def race(registrant, tokens, amount):
    """Run perform_action from one thread per token, all released at once."""
    barrier = threading.Barrier(len(tokens))
    results: list[object] = []
    lock = threading.Lock()

    def attempt(token):
        try:
            barrier.wait(timeout=10)
            outcome = perform_action(
                registrant=registrant,
                action="refund_partial",
                amount=amount,
                token=token,
                requested_by=None,
            )
        except RefundError as error:
            outcome = error
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=attempt, args=(t,)) for t in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_only_one_of_two_concurrent_refunds_fits(paid):
    registrant = paid
    tokens = [new_refund_token() for _ in range(4)]
    results = race(registrant, tokens, 3000)
    made = [r for r in results if isinstance(r, Refund)]
    refused = [r for r in results if isinstance(r, RefundError)]
    assert len(made) == 1 and len(refused) == 3
    assert "At most €20.00" in refused[0].message
    assert Refund.objects.count() == 1
    # Stripe is asked by the worker, after the organizers' requests.
    assert made[0].status == Refund.Status.REQUESTED
    assert run_refund_tasks() == [Refund.Status.SUCCEEDED]
    assert [r.amount for r in stripe_refunds(registrant.payment)] == [3000]
    registrant.payment.refresh_from_db()
    assert registrant.payment.amount_refunded == 3000


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_click_submitted_twice_at_once_refunds_once(paid):
    registrant = paid
    token = new_refund_token()
    results = race(registrant, [token, token, token], 1000)
    assert all(isinstance(r, Refund) for r in results)
    assert len({r.pk for r in results}) == 1
    assert run_refund_tasks() == [Refund.Status.SUCCEEDED]
    assert [r.amount for r in stripe_refunds(registrant.payment)] == [1000]
