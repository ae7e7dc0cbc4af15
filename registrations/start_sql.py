"""A registration start's hottest statements, in plain SQL.

Every paid or free start reads its webinar by registration key, then locks the
capacity row and reads the webinar again with its price. Built by the ORM,
these two statements cost a start more CPU than everything PostgreSQL does for
it; here the SQL is written once per process and the rows become model
instances as the ORM makes them (Model.from_db, the fields' own converters),
so the rest of the start sees the same objects: `webinar.price` answers
without a query (or raises Price.DoesNotExist), as select_related leaves it.
The Checkout Session's id and URL are stored in one UPDATE as well.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.transaction import TransactionManagementError

from organizers import plain_sql
from organizers.plain_sql import columns, instance
from payments.models import Payment, Price, PriceTier
from registrations.models import Registrant, SeatCount
from webinars.models import Session, Webinar

Status = Registrant.Status


def _attach_price(webinar: Webinar, values: Sequence[Any]) -> None:
    """Cache the webinar's price (None when the LEFT JOIN found none)."""
    price = None if values[0] is None else instance(Price, values)
    Webinar._meta.get_field("price").set_cached_value(webinar, price)
    if price is not None:
        Price._meta.get_field("webinar").set_cached_value(price, webinar)


def webinar_by_key(key: str) -> Webinar | None:
    """Return the webinar of a registration key with its price cached, or None.

    The price says, before the lock, whether a start reads the Stripe
    connection (registration._seller); the lock reads both again.
    """
    sql = (
        f"SELECT {columns(Webinar, 'w')}, {columns(Price, 'p')}"  # noqa: S608 - names
        f" FROM {Webinar._meta.db_table} w"
        f" LEFT OUTER JOIN {Price._meta.db_table} p ON p.webinar_id = w.id"
        " WHERE w.registration_key = %s"
    )
    with connection.cursor() as cursor:
        plain_sql.execute(cursor, sql, [key])
        row = cursor.fetchone()
    if row is None:
        return None
    width = len(Webinar._meta.concrete_fields)
    webinar = instance(Webinar, row[:width])
    _attach_price(webinar, row[width:])
    return webinar


def lock_webinar(
    pk: int, *, now: datetime, email: str | None = None
) -> tuple[Webinar, bool, bool] | None:
    """Lock the webinar's row; return it with its price cached, or None.

    Also return whether it has a session neither cancelled nor over at `now`
    and whether its price has early-bird tiers (see pricing.loaded_price).

    With `email`, also read what count_and_email reads for the whole webinar,
    in the same round trip, as `webinar.seats_and_email`: every other start
    waits while this one holds the lock, so each round trip under it counts.
    On PostgreSQL the lock goes first, alone, and the read follows as a
    statement of its own, which sees the seats of the starts it waited for.
    """
    params: list[Any] = [connection.ops.adapt_datetimefield_value(now)]
    read = (
        f"SELECT {columns(Webinar, 'w')}, {columns(Price, 'p')},"  # noqa: S608 - names
        f" EXISTS(SELECT 1 FROM {Session._meta.db_table} s WHERE s.webinar_id = w.id"
        " AND s.cancelled_at IS NULL AND s.ends_at >= %s),"
        f" {_has_tiers('w.id')}"
    )
    if email is not None:
        read += f", {_SEATS_AND_EMAIL.format(scope='webinar_id = w.id')}"
        params += [email, *_LIVE]
    read += (
        f" FROM {Webinar._meta.db_table} w"
        f" LEFT OUTER JOIN {Price._meta.db_table} p ON p.webinar_id = w.id"
        " WHERE w.id = %s"
    )
    params.append(pk)
    lock = _for_update("w")
    with connection.cursor() as cursor:
        if email is None:
            plain_sql.execute(cursor, read + lock, params)
        elif connection.vendor == "postgresql":
            plain_sql.run(
                cursor,
                (f"SELECT 1 FROM {_WEBINAR} w WHERE w.id = %s{lock}", [pk]),  # noqa: S608
                # Not prepared: the email test's best plan changes as the
                # registrants grow (see count_and_email).
                plain_sql.Unprepared(read, params),
            )
        else:
            # SQLite: the transaction already holds the whole database.
            cursor.execute(read, params)
        row = cursor.fetchone()
    if row is None:
        return None
    width = len(Webinar._meta.concrete_fields)
    webinar = instance(Webinar, row[:width])
    if email is not None:
        webinar.seats_and_email = (int(row[-2]), bool(row[-1]))
        row = row[:-2]
    _attach_price(webinar, row[width:-2])
    # As annotate() left them: recordings.sales reads has_upcoming.
    webinar.has_upcoming, webinar.price_has_tiers = bool(row[-2]), bool(row[-1])
    return webinar, webinar.has_upcoming, webinar.price_has_tiers


