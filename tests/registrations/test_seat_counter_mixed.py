"""PostgreSQL: the seat counter stays exact under a mixed concurrent workload.

Starts race for the last seats while, in other threads at the same moment,
organizers cancel and refund paid registrants, two expiry sweeps and the
abandoned checkouts release holds (one of them the same lapsed hold a sweep
takes), a paid checkout is fulfilled and the worker sends the refunds to
Stripe. Afterwards the counter, its recount and the exact seat count agree.
"""

import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from payments.models import Refund
from registrations.capacity import seats_taken
from registrations.checkout import release_expired_holds, release_registration
from registrations.fulfilment import fulfil_checkout
from registrations.models import Registrant, SeatCount, SeatHold
from registrations.refunds.ledger import new_refund_token
from registrations.refunds.organizer_actions import perform_action
from registrations.registration import WebinarFull, start_registration
from tests.registrations.checkout_support import make_paid_webinar, run_refund_tasks
from tests.registrations.refund_support import register_and_pay
from tests.seat_counters import counter_mismatches

SEATS = 20
STARTERS = 25
Status = Registrant.Status


def start(webinar, n: int) -> Registrant:
    return start_registration(
        webinar=webinar,
        first_name="Racer",
        last_name=str(n),
        email=f"racer{n}@example.com",
        answers={},
        base_url="http://testserver/",
    ).registrant


def at_once(jobs: list[tuple[str, Callable[[], object]]]) -> list[str]:
    """Run each job in its own thread, all released together; return outcomes."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(label: str, job: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            try:
                job()
                outcome = label
            except WebinarFull:
                outcome = "full"
            except Exception as error:  # noqa: BLE001 - reported below
                outcome = f"error in {label}: {error!r}"
            with lock:
                outcomes.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def refund_worker(expected: int) -> None:
    """Send requested refunds to Stripe until `expected` succeeded (30 s at most)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        run_refund_tasks()
        done = Refund.objects.filter(status=Refund.Status.SUCCEEDED).count()
        if done >= expected:
            return
        time.sleep(0.05)


def organizer_action(registrant: Registrant, action: str) -> Callable[[], object]:
    return lambda: perform_action(
        registrant=Registrant.objects.get(pk=registrant.pk),
        action=action,
        amount=None,
        token=new_refund_token(),
        requested_by=None,
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_starts_cancellations_refunds_and_sweeps_at_once_keep_the_count_exact(
    organizer, stripe_sandbox
):
    webinar = make_paid_webinar(
        owner=organizer, stripe_account=stripe_sandbox.demo_account
    )
    webinar.registration_limit = SEATS
    webinar.save(update_fields=["registration_limit"])
    paid = [
        register_and_pay(
            sandbox=stripe_sandbox, webinar=webinar, email=f"paid{n}@example.com"
        )
        for n in range(3)
    ]
    pending = [start(webinar, 100 + n) for n in range(6)]
    # Three holds lapsed, not swept yet; the sixth checkout is paid at Stripe
    # and waits for its fulfilment.
    SeatHold.objects.filter(registrant__in=pending[:3]).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    pending[5].payment.refresh_from_db()
    assert stripe_sandbox.pay(pending[5].payment.checkout_session_id).status in (
        302,
        303,
    )
    assert SeatCount.objects.get(webinar=webinar).taken == 9

    checkout = pending[5].payment.checkout_session_id
    account = stripe_sandbox.demo_account
    jobs = [
        ("refunded", organizer_action(paid[0], "cancel_full")),
        ("refunded", organizer_action(paid[1], "cancel_full")),
        ("cancelled", organizer_action(paid[2], "cancel_only")),
        ("swept", release_expired_holds),
        ("swept", release_expired_holds),
        (
            "released",
            lambda: release_registration(registrant=pending[2], expire_at_stripe=False),
        ),
        (
            "released",
            lambda: release_registration(registrant=pending[3], expire_at_stripe=False),
        ),
        (
            "fulfilled",
            lambda: fulfil_checkout(checkout_session_id=checkout, account=account),
        ),
        ("worker", lambda: refund_worker(2)),
    ]
    jobs += [("held", lambda n=n: start(webinar, n)) for n in range(STARTERS)]
    outcomes = at_once(jobs)

    assert not [o for o in outcomes if o.startswith("error")], outcomes
    run_refund_tasks()  # what the worker thread had not seen yet
    held = outcomes.count("held")
    assert held + outcomes.count("full") == STARTERS
    # Refused only when 6 seats not yet given back plus the new holds filled
    # the webinar; at the end 2 of the 9 are left, and nothing is oversold.
    assert SEATS - 6 <= held <= SEATS - 2
    statuses = [Registrant.objects.get(pk=r.pk).status for r in paid + pending]
    assert statuses == [
        Status.REFUNDED,
        Status.REFUNDED,
        Status.CANCELLED,
        *[Status.EXPIRED] * 4,
        Status.PENDING,
        Status.CONFIRMED,
    ]
    counter = SeatCount.objects.get(webinar=webinar).taken
    assert counter == SeatCount.recount(webinar.pk, None)
    assert counter == seats_taken(webinar=webinar) == 2 + held
    assert counter_mismatches() == []
