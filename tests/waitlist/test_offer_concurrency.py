"""PostgreSQL: seats freed at once never make more open offers than free seats."""

import threading
from collections.abc import Callable

import pytest
from django.db import connection, transaction

from registrations.capacity import seats_taken
from registrations.models import Registrant, WaitlistEntry
from registrations.refunds.organizer_actions import cancel_registrant
from registrations.registration import WebinarFull, start_registration
from registrations.waitlist.accept import accept_offer
from registrations.waitlist.offers import offer_free_seats
from tests.waitlist.support import full_webinar, line_up

WAITING = 12


def race(jobs: list[Callable[[], object]]) -> list[str]:
    """Run every job in its own thread at once; return what each ended with."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(job: Callable[[], object]) -> None:
        try:
            barrier.wait()
            try:
                job()
                outcome = "ok"
            except WebinarFull:
                outcome = "full"
            except Exception as error:  # noqa: BLE001 - reported below
                outcome = f"error: {error!r}"
            with lock:
                outcomes.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def cancel(registrant_id: int) -> Callable[[], None]:
    def job() -> None:
        with transaction.atomic():
            registrant = Registrant.objects.select_for_update().get(pk=registrant_id)
            cancel_registrant(registrant, email=False)

    return job


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_seats_freed_at_once_make_exactly_two_offers(organizer):
    webinar = full_webinar(owner=organizer, seats=5)
    line_up(webinar, WAITING)
    leaving = list(webinar.registrants.values_list("pk", flat=True)[:2])
    sweep = lambda: offer_free_seats(webinar_id=webinar.pk, session_id=None)  # noqa: E731

    outcomes = race([cancel(leaving[0]), cancel(leaving[1]), *[sweep] * 8])

    assert outcomes.count("ok") == 10, outcomes
    offered = WaitlistEntry.objects.filter(
        webinar=webinar, status=WaitlistEntry.Status.OFFERED
    )
    assert offered.count() == 2
    assert sorted(offered.values_list("last_name", flat=True)) == ["Ting0", "Ting1"]
    assert seats_taken(webinar=webinar) == webinar.registration_limit


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_newcomers_racing_an_accepted_offer_never_take_its_seat(organizer):
    webinar = full_webinar(owner=organizer, seats=3)
    (entry,) = line_up(webinar, 1)
    cancel(webinar.registrants.first().pk)()
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.OFFERED

    def newcomer(n: int) -> Callable[[], object]:
        return lambda: start_registration(
            webinar=webinar,
            first_name="New",
            last_name=str(n),
            email=f"new{n}@example.com",
            answers={},
            base_url="http://testserver/",
        )

    accept = lambda: accept_offer(entry=entry, base_url="http://testserver/")  # noqa: E731
    outcomes = race([accept, *[newcomer(n) for n in range(10)]])

    assert outcomes.count("ok") == 1, outcomes
    assert outcomes.count("full") == 10
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.ACCEPTED
    assert seats_taken(webinar=webinar) == webinar.registration_limit