def lock_session(pk: int) -> tuple[Session, bool] | None:
    """Lock a session's row; return it with its webinar and price cached, or None.

    Also return whether the webinar's price has early-bird tiers.
    """
    sql = (
        f"SELECT {columns(Session, 's')}, {columns(Webinar, 'w')},"  # noqa: S608 - names
        f" {columns(Price, 'p')}, {_has_tiers('w.id')}"
        f" FROM {Session._meta.db_table} s"
        f" JOIN {Webinar._meta.db_table} w ON w.id = s.webinar_id"
        f" LEFT OUTER JOIN {Price._meta.db_table} p ON p.webinar_id = w.id"
        f" WHERE s.id = %s{_for_update('s')}"
    )
    with connection.cursor() as cursor:
        plain_sql.execute(cursor, sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    first = len(Session._meta.concrete_fields)
    second = first + len(Webinar._meta.concrete_fields)
    session = instance(Session, row[:first])
    webinar = instance(Webinar, row[first:second])
    _attach_price(webinar, row[second:-1])
    Session._meta.get_field("webinar").set_cached_value(session, webinar)
    return session, bool(row[-1])


def _for_update(alias: str) -> str:
    """The row lock of `alias`'s row, as select_for_update(of=...) writes it."""
    if connection.get_autocommit():
        # As the ORM refuses it: a lock outside a transaction ends at once.
        raise TransactionManagementError(
            "select_for_update cannot be used outside of a transaction."
        )
    features = connection.features
    if not features.has_select_for_update:
        return ""  # SQLite: the transaction itself serialises writers
    if not features.has_select_for_update_of:
        return " FOR UPDATE"
    return f" FOR UPDATE OF {alias}"


def _has_tiers(webinar_id: str) -> str:
    """Whether the webinar's price has early-bird tiers, as an SQL expression."""
    tier, price = PriceTier._meta.db_table, Price._meta.db_table
    return (
        f"EXISTS(SELECT 1 FROM {tier} t JOIN {price} tp ON tp.id = t.price_id"  # noqa: S608 - names
        f" WHERE tp.webinar_id = {webinar_id})"
    )


# The seat counter (capacity.counted_seats) and whether an email has a live
# registration (`email__iexact` as the ORM writes it), for one scope of
# webinar_id and session_id; takes the email, then the _LIVE statuses.
_SEATS_AND_EMAIL = (
    f"COALESCE((SELECT SUM(taken) FROM {SeatCount._meta.db_table}"  # noqa: S608 - table names
    " WHERE {scope}), 0),"
    f" EXISTS(SELECT 1 FROM {Registrant._meta.db_table}"
    " WHERE {scope} AND UPPER(email) = UPPER(%s) AND status IN (%s, %s, %s))"
)
_WEBINAR = Webinar._meta.db_table
_LIVE = (Status.CONFIRMED, Status.AWAITING, Status.PENDING)


def count_and_email(
    *, webinar: Webinar, email: str, session: Session | None
) -> tuple[int, bool]:
    """Return the seat counter and whether the email has a live registration.

    The one statement after the lock (the hottest read of a start: the ORM
    would spend more CPU building it than PostgreSQL spends running it). It
    cannot join the locking statement: on PostgreSQL, that statement's
    subqueries see the rows as they were before it waited for the lock, so
    the counter would miss the seats of the starts it waited for.

    Never prepared: with few registrants PostgreSQL may plan the email test
    on the (webinar, status) index, and a plan kept from then would read
    every live registrant of a hot webinar once thousands have registered.
    """
    scope = "webinar_id = %s" + (" AND session_id = %s" if session else "")
    params: list[Any] = [webinar.pk] + ([session.pk] if session else [])
    sql = f"SELECT {_SEATS_AND_EMAIL.format(scope=scope)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *params, email, *_LIVE])
        counted, known = cursor.fetchone()
    return int(counted), bool(known)


def record_checkout(*, payment_id: int, session_id: str, url: str) -> None:
    """Store the Checkout Session of a payment; a created payment becomes open.

    A webhook may already have moved the status on: that status stays.
    """
    sql = (
        f"UPDATE {Payment._meta.db_table} SET checkout_session_id = %s,"  # noqa: S608 - names
        " checkout_url = %s,"
        " status = CASE WHEN status = %s THEN %s ELSE status END WHERE id = %s"
    )
    with connection.cursor() as cursor:
        plain_sql.execute(
            cursor,
            sql,
            [
                session_id,
                url,
                Payment.Status.CREATED,
                Payment.Status.OPEN,
                payment_id,
            ],
        )
