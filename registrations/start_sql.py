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

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from organizers import plain_sql
from organizers.plain_sql import columns, instance
from payments.connect.connections import connection_sql
from payments.models import Payment, Price, PriceTier, StripeConnection
from registrations import key_rows
from registrations.models import Registrant, SeatCount
from webinars.models import Session, Webinar

Status = Registrant.Status


def _attach_price(webinar: Webinar, values: Sequence[Any]) -> Price | None:
    """Cache the webinar's price (None when the LEFT JOIN found none); return it."""
    price = None if values[0] is None else instance(Price, values)
    Webinar._meta.get_field("price").set_cached_value(webinar, price)
    if price is not None:
        Price._meta.get_field("webinar").set_cached_value(price, webinar)
    return price


def webinar_by_key(key: str) -> Webinar | None:
    """Return the webinar of a registration key with its price cached, or None.

    The price says, before the lock, whether a start reads the Stripe
    connection (registrations.seller); the lock reads both again. On
    PostgreSQL, a webinar whose price is on comes with that connection too,
    read in the same statement (None when it has none) as
    `webinar.selling_connection`, with what registrations.fast_hold decides
    on before the lock: `webinar.has_upcoming` and `webinar.price_has_tiers`
    (as lock_webinar reads them) and `webinar.fingerprint` (FINGERPRINT).
    There, the row may be one this process read a moment ago
    (registrations.key_rows): `webinar.key_row_kept` says so.
    """
    lateral = connection.vendor == "postgresql"
    params: list[Any] = [key]
    if lateral:
        params.insert(0, connection.ops.adapt_datetimefield_value(timezone.now()))

    def read() -> Sequence[Any] | None:
        with connection.cursor() as cursor:
            plain_sql.execute(cursor, _by_key(lateral), params)
            return cursor.fetchone()

    # Kept a moment by this process: a sale's starts all read the same row.
    row, kept = key_rows.row_for(key, read) if lateral else (read(), False)
    if row is None:
        return None
    width, priced = len(Webinar._meta.concrete_fields), len(Price._meta.concrete_fields)
    webinar = instance(Webinar, row[:width])
    webinar.key_row_kept = kept
    price = _attach_price(webinar, row[width : width + priced])
    if lateral:
        *row, webinar.has_upcoming, webinar.price_has_tiers, webinar.fingerprint = row
        if price is not None and price.enabled:
            found = row[width + priced :]
            webinar.selling_connection = (
                None if found[0] is None else instance(StripeConnection, found)
            )
    return webinar


@functools.cache
def _by_key(lateral: bool) -> str:
    """The key read's SQL; `lateral`: with the connection of an enabled price."""
    sql = f"SELECT {columns(Webinar, 'w')}, {columns(Price, 'p')}"  # noqa: S608 - names
    if lateral:
        sql += (
            f", {columns(StripeConnection, 'c')}, {UPCOMING.format(webinar='w.id')},"
            f" {_has_tiers('w.id')}, {FINGERPRINT}"
        )
    sql += (
        f" FROM {Webinar._meta.db_table} w"
        f" LEFT OUTER JOIN {Price._meta.db_table} p ON p.webinar_id = w.id"
    )
    if lateral:
        seller = connection_sql(
            account="w.account_id", owner="w.owner_id", when=" AND p.enabled"
        )
        sql += f" LEFT JOIN LATERAL ({seller}) c ON TRUE"
    return sql + " WHERE w.registration_key = %s"


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
        f" {UPCOMING.format(webinar='w.id')}, {_has_tiers('w.id')}"
    )
    if email is not None:
        read += f", {_SEATS_AND_EMAIL.format(scope='webinar_id = w.id')}"
        params.append(email)
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
            plain_sql.run(cursor, webinar_lock(pk), (read, params))
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


def webinar_lock(pk: int, *, begun: bool = False) -> tuple[str, list[Any]]:
    """The statement (and its parameters) locking the webinar's row, alone.

    `begun`: the caller's SQL opens the transaction itself (BEGIN), though
    the connection is in autocommit.
    """
    lock = " FOR UPDATE OF w" if begun else _for_update("w")
    return f"SELECT 1 FROM {_WEBINAR} w WHERE w.id = %s{lock}", [pk]  # noqa: S608 - a table name


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


