"""A paid start's rows, written in one statement while the seat is locked.

A paid start holds the capacity row's lock (registrations.capacity) from its
locking read to its COMMIT, and every other start of the same webinar waits
for it: the time between the two caps the starts per second, whatever the
CPU. The ORM writes the payment, the registrant, its seat counter and its
hold in four round trips, each built in Python while the lock is held (and,
under a threaded server, each waiting for the interpreter lock again). On
PostgreSQL they go as one data-modifying statement, its SQL written once per
process and its values prepared as the ORM prepares them (pre_save,
get_db_prep_save), so the rows are the ones the ORM writes. SQLite (the
embedded default) keeps the ORM's four statements.
"""

import functools
from collections.abc import Sequence
from typing import Any

from django.db import connection, models
from django.db.models import Field, Model

from organizers import plain_sql
from payments.models import Payment
from registrations.models import Registrant, SeatCount, SeatHold


def write_held_seat(
    *, payment: Payment, registrant: Registrant, hold: SeatHold
) -> None:
    """Insert the payment, the registrant paying it and its seat hold.

    Payment.objects.create(...), registrant.save() (with the seat counter it
    moves, see Registrant.save) and SeatHold.objects.create(...), in this
    order; the instances come back saved, as create() and save() leave them.
    """
    if connection.vendor != "postgresql" or registrant.seat_row() is None:
        payment.save(force_insert=True)
        registrant.payment = payment
        registrant.save()
        hold.registrant = registrant
        hold.save(force_insert=True)
        return
    webinar_id, session_id = registrant.seat_row()
    sql, fields = _statement(session_id is None)
    params = [*_values(payment, fields[0]), *_values(registrant, fields[1])]
    params += [webinar_id, *([] if session_id is None else [session_id])]
    params += _values(hold, fields[2])
    with connection.cursor() as cursor:
        plain_sql.execute(cursor, sql, params)
        payment_id, registrant_id, hold_id, moved = cursor.fetchone()
    _saved(payment, payment_id)
    registrant.payment = payment
    _saved(registrant, registrant_id)
    hold.registrant = registrant
    _saved(hold, hold_id)
    if not moved:
        # The first seat of (webinar, session): no counter row yet. As
        # Registrant.save does it, SeatCount.add creates the row from a
        # recount (which sees this registrant), or moves the row another
        # start created and committed meanwhile.
        SeatCount.add((webinar_id, session_id), +1)


def write_held_seat_if(
    *,
    guard: tuple[str, Sequence[Any]],
    before: tuple[str, Sequence[Any]],
    payment: Payment,
    registrant: Registrant,
    hold: SeatHold,
    commit: bool = False,
) -> bool:
    """Write what write_held_seat writes if `guard` finds its row; say whether.

    `guard`: (sql, params) of a SELECT of one row or none, read in the same
    statement as the rows are written (and so the same snapshot);
    `before`: a statement sent ahead of it in the same round trip (the
    lock). PostgreSQL only, for a seat of a whole webinar: the counter
    moves first, and nothing is written when it has no row yet.

    `commit`: outside any transaction (the connection in autocommit), as a
    transaction of its own: BEGIN, `before`, the rows and COMMIT go in the
    same round trip, then a read of the rows' ids, so that a lock `before`
    takes is held for no round trip at all.
    """
    webinar_id, session_id = registrant.seat_row()
    if session_id is not None:
        raise ValueError("a whole webinar's seat only")
    sql, fields = _statement(True, guard[0])
    params = [*guard[1], webinar_id, *_values(payment, fields[0])]
    params += [*_values(registrant, fields[1]), *_values(hold, fields[2])]
    with connection.cursor() as cursor:
        if commit:
            found = (_FOUND, [registrant.join_token])
            plain_sql.run_committed(cursor, before, (sql, params), then=found)
        else:
            plain_sql.run(cursor, before, (sql, params))
        ids = cursor.fetchone()
    if ids is None or ids[0] is None:
        return False
    _saved(payment, ids[0])
    registrant.payment = payment
    _saved(registrant, ids[1])
    hold.registrant = registrant
    _saved(hold, ids[2])
    return True


# The ids a committed write_held_seat_if wrote (join_token is unique).
_FOUND = (
    f"SELECT r.payment_id, r.id, h.id FROM {Registrant._meta.db_table} r"  # noqa: S608 - names
    f" JOIN {SeatHold._meta.db_table} h ON h.registrant_id = r.id"
    " WHERE r.join_token = %s"
)


def _values(instance: Model, fields: tuple[Field, ...]) -> list:
    """The values the ORM's INSERT of `instance` sends for `fields`.

    Where get_db_prep_save is known to return a value as it is (None, or a
    str in a text field, an int in an integer field or a foreign key, a
    bool in a boolean field), the value is sent without the call.
    """
    values = []
    for one, as_is in _as_is(fields):
        value = one.pre_save(instance, add=True)
        if as_is is None or (value is not None and type(value) is not as_is):
            value = one.get_db_prep_save(value, connection)
        values.append(value)
    return values


