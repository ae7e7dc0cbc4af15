"""A paid start's rows written in one statement are the rows the ORM writes."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from payments.models import Payment
from registrations import hold_rows
from registrations.capacity import counted_seats
from registrations.hold_rows import write_held_seat
from registrations.models import Registrant, SeatCount, SeatHold
from tests import factories

pytestmark = pytest.mark.django_db

# Values that differ between any two inserts: ids, links to them, tokens, clocks.
OWN = {
    "id",
    "payment_id",
    "registrant_id",
    "join_token",
    "cancel_token",
    "created_at",
    "email",
}


def field_values(instance) -> dict:
    return {
        f.attname: getattr(instance, f.attname)
        for f in instance._meta.concrete_fields
        if f.attname not in OWN
    }


def unsaved(webinar, *, session=None, email: str, code=None):
    """The payment, registrant and hold of a paid start, as _hold_seat makes them."""
    expires_at = timezone.now().replace(microsecond=0) + timedelta(minutes=30)
    registrant = Registrant(
        webinar=webinar,
        session=session,
        email=email,
        first_name="Ada",
        last_name="Lovelace",
        answers={"Company": "Analytical Engines", "tags": [1, 2]},
        language="fr",
        status=Registrant.Status.PENDING,
        source=Registrant.Source.PAID,
        amount=4900,
        currency="EUR",
        discount_code=code,
    )
    registrant.payment = Payment(
        account_id=webinar.account_id,
        webinar=webinar,
        stripe_account_id="acct_hold",
        amount=4900,
        currency="EUR",
        expires_at=expires_at,
    )
    hold = SeatHold(registrant=registrant, session=session, expires_at=expires_at)
    return registrant.payment, registrant, hold


def written_by_the_orm(payment, registrant, hold) -> None:
    """What the start wrote before: create(), save(), create()."""
    payment.save(force_insert=True)
    registrant.payment = payment
    registrant.save()
    hold.registrant = registrant
    hold.save(force_insert=True)


def stored(registrant: Registrant) -> tuple[dict, dict, dict]:
    row = Registrant.objects.get(pk=registrant.pk)
    return (
        field_values(Payment.objects.get(pk=row.payment_id)),
        field_values(row),
        field_values(SeatHold.objects.get(registrant=row)),
    )


@pytest.mark.parametrize("in_session", [False, True])
def test_the_rows_are_the_orm_s_field_by_field(webinar, in_session):
    session = factories.SessionFactory(webinar=webinar) if in_session else None
    code = factories.DiscountCodeFactory(webinar=webinar)
    factories.RegistrantFactory(webinar=webinar, session=session)  # a counter row
    before = counted_seats(webinar=webinar, session=session)

    orm = unsaved(webinar, session=session, email="orm@example.com", code=code)
    written_by_the_orm(*orm)
    one = unsaved(webinar, session=session, email="one@example.com", code=code)
    write_held_seat(payment=one[0], registrant=one[1], hold=one[2])

    assert stored(one[1]) == stored(orm[1])
    # The instances come back as create() and save() leave them.
    for mine, theirs in zip(one, orm, strict=True):
        assert not mine._state.adding
        assert mine.pk is not None
        assert field_values(mine) == field_values(theirs)
        assert type(mine).objects.get(pk=mine.pk).created_at == mine.created_at
    assert one[1].payment is one[0]
    assert one[2].registrant is one[1]
    assert counted_seats(webinar=webinar, session=session) == before + 2


def test_the_first_seat_creates_the_counter_from_a_recount(webinar):
    assert not SeatCount.objects.filter(webinar=webinar).exists()
    payment, registrant, hold = unsaved(webinar, email="first@example.com")

    write_held_seat(payment=payment, registrant=registrant, hold=hold)

    counter = SeatCount.objects.get(webinar=webinar, session=None)
    assert counter.taken == SeatCount.recount(webinar.pk, None) == 1


@pytest.mark.postgres
def test_on_postgresql_the_rows_take_one_statement(webinar):
    factories.RegistrantFactory(webinar=webinar)  # a counter row
    payment, registrant, hold = unsaved(webinar, email="one@example.com")

    with CaptureQueriesContext(connection) as queries:
        write_held_seat(payment=payment, registrant=registrant, hold=hold)

    statements = [
        q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]
    assert len(statements) == 1, statements
    assert SeatCount.objects.get(webinar=webinar, session=None).taken == 2


@pytest.mark.parametrize("with_code", [False, True])
def test_each_value_sent_is_the_one_get_db_prep_save_returns(webinar, with_code):
    code = factories.DiscountCodeFactory(webinar=webinar) if with_code else None
    payment, registrant, hold = unsaved(webinar, email="ada@example.com", code=code)
    registrant.payment_id = 7
    hold.registrant_id = 8

    for instance, linked in ((payment, ""), (registrant, "payment_id"), (hold, "")):
        fields = hold_rows._inserted(type(instance), linked=linked)
        with time_machine.travel(timezone.now(), tick=False):
            sent = hold_rows._values(instance, fields)
            prepared = [
                f.get_db_prep_save(f.pre_save(instance, add=True), connection)
                for f in fields
            ]
        assert [literal(v) for v in sent] == [literal(v) for v in prepared]
        assert [kind(v) for v in sent] == [kind(v) for v in prepared]


def kind(value) -> type:
    """The value's type; psycopg's sized integers (Int4, Int8...) count as int.

    Django wraps an integer field's value in one so that a server-side bound
    parameter gets its column's type; a client-side bound one (Django's
    default, and Tessera's) is the same literal, as `literal` checks.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return int
    return type(value)


def literal(value) -> str:
    """The value as the database driver writes it into SQL."""
    if connection.vendor != "postgresql":
        return repr(value)
    with connection.cursor() as cursor:
        return cursor.cursor.mogrify("%s", [value])
