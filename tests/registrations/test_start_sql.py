"""The start's plain-SQL reads build the objects the ORM builds."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from psycopg.pq import TransactionStatus

from organizers import plain_sql
from payments.models import Payment, Price
from registrations import start_sql
from registrations.capacity import lock_counted_capacity
from tests import factories
from webinars.models import Session, Webinar

pytestmark = pytest.mark.django_db


def field_values(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.fields}


@pytest.fixture
def priced(webinar):
    webinar.questions = [{"label": "Company", "required": True}]
    webinar.reminder_offsets = [60, 1440]
    webinar.save(update_fields=["questions", "reminder_offsets"])
    factories.PriceFactory(webinar=webinar, amount=4900, currency="EUR")
    return webinar


def test_the_webinar_by_key_is_the_orm_s(priced):
    found = start_sql.webinar_by_key(priced.registration_key)

    assert field_values(found) == field_values(Webinar.objects.get(pk=priced.pk))
    assert found.questions == [{"label": "Company", "required": True}]
    assert not found._state.adding
    assert found._state.db == "default"


def test_an_unknown_key_finds_no_webinar(webinar):
    assert start_sql.webinar_by_key("no-such-key-at-all") is None


def test_the_locked_webinar_carries_its_price_without_a_query(
    priced, django_assert_num_queries
):
    with transaction.atomic(), django_assert_num_queries(1):
        locked, upcoming, tiers = start_sql.lock_webinar(priced.pk, now=timezone.now())
        price = locked.price
        assert price.webinar is locked

    assert field_values(locked) == field_values(Webinar.objects.get(pk=priced.pk))
    assert field_values(price) == field_values(Price.objects.get(webinar=priced))
    assert locked.reminder_offsets == [60, 1440]
    assert (upcoming, tiers) == (True, False)
    assert (locked.has_upcoming, locked.price_has_tiers) == (True, False)


def test_a_webinar_without_a_price_raises_as_select_related_leaves_it(webinar):
    with transaction.atomic():
        locked, _upcoming, _tiers = start_sql.lock_webinar(
            webinar.pk, now=timezone.now()
        )
    with pytest.raises(Price.DoesNotExist):
        locked.price  # noqa: B018 - the cached relation


def test_upcoming_sessions_and_tiers_are_read_with_the_lock(priced):
    session = priced.sessions.get()
    factories.PriceTierFactory(price=priced.price)
    later = session.ends_at + timedelta(minutes=1)

    with transaction.atomic():
        _locked, upcoming, tiers = start_sql.lock_webinar(priced.pk, now=later)

    assert (upcoming, tiers) == (False, True)


def test_a_cancelled_session_is_not_upcoming(priced):
    priced.sessions.update(cancelled_at=timezone.now())

    with transaction.atomic():
        _locked, upcoming, _tiers = start_sql.lock_webinar(
            priced.pk, now=timezone.now()
        )

    assert upcoming is False


def test_the_locked_session_carries_its_webinar_and_price(priced):
    session = priced.sessions.get()

    with transaction.atomic():
        locked, tiers = start_sql.lock_session(session.pk)

    assert field_values(locked) == field_values(Session.objects.get(pk=session.pk))
    assert field_values(locked.webinar) == field_values(priced)
    assert locked.webinar.price.amount == 4900
    assert tiers is False


@pytest.mark.django_db(transaction=True)
def test_a_lock_outside_a_transaction_is_refused(priced):
    with pytest.raises(TransactionManagementError):
        start_sql.lock_webinar(priced.pk, now=timezone.now())


def test_a_vanished_webinar_raises_does_not_exist(webinar):
    with transaction.atomic(), pytest.raises(Webinar.DoesNotExist):
        lock_counted_capacity(Webinar(pk=webinar.pk + 1000), None)


def test_no_tier_is_read_when_the_price_has_none(priced, django_assert_num_queries):
    with transaction.atomic():
        locked, _session, _upcoming = lock_counted_capacity(priced, None)
        with django_assert_num_queries(0):
            assert list(locked.locked_price.tiers.all()) == []
            assert list(locked.locked_price.tiers.all().filter(amount=1)) == []


def new_payment(webinar, **extra) -> Payment:
    return Payment.objects.create(
        account=webinar.account,
        webinar=webinar,
        stripe_account_id="acct_x",
        amount=4900,
        currency="EUR",
        expires_at=timezone.now(),
        **extra,
    )


def test_recording_a_checkout_opens_a_created_payment_only(priced):
    created = new_payment(priced)
    paid = new_payment(priced, status=Payment.Status.PAID)

    for payment in (created, paid):
        start_sql.record_checkout(
            payment_id=payment.pk, session_id=f"cs_{payment.pk}", url="https://x/"
        )
        payment.refresh_from_db()

    assert (created.status, created.checkout_session_id) == (
        Payment.Status.OPEN,
        f"cs_{created.pk}",
    )
    assert (paid.status, paid.checkout_url) == (Payment.Status.PAID, "https://x/")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_checkout_recorded_outside_a_transaction_commits_alone_without_waiting(
    priced,
):
    payment = new_payment(priced)

    with CaptureQueriesContext(connection) as queries:
        start_sql.record_checkout(
            payment_id=payment.pk, session_id="cs_alone", url="https://x/"
        )

    (sent,) = [plain_sql.readable(q["sql"]) for q in queries.captured_queries]
    # Its own transaction, in one round trip; the id may be lost in a crash
    # (a Checkout whose answer never came), never the seat (its own commit).
    assert sent.startswith("BEGIN; SET LOCAL synchronous_commit TO OFF; UPDATE")
    assert sent.endswith("; COMMIT")
    assert connection.connection.info.transaction_status == TransactionStatus.IDLE
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone() == ("on",)
    payment.refresh_from_db()
    assert (payment.status, payment.checkout_session_id) == (
        Payment.Status.OPEN,
        "cs_alone",
    )
