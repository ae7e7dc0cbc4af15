"""The rows a checkout's fulfilment reads, locks and writes, in plain SQL.

Every paid registrant is confirmed through these statements, at the rate a
flash sale sells (50 per second and more): building them with the ORM cost
the confirmation more CPU than running them (a locked row read: 0.69 ms with
the ORM, 0.45 ms with `Model.objects.raw`, 0.16 ms here; an UPDATE: 0.3-0.45
ms with the ORM, 0.1 ms here). Each statement names the ORM expression it
stands for. Rows come back as model instances, built as the ORM builds them
(the database's converters, then `Model.from_db`), so the code that decides
works on the same objects as before.
"""

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from django.db import connection
from django.db.models import Field, Model
from django.utils import timezone

from organizers.plain_sql import columns, instance
from payments.models import Payment
from registrations.capacity import STAFF_SOURCES
from registrations.models import SEAT_STATUSES, Registrant, SeatCount, SeatHold
from webinars.models import Session, Webinar

Status = Registrant.Status
Locked = TypeVar("Locked", Webinar, Session, Payment)


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _for_update() -> str:
    # SQLite (the embedded default) has no row locks: one writer at a time.
    return " FOR UPDATE" if connection.features.has_select_for_update else ""


def _rows(model: type[Model], where: str, params: list) -> list:
    """Return the instances of `SELECT <columns> FROM <table> WHERE <where>`."""
    sql = f"SELECT {columns(model, 't')} FROM {_table(model)} t WHERE {where}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [instance(model, row) for row in cursor.fetchall()]