@functools.cache
def _as_is(fields: tuple[Field, ...]) -> tuple[tuple[Field, type | None], ...]:
    """Each field, with the type of value its preparation returns unchanged.

    The fields of Django's own classes only (a subclass may prepare values
    its own way): CharField, EmailField and TextField return a str as it is
    (to_python), the integer fields an int (int()), BooleanField a bool, a
    foreign key what its integer primary key does, and each of them None as
    None. None for any other field: every value of it is prepared.
    """
    kinds: dict[type, type] = {
        models.CharField: str,
        models.EmailField: str,
        models.TextField: str,
        models.IntegerField: int,
        models.PositiveIntegerField: int,
        models.PositiveSmallIntegerField: int,
        models.BigIntegerField: int,
        models.AutoField: int,
        models.BigAutoField: int,
        models.BooleanField: bool,
    }
    found = []
    for one in fields:
        target = one.target_field if isinstance(one, models.ForeignKey) else one
        found.append((one, kinds.get(type(target))))
    return tuple(found)


def _saved(instance: Model, pk: int) -> None:
    instance.pk = pk
    instance._state.adding = False
    instance._state.db = connection.alias


def _inserted(model: type[Model], *, linked: str = "") -> tuple[Field, ...]:
    """The columns an INSERT of `model` writes, but its id and `linked`."""
    return tuple(
        one
        for one in model._meta.concrete_fields
        if not one.primary_key and one.attname != linked
    )


@functools.cache
def _statement(
    whole_webinar: bool, guard: str = ""
) -> tuple[str, tuple[tuple[Field, ...], ...]]:
    """The statement, and the fields whose values it takes, table by table.

    `whole_webinar`: the registrant's counter has no session (session_id IS
    NULL, as move_counter scopes it). `guard`: a SELECT without whose row
    nothing is written (each INSERT selects from the row before it).
    """
    quote = connection.ops.quote_name
    payment = _inserted(Payment)
    registrant = _inserted(Registrant, linked="payment_id")
    hold = _inserted(SeatHold, linked="registrant_id")

    def insert(
        model: type[Model], fields: tuple[Field, ...], linked: str, where: str = ""
    ) -> str:
        columns = [quote(one.column) for one in fields]
        values = ["%s"] * len(fields)
        source = linked
        if "=" in linked:
            column, source = linked.split("=")
            columns.append(quote(column))
            values.append(f"{source}.id" if guard else f"(SELECT id FROM {source})")  # noqa: S608 - a CTE name
        rows = (
            f"SELECT {', '.join(values)} FROM {source}{where}"  # noqa: S608 - a CTE name
            if guard
            else f"VALUES ({', '.join(values)})"
        )
        return (
            f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(columns)})"  # noqa: S608 - names
            f" {rows} RETURNING {quote(model._meta.pk.column)}"
        )

    counter = f"UPDATE {quote(SeatCount._meta.db_table)} SET taken = taken + 1"  # noqa: S608
    if guard:
        # The counter moves first, and only with the guard's row; each
        # INSERT then selects from the row before it: all or nothing.
        moved = " WHERE EXISTS(SELECT 1 FROM c)"
        sql = (
            f"WITH ok AS ({guard}),"  # noqa: S608 - our SQL, names
            f" c AS ({counter} WHERE webinar_id = %s AND session_id IS NULL"
            " AND EXISTS(SELECT 1 FROM ok) RETURNING 1),"
            f" p AS ({insert(Payment, payment, 'ok', moved)}),"
            f" r AS ({insert(Registrant, registrant, 'payment_id=p')}),"
            f" h AS ({insert(SeatHold, hold, 'registrant_id=r')})"
            " SELECT (SELECT id FROM p), (SELECT id FROM r), (SELECT id FROM h)"
        )
        return sql, (payment, registrant, hold)
    scope = "IS NULL" if whole_webinar else "= %s"
    sql = (
        # Payment.objects.create(...)
        f"WITH p AS ({insert(Payment, payment, '')}),"  # noqa: S608 - names
        # registrant.save(): the INSERT, with registrant.payment = payment
        f" r AS ({insert(Registrant, registrant, 'payment_id=p')}),"
        # ... and SeatCount.add(registrant.seat_row(), +1): move_counter
        f" c AS ({counter}"
        f" WHERE webinar_id = %s AND session_id {scope} RETURNING 1),"
        # SeatHold.objects.create(registrant=registrant, ...)
        f" h AS ({insert(SeatHold, hold, 'registrant_id=r')})"
        " SELECT (SELECT id FROM p), (SELECT id FROM r), (SELECT id FROM h),"
        " (SELECT COUNT(*) FROM c)"
    )
    return sql, (payment, registrant, hold)
