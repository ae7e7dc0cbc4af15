"""PostgreSQL: registrants racing for the last seats never oversell."""

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from registrations import registration, start_sql
from registrations.capacity import seats_taken
from registrations.models import SeatHold
from registrations.registration import WebinarFull, start_registration
from registrations.series import start_series_registration
from tests import factories
from tests.registrations.checkout_support import make_paid_webinar

RACERS = 40
SEATS_LEFT = 10


def register(webinar, n: int, *, by_key: bool = True, **extra) -> object:
    """Start racer n's registration to `webinar`.

    `by_key`: read the webinar as a request does (start_sql.webinar_by_key),
    so that on PostgreSQL a paid start is decided before the lock
    (registrations.fast_hold); else as the ORM reads it, decided under it.
    """
    if by_key:
        webinar = start_sql.webinar_by_key(webinar.registration_key)
    return start_registration(
        webinar=webinar,
        first_name="Racer",
        last_name=str(n),
        email=f"racer{n}@example.com",
        answers={},
        base_url="http://testserver/",
        **extra,
    )


def race(count: int, register: Callable[[int], object]) -> list[str]:
    """Run `register(n)` in `count` threads at once; return held, full or the error."""
    barrier = threading.Barrier(count)
    outcomes: list[str] = []
    lock = threading.Lock()

    def racer(n: int) -> None:
        try:
            barrier.wait()
            try:
                register(n)
                outcome = "held"
            except WebinarFull:
                outcome = "full"
            except Exception as error:  # noqa: BLE001 - reported below
                outcome = f"error: {error!r}"
            with lock:
                outcomes.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=racer, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("by_key", [True, False], ids=["key read", "orm"])
def test_forty_racers_for_the_last_ten_seats_get_exactly_ten_holds(
    organizer, stripe_sandbox, by_key, monkeypatch
):
    webinar = make_paid_webinar(
        owner=organizer, stripe_account=stripe_sandbox.demo_account
    )
    webinar.registration_limit = 50
    webinar.save()
    factories.RegistrantFactory.create_batch(
        webinar.registration_limit - SEATS_LEFT, webinar=webinar, source="paid"
    )

    written: list[bool] = []
    real = registration.write_planned

    def counting(plan: object) -> bool:
        done = real(plan)
        written.append(done)
        return done

    monkeypatch.setattr(registration, "write_planned", counting)

    outcomes = race(RACERS, lambda n: register(webinar, n, by_key=by_key))

    # Read by key, each seat left was held before the lock was taken; the
    # racers after the tenth found the counter at the limit and were told
    # "full" under the lock, by the exact count.
    assert written.count(True) == (SEATS_LEFT if by_key else 0), written

    assert sorted(set(outcomes)) == ["full", "held"], outcomes
    assert outcomes.count("held") == SEATS_LEFT
    assert outcomes.count("full") == RACERS - SEATS_LEFT
    assert SeatHold.objects.filter(registrant__webinar=webinar).count() == SEATS_LEFT
    assert seats_taken(webinar=webinar) == webinar.registration_limit


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racers_for_one_series_session_never_oversell_it(organizer):
    webinar = factories.WebinarFactory(
        owner=organizer,
        account=organizer.account,
        registration_type="individual_session",
        registration_limit=3,
        sessions=2,
    )
    session = webinar.sessions.first()

    outcomes = race(12, lambda n: register(webinar, n, session=session))

    assert outcomes.count("held") == 3
    assert seats_taken(webinar=webinar, session=session) == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racers_for_two_series_sessions_get_both_or_neither(organizer):
    # Half pick the sessions in one order, half in the other: the locks are
    # taken by id whatever the order, so nobody deadlocks, and every racer
    # holds both sessions or none.
    webinar = factories.WebinarFactory(
        owner=organizer,
        account=organizer.account,
        registration_type="individual_session",
        registration_limit=3,
        sessions=2,
    )
    first, second = webinar.sessions.order_by("pk")
    # One seat of the second session is gone: it fills first.
    factories.RegistrantFactory(webinar=webinar, session=second, source="free")

    def register_both(n: int) -> object:
        chosen = [first, second] if n % 2 else [second, first]
        return start_series_registration(
            webinar=webinar,
            first_name="Racer",
            last_name=str(n),
            email=f"racer{n}@example.com",
            answers={},
            base_url="http://testserver/",
            sessions=chosen,
        )

    outcomes = race(10, register_both)

    assert sorted(set(outcomes)) == ["full", "held"], outcomes
    assert outcomes.count("held") == 2
    assert seats_taken(webinar=webinar, session=second) == 3
    # The racers refused left nothing behind in the session that had room.
    assert seats_taken(webinar=webinar, session=first) == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racers_with_one_email_hold_one_seat(organizer, stripe_sandbox):
    # The lock's round trip reads the email after the lock is taken: a start
    # that waited sees the registration the one before it committed, and
    # releases its seat (_earlier_checkout: one email pays for one seat).
    webinar = make_paid_webinar(
        owner=organizer, stripe_account=stripe_sandbox.demo_account
    )

    def same_email(n: int) -> object:
        return start_registration(
            webinar=start_sql.webinar_by_key(webinar.registration_key),
            first_name="Twin",
            last_name=str(n),
            email="Twin@Example.com" if n % 2 else "twin@example.com",
            answers={},
            base_url="http://testserver/",
        )

    outcomes = race(10, same_email)

    assert all(outcome == "held" for outcome in outcomes), outcomes
    live = SeatHold.objects.filter(
        registrant__webinar=webinar, released_at__isnull=True
    )
    assert live.count() == 1
    assert seats_taken(webinar=webinar) == 1
