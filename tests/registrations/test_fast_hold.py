"""PostgreSQL: a paid start decided before its lock writes on unchanged premises."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from psycopg.pq import TransactionStatus

from organizers import plain_sql
from payments.models import Payment, Price, PriceTier
from registrations import registration, start_sql
from registrations.fast_hold import plan_hold, write_planned
from registrations.models import Registrant, SeatCount, SeatHold
from registrations.registration import (
    AlreadyRegistered,
    RegistrationClosed,
    RegistrationError,
    WebinarFull,
    start_registration,
)
from registrations.seller import read_seller
from registrations.waitlist.models import WaitlistEntry
from tests import factories
from tests.registrations.checkout_support import make_paid_webinar

pytestmark = pytest.mark.postgres


@pytest.fixture
def paid(organizer, stripe_sandbox):
    """A paid webinar with one seat sold already (its counter row exists)."""
    webinar = make_paid_webinar(
        owner=organizer, stripe_account=stripe_sandbox.demo_account
    )
    webinar.registration_limit = 3
    webinar.save(update_fields=["registration_limit"])
    factories.RegistrantFactory(webinar=webinar, source="paid")
    return webinar


def planned(webinar, email="ada@example.com"):
    early = start_sql.webinar_by_key(webinar.registration_key)
    person = {
        "email": email,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "answers": {},
        "language": "en",
    }
    return plan_hold(early, None, read_seller(early), person)


def start(webinar, email="ada@example.com"):
    return start_registration(
        webinar=start_sql.webinar_by_key(webinar.registration_key),
        first_name="Ada",
        last_name="Lovelace",
        email=email,
        answers={},
        base_url="http://testserver/",
    )


def counter(webinar) -> int:
    return SeatCount.objects.get(webinar=webinar, session=None).taken


@pytest.mark.django_db
def test_unchanged_premises_write_the_seat_as_the_lock_would(paid):
    plan = planned(paid)
    assert plan is not None

    with transaction.atomic():
        assert write_planned(plan)

    registrant = Registrant.objects.get(email="ada@example.com")
    assert registrant.pk == plan.registrant.pk
    assert registrant.status == Registrant.Status.PENDING
    assert registrant.amount == 5000 and registrant.currency == "EUR"
    assert registrant.payment.status == Payment.Status.CREATED
    assert registrant.payment.amount == 5000
    assert SeatHold.objects.get(registrant=registrant).expires_at > timezone.now()
    assert counter(paid) == 2


def change_title(webinar):
    webinar.title += " (moved)"
    webinar.save(update_fields=["title"])


def change_price(webinar):
    Price.objects.filter(webinar=webinar).update(amount=7000)


def add_tier(webinar):
    PriceTier.objects.create(
        price=webinar.price, amount=3000, ends_at=timezone.now() + timedelta(days=1)
    )


def cancel(webinar):
    webinar.cancelled_at = timezone.now()
    webinar.save(update_fields=["cancelled_at"])


def end_sessions(webinar):
    over = timezone.now() - timedelta(minutes=1)
    webinar.sessions.update(starts_at=over - timedelta(hours=1), ends_at=over)


def fill(webinar):
    factories.RegistrantFactory.create_batch(2, webinar=webinar, source="paid")


def same_email(webinar):
    factories.RegistrantFactory(webinar=webinar, email="ADA@example.com")


def someone_waits(webinar):
    webinar.waitlist_enabled = True
    webinar.save(update_fields=["waitlist_enabled"])
    WaitlistEntry.objects.create(
        webinar=webinar, email="first@example.com", first_name="F", last_name="L"
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [
        change_title,
        change_price,
        add_tier,
        cancel,
        end_sessions,
        fill,
        same_email,
        someone_waits,
    ],
)
def test_a_premise_changed_after_the_plan_writes_nothing(paid, change):
    plan = planned(paid)
    assert plan is not None
    change(paid)
    before = (Registrant.objects.count(), Payment.objects.count(), counter(paid))

    with transaction.atomic():
        assert not write_planned(plan)

    after = (Registrant.objects.count(), Payment.objects.count(), counter(paid))
    assert after == before


@pytest.mark.django_db
def test_the_first_seat_has_no_counter_row_to_move_so_the_lock_decides_it(
    organizer, stripe_sandbox
):
    webinar = make_paid_webinar(
        owner=organizer, stripe_account=stripe_sandbox.demo_account
    )
    plan = planned(webinar)
    with transaction.atomic():
        assert not write_planned(plan)
    assert not Registrant.objects.filter(webinar=webinar).exists()

    start(webinar)

    assert counter(webinar) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "refused"),
    [
        (cancel, RegistrationClosed),
        (fill, WebinarFull),
        (someone_waits, WebinarFull),
    ],
)
def test_a_start_whose_plan_failed_is_refused_under_the_lock(paid, change, refused):
    change(paid)

    with pytest.raises(refused):
        start(paid)

    assert not Registrant.objects.filter(email="ada@example.com").exists()


@pytest.mark.django_db
def test_a_registered_email_is_told_so_under_the_lock(paid):
    factories.RegistrantFactory(webinar=paid, email="ada@example.com")

    with pytest.raises(AlreadyRegistered):
        start(paid, email="Ada@Example.com")


@pytest.mark.django_db
def test_a_second_start_of_one_email_goes_back_to_its_open_checkout(paid):
    first = start(paid)
    again = start(paid, email="ADA@example.com")

    assert again.checkout_url == first.checkout_url
    assert again.registrant.pk == first.registrant.pk
    assert counter(paid) == 2


@pytest.mark.django_db
@pytest.mark.parametrize("what", ["series", "free", "disconnected", "sqlite-like read"])
def test_what_the_plan_leaves_to_the_lock(organizer, stripe_sandbox, what):
    webinar = make_paid_webinar(
        owner=organizer, stripe_account=stripe_sandbox.demo_account
    )
    early = start_sql.webinar_by_key(webinar.registration_key)
    if what == "series":
        early.registration_type = "individual_session"
    elif what == "free":
        early.price.enabled = False
    elif what == "disconnected":
        early.selling_connection = None
    elif what == "sqlite-like read":
        del early.fingerprint
    person = {
        "email": "ada@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "answers": {},
        "language": "en",
    }
    assert planned(webinar) is not None
    assert plan_hold(early, None, read_seller(early), person) is None


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_lock_rows_and_commit_are_one_round_trip(paid):
    with CaptureQueriesContext(connection) as queries:
        started = start(paid)

    statements = [plain_sql.readable(q["sql"]) for q in queries.captured_queries]
    holding = [sql for sql in statements if "FOR UPDATE" in sql]
    assert len(holding) == 1, "\n".join(statements)
    assert holding[0].startswith("BEGIN; SELECT 1 FROM webinars_webinar")
    assert "; COMMIT; SELECT r.payment_id" in holding[0]
    assert started.registrant.pk and started.registrant.payment.pk
    assert started.checkout_url
    assert counter(paid) == 2
    assert connection.connection.info.transaction_status == TransactionStatus.IDLE


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_failed_plan_leaves_no_transaction_open(paid):
    plan = planned(paid)
    fill(paid)

    assert not write_planned(plan)

    assert connection.connection.info.transaction_status == TransactionStatus.IDLE
    assert not Registrant.objects.filter(email="ada@example.com").exists()
    assert counter(paid) == 3


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_an_error_rolls_back_what_it_began(paid):
    plan = planned(paid)
    taken = factories.RegistrantFactory(webinar=paid, email="other@example.com")
    # The same join token as a registrant's: the INSERT fails, after the lock.
    plan.registrant.join_token = taken.join_token

    with pytest.raises(Exception, match="join_token"):
        write_planned(plan)

    assert connection.connection.info.transaction_status == TransactionStatus.IDLE
    assert counter(paid) == 2
    assert not Registrant.objects.filter(email="ada@example.com").exists()
    # The connection goes on: the next start is held as usual.
    start(paid, email="next@example.com")
    assert counter(paid) == 3


@pytest.mark.django_db
def test_a_start_with_a_code_is_decided_under_the_lock(paid, monkeypatch):
    # A code is priced under the lock, where its uses are counted.
    monkeypatch.setattr(registration, "plan_hold", pytest.fail)

    with pytest.raises(RegistrationError):
        start_registration(
            webinar=start_sql.webinar_by_key(paid.registration_key),
            first_name="Ada",
            last_name="Lovelace",
            email="ada@example.com",
            answers={},
            base_url="http://testserver/",
            code="NO-SUCH-CODE",
        )
