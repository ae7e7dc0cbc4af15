"""The seat counter (SeatCount) stays equal to a recount through every path."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from registrations import start_sql
from registrations.approval import approve_registrant, deny_registrant
from registrations.checkout import release_expired_holds, release_registration
from registrations.members import register_member
from registrations.models import Registrant, SeatCount
from registrations.refunds.cancellation import cancel_webinar
from registrations.refunds.ledger import new_refund_token
from registrations.refunds.organizer_actions import cancel_registrant, perform_action
from registrations.registration import WebinarFull, start_registration
from tests import factories
from tests.registrations.checkout_support import make_paid_webinar, send_refunds
from tests.registrations.refund_support import register_and_pay
from webinars.models import WebinarMember


def assert_exact() -> None:
    """Every counter equals a recount of the registrants it stands for."""
    scopes = set(
        Registrant.objects.values_list("webinar_id", "session_id").distinct()
    ) | set(SeatCount.objects.values_list("webinar_id", "session_id"))
    for webinar_id, session_id in scopes:
        row = SeatCount.objects.filter(
            webinar_id=webinar_id, session_id=session_id
        ).first()
        taken = row.taken if row else 0
        assert taken == SeatCount.recount(webinar_id, session_id), (
            webinar_id,
            session_id,
        )


def start(webinar, n, **extra):
    # As a request reads it (start_sql.webinar_by_key): on PostgreSQL, a paid
    # start of it is decided before the lock (registrations.fast_hold).
    return start_registration(
        webinar=start_sql.webinar_by_key(webinar.registration_key),
        first_name="Racer",
        last_name=str(n),
        email=f"racer{n}@example.com",
        answers={},
        base_url="http://testserver/",
        **extra,
    )


@pytest.mark.django_db
def test_free_starts_approval_denial_cancellation_members_and_deletion(webinar):
    webinar.approval = webinar.Approval.MANUAL
    webinar.save(update_fields=["approval"])
    first = start(webinar, 1).registrant
    second = start(webinar, 2).registrant
    third = start(webinar, 3).registrant
    assert SeatCount.objects.get(webinar=webinar).taken == 3
    assert_exact()

    approve_registrant(registrant=first)
    assert_exact()
    deny_registrant(registrant=second)
    assert SeatCount.objects.get(webinar=webinar).taken == 2
    assert_exact()
    cancel_registrant(Registrant.objects.get(pk=first.pk), email=False)
    assert SeatCount.objects.get(webinar=webinar).taken == 1
    assert_exact()

    member = WebinarMember.objects.create(
        webinar=webinar, email="pan@example.com", name="Pan El", role="panelist"
    )
    register_member(member)
    assert SeatCount.objects.get(webinar=webinar).taken == 1  # staff take none
    assert_exact()

    Registrant.objects.get(pk=third.pk).delete()
    assert SeatCount.objects.get(webinar=webinar).taken == 0
    assert_exact()


@pytest.mark.django_db
def test_paid_holds_expiry_sweep_release_and_session_cancel(organizer, stripe_sandbox):
    webinar = make_paid_webinar(
        owner=organizer, stripe_account=stripe_sandbox.demo_account
    )
    held = [start(webinar, n).registrant for n in range(4)]
    assert SeatCount.objects.get(webinar=webinar).taken == 4
    assert_exact()

    release_registration(registrant=held[0], expire_at_stripe=False)
    assert SeatCount.objects.get(webinar=webinar).taken == 3
    assert_exact()

    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
        assert release_expired_holds() == 3
    assert SeatCount.objects.get(webinar=webinar).taken == 0
    assert_exact()

    start(webinar, 10)
    start(webinar, 11)
    cancel_webinar(webinar=webinar)
    assert SeatCount.objects.get(webinar=webinar).taken == 0
    assert_exact()


@pytest.mark.django_db
def test_a_lapsed_hold_counts_until_swept_but_never_blocks_a_seat(
    organizer, stripe_sandbox
):
    webinar = make_paid_webinar(
        owner=organizer, stripe_account=stripe_sandbox.demo_account
    )
    webinar.registration_limit = 1
    webinar.save(update_fields=["registration_limit"])
    start(webinar, 1)
    with pytest.raises(WebinarFull):
        start(webinar, 2)
    later = timezone.now() + timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        # The counter says full; the exact count finds the lapsed hold.
        assert SeatCount.objects.get(webinar=webinar).taken == 1
        start(webinar, 3)
        assert_exact()


@pytest.mark.django_db
def test_paid_confirmation_and_refunds_keep_the_counter(
    organizer, stripe_sandbox, django_capture_on_commit_callbacks
):
    webinar = factories.WebinarFactory(owner=organizer, account=organizer.account)
    paid = register_and_pay(
        sandbox=stripe_sandbox, webinar=webinar, email="payer@example.com"
    )
    assert SeatCount.objects.get(webinar=webinar).taken == 1
    assert_exact()

    with django_capture_on_commit_callbacks(execute=True):
        perform_action(
            registrant=paid,
            action="cancel_full",
            amount=None,
            token=new_refund_token(),
            requested_by=None,
        )
    send_refunds(django_capture_on_commit_callbacks)
    paid.refresh_from_db()
    assert paid.status in (Registrant.Status.CANCELLED, Registrant.Status.REFUNDED)
    assert SeatCount.objects.get(webinar=webinar).taken == 0
    assert_exact()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_counter_stays_exact_under_concurrent_starts_and_releases(
    organizer, stripe_sandbox
):
    webinar = make_paid_webinar(
        owner=organizer, stripe_account=stripe_sandbox.demo_account
    )
    webinar.registration_limit = 30
    webinar.save(update_fields=["registration_limit"])
    early = [start(webinar, 1000 + n).registrant for n in range(10)]
    outcomes: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(50)

    def racer(n: int) -> None:
        try:
            barrier.wait()
            try:
                if n < 10:
                    release_registration(registrant=early[n], expire_at_stripe=False)
                    outcome = "released"
                else:
                    start(webinar, n)
                    outcome = "held"
            except WebinarFull:
                outcome = "full"
            except Exception as error:  # noqa: BLE001 - reported below
                outcome = f"error: {error!r}"
            with lock:
                outcomes.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=racer, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not [o for o in outcomes if o.startswith("error")], outcomes
    assert outcomes.count("released") == 10
    taken = SeatCount.objects.get(webinar=webinar).taken
    assert taken == outcomes.count("held") <= webinar.registration_limit
    assert_exact()


@pytest.mark.django_db
def test_the_page_reads_the_counter_and_counts_exactly_at_the_limit(
    client, organizer, stripe_sandbox
):
    webinar = make_paid_webinar(
        owner=organizer, stripe_account=stripe_sandbox.demo_account
    )
    webinar.registration_limit = 1
    webinar.save(update_fields=["registration_limit"])
    start(webinar, 1)
    assert client.get(webinar.get_registration_url()).context["full"] is True
    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
        # The counter still says 1 (not swept); the exact count says 0.
        assert SeatCount.objects.get(webinar=webinar).taken == 1
        assert client.get(webinar.get_registration_url()).context["full"] is False


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_first_seats_of_a_scope_counted_at_once_are_both_counted(
    webinar, monkeypatch
):
    # No capacity lock here: both transactions find no counter row, recount
    # (each sees only its own registrant) and create it; the second waits on
    # the first's row, then must add its own seat to it.
    barrier = threading.Barrier(2)
    recount = SeatCount.recount

    def recount_together(webinar_id, session_id):
        barrier.wait(timeout=10)
        return recount(webinar_id, session_id)

    monkeypatch.setattr(SeatCount, "recount", staticmethod(recount_together))
    errors: list[Exception] = []

    def register(n: int) -> None:
        try:
            with transaction.atomic():
                factories.RegistrantFactory(webinar=webinar, email=f"first{n}@ex.com")
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    monkeypatch.undo()
    assert errors == []
    assert SeatCount.objects.get(webinar=webinar).taken == 2
    assert_exact()