# Whether the webinar has a session neither cancelled nor over at the time
# given (takes it): what a start's open check and the replay hook ask.
UPCOMING = (
    f"EXISTS(SELECT 1 FROM {Session._meta.db_table} s"  # noqa: S608 - a table name
    " WHERE s.webinar_id = {webinar} AND s.cancelled_at IS NULL AND s.ends_at >= %s)"
)
# Every column of the webinar `w`, of its price `p` (LEFT JOINed) and of the
# price's tiers, hashed: equal twice, nothing a start decides on has changed.
_TIERS = PriceTier._meta.db_table
FINGERPRINT = (
    "md5(w::text || '|' || COALESCE(p::text, '') || '|' || COALESCE("  # noqa: S608
    f"(SELECT string_agg(t::text, ',' ORDER BY t.id) FROM {_TIERS} t"
    " WHERE t.price_id = p.id), ''))"
)


# The statuses of a live registration: the email test below and the partial
# index it runs on (Registrant.Meta, registrant_live_email) name the same ones.
LIVE = (Status.CONFIRMED, Status.AWAITING, Status.PENDING)
_LIVE_SQL = ", ".join(f"'{status.value}'" for status in LIVE)
# The seat counter (capacity.counted_seats) and whether an email has a live
# registration (`email__iexact` as the ORM writes it), for one scope of
# webinar_id and session_id; takes the email. The statuses are written into
# the SQL (constants of this module, not input) so that every plan, a kept
# one too, can prove the partial index applies.
SEATS = (
    f"COALESCE((SELECT SUM(taken) FROM {SeatCount._meta.db_table}"  # noqa: S608 - a table name
    " WHERE {scope}), 0)"
)
LIVE_EMAIL = (
    f"EXISTS(SELECT 1 FROM {Registrant._meta.db_table}"  # noqa: S608 - a table name
    " WHERE {scope} AND UPPER(email) = UPPER(%s)"
    f" AND status IN ({_LIVE_SQL}))"
)
_SEATS_AND_EMAIL = f"{SEATS}, {LIVE_EMAIL}"
_WEBINAR = Webinar._meta.db_table


def count_and_email(
    *, webinar: Webinar, email: str, session: Session | None
) -> tuple[int, bool]:
    """Return the seat counter and whether the email has a live registration.

    The one statement after the lock (the hottest read of a start: the ORM
    would spend more CPU building it than PostgreSQL spends running it). It
    cannot join the locking statement: on PostgreSQL, that statement's
    subqueries see the rows as they were before it waited for the lock, so
    the counter would miss the seats of the starts it waited for.
    """
    scope = "webinar_id = %s" + (" AND session_id = %s" if session else "")
    params: list[Any] = [webinar.pk] + ([session.pk] if session else [])
    sql = f"SELECT {_SEATS_AND_EMAIL.format(scope=scope)}"
    with connection.cursor() as cursor:
        plain_sql.execute(cursor, sql, [*params, *params, email])
        counted, known = cursor.fetchone()
    return int(counted), bool(known)


def record_checkout(*, payment_id: int, session_id: str, url: str) -> None:
    """Store the Checkout Session of a payment; a created payment becomes open.

    A webhook may already have moved the status on: that status stays.

    Outside a transaction (a request's start), committed without waiting for
    the disk (`synchronous_commit` off for this transaction alone), in one
    round trip: a start commits twice, and at low concurrency the wait for
    the second flush cost more than the statement. A crash of the database
    in the moment after can lose the id, which is the case of a Checkout
    whose answer never reached us, handled as such: the webhook finds the
    payment by the session's metadata (registrations.fulfilment), and the
    Checkout expires with the hold. The seat's own commit waits for the disk.
    """
    sql = (
        f"UPDATE {Payment._meta.db_table} SET checkout_session_id = %s,"  # noqa: S608 - names
        " checkout_url = %s,"
        " status = CASE WHEN status = %s THEN %s ELSE status END WHERE id = %s"
    )
    params = [
        session_id,
        url,
        Payment.Status.CREATED,
        Payment.Status.OPEN,
        payment_id,
    ]
    alone = not connection.in_atomic_block and connection.get_autocommit()
    with connection.cursor() as cursor:
        if alone and connection.vendor == "postgresql":
            plain_sql.run_committed(
                cursor, (sql, params), local=["synchronous_commit TO OFF"]
            )
        else:
            plain_sql.execute(cursor, sql, params)