def find_payment(*, account: str, checkout_session_id: str) -> tuple[int, str] | None:
    """Return (id, status) of the payment of a Checkout Session, or None.

    Payment.objects.filter(stripe_account_id=account,
    checkout_session_id=checkout_session_id).values_list("pk", "status").first()
    """
    sql = (
        f"SELECT id, status FROM {_table(Payment)}"  # noqa: S608 - a table name
        " WHERE stripe_account_id = %s AND checkout_session_id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [account, checkout_session_id])
        row = cursor.fetchone()
    return (row[0], row[1]) if row else None


def lock_checkout(payment_id: int) -> tuple[Payment, list[Registrant]]:
    """Lock the capacity rows, the payment and its registrants, in that order.

    A payment pays for one registrant, or for one per session of a series
    (several sessions in one checkout): their sessions are locked by id, as
    start_registration locks them. The capacity row is read as it is locked
    (the webinar, or the session with its webinar read after), and the
    registrants come back with their webinar and session attached: nothing
    is read twice.
    """
    keys = _registrant_keys(payment_id)
    if not keys:
        raise Registrant.DoesNotExist(f"No registrant for payment {payment_id}")
    webinars: dict[int, Webinar] = {}
    sessions: dict[int, Session] = {}
    # Same lock order as start_registration: capacity rows, then the rest.
    for _pk, webinar_id, session_id in keys:
        if session_id is None and webinar_id not in webinars:
            webinars[webinar_id] = _lock_one(Webinar, webinar_id)
        elif session_id is not None and session_id not in sessions:
            sessions[session_id] = _lock_one(Session, session_id)
    for session in sessions.values():
        if session.webinar_id not in webinars:
            # Session.webinar: the webinar of a locked session, not locked.
            webinars[session.webinar_id] = Webinar.objects.get(pk=session.webinar_id)
        session.webinar = webinars[session.webinar_id]
    payment = _lock_one(Payment, payment_id)
    # Registrant.objects.select_for_update().filter(pk__in=...).order_by("pk")
    ids = [pk for pk, _webinar, _session in keys]
    marks = ", ".join(["%s"] * len(ids))
    registrants = _rows(Registrant, f"id IN ({marks}) ORDER BY id{_for_update()}", ids)
    scopes = {(webinar_id, session_id) for _pk, webinar_id, session_id in keys}
    for registrant in registrants:
        if (registrant.webinar_id, registrant.session_id) not in scopes:
            # Moved to another session between the read of the keys and the
            # locks: its capacity row is not locked. The event is tried again.
            raise RuntimeError(f"Registrant {registrant.pk} moved while locking")
        registrant.webinar = webinars[registrant.webinar_id]
        registrant.session = (
            sessions[registrant.session_id] if registrant.session_id else None
        )
    return payment, registrants


def _registrant_keys(payment_id: int) -> list[tuple[int, int, int | None]]:
    """Registrant.objects.filter(payment_id=payment_id).order_by("session_id", "pk")
    .values_list("pk", "webinar_id", "session_id")"""
    sql = (
        f"SELECT id, webinar_id, session_id FROM {_table(Registrant)}"  # noqa: S608
        " WHERE payment_id = %s ORDER BY session_id, id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [payment_id])
        return [(row[0], row[1], row[2]) for row in cursor.fetchall()]


def _lock_one(model: type[Locked], pk: int) -> Locked:
    """model.objects.select_for_update().get(pk=pk)"""
    rows = _rows(model, f"id = %s{_for_update()}", [pk])
    if not rows:
        raise model.DoesNotExist(f"{model.__name__} {pk} does not exist")
    return rows[0]


@dataclass(frozen=True)
class PaidFacts:
    """What decides whether a paid registrant gets their seat, read at once."""

    # Another confirmed or awaiting registration of the same email (and session).
    duplicate: bool
    # The registrant's hold is neither released, consumed nor past its expiry.
    live_hold: bool
    # The seat counter of the registrant's scope, as the confirmation's
    # organizer notice reads it (see emails.outbox.queue_registration_notifications).
    counted: int


def paid_facts(registrant: Registrant) -> PaidFacts:
    """Read the facts of a pending or lapsed paid registrant in one statement.

    Call it with the capacity row locked. It stands for three queries:
    capacity.existing_registration(webinar=..., email=..., session=...),
    SeatHold.objects.filter(registrant=..., released_at__isnull=True,
    consumed_at__isnull=True, expires_at__gt=now).exists() and
    capacity.counted_seats(webinar=..., session=session if series else None).
    """
    webinar = registrant.webinar
    adapt = connection.ops.adapt_datetimefield_value
    duplicate_session = ""
    params: list = [
        webinar.pk,
        registrant.email,
        Status.CONFIRMED.value,
        Status.AWAITING.value,
        *(source.value for source in STAFF_SOURCES),
        registrant.pk,
    ]
    if registrant.session_id is not None:
        duplicate_session = " AND r.session_id = %s"
        params.append(registrant.session_id)
    params += [registrant.pk, adapt(timezone.now()), webinar.pk]
    counter_session = ""
    if webinar.is_series and registrant.session_id is not None:
        counter_session = " AND c.session_id = %s"
        params.append(registrant.session_id)
    sql = (
        "SELECT"  # noqa: S608 - table names
        f" EXISTS(SELECT 1 FROM {_table(Registrant)} r"
        " WHERE r.webinar_id = %s AND UPPER(r.email) = UPPER(%s)"
        " AND r.status IN (%s, %s) AND r.source NOT IN (%s, %s) AND r.id <> %s"
        f"{duplicate_session}),"
        f" EXISTS(SELECT 1 FROM {_table(SeatHold)} h"
        " WHERE h.registrant_id = %s AND h.released_at IS NULL"
        " AND h.consumed_at IS NULL AND h.expires_at > %s),"
        f" (SELECT COALESCE(SUM(c.taken), 0) FROM {_table(SeatCount)} c"
        f" WHERE c.webinar_id = %s{counter_session})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        duplicate, live_hold, counted = cursor.fetchone()
    return PaidFacts(
        duplicate=bool(duplicate), live_hold=bool(live_hold), counted=int(counted)
    )


@functools.cache
def _update_sql(
    model: type[Model], names: tuple[str, ...], vendor: str
) -> tuple[str, tuple[Field, ...]]:
    fields = tuple(model._meta.get_field(name) for name in names)
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    key = quote(model._meta.pk.column)
    sql = f"UPDATE {_table(model)} SET {assignments} WHERE {key} = %s"  # noqa: S608
    return sql, fields


def save_fields(instance: Payment | Registrant, names: list[str]) -> None:
    """instance.save(update_fields=names), for a row locked by lock_checkout.

    Without Model.save: these models send no signal and their rows exist (they
    are locked). Registrant.save also moves seat counters: see set_status.
    """
    sql, fields = _update_sql(type(instance), tuple(names), connection.vendor)
    params = [
        field.get_db_prep_save(getattr(instance, field.attname), connection)
        for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, instance.pk])


def consume_hold(registrant: Registrant, *, now: datetime) -> int:
    """Consume the registrant's open hold; return how many holds it consumed.

    SeatHold.objects.filter(registrant=registrant, released_at__isnull=True,
    consumed_at__isnull=True).update(consumed_at=now)
    """
    sql = (
        f"UPDATE {_table(SeatHold)} SET consumed_at = %s"  # noqa: S608 - a table
        " WHERE registrant_id = %s AND released_at IS NULL AND consumed_at IS NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [connection.ops.adapt_datetimefield_value(now), registrant.pk],
        )
        return cursor.rowcount


def set_status(registrant: Registrant, *, was: str, fields: list[str]) -> None:
    """Save a locked registrant's new status (and `fields`, its timestamps).

    Registrant.save reads the row again, locked, to move the seat counters
    by the change; a registrant locked by lock_checkout in this transaction
    is that row, and its webinar, session and source do not change here. So
    when its old status (`was`) and its new one both hold a seat, or both
    do not, no counter moves and the UPDATE alone is the change
    (save_fields). Otherwise, Registrant.save.
    """
    if (was in SEAT_STATUSES) != (registrant.status in SEAT_STATUSES):
        registrant.save(update_fields=fields)
        return
    save_fields(registrant, fields)
