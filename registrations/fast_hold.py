"""A paid start's seat held in the same round trip as the lock (PostgreSQL).

Every start of a webinar waits for the one holding its capacity row's lock
(registrations.capacity). Decided under the lock (registrations.registration),
a start holds it over three round trips and the Python between them; under a
threaded server each of those waits for the interpreter lock again, while up
to every other start of the sale waits for the row (at 64 clients, 48 of 56
database sessions were waiting for it).

The common paid start is decided before the lock instead, from what the key
read brought (start_sql.webinar_by_key): the webinar, its price and tiers,
the Stripe connection, whether a session is upcoming, and a fingerprint of
the webinar's, price's and tiers' rows. One round trip then locks the row
and, in the statement after it (which sees every start the lock waited for),
moves the seat counter and writes the payment, the registrant and its hold
only if nothing the decision rests on has changed: the same fingerprint, a
session still upcoming, the counter below the limit, no live registration
of this email, nobody waiting in the line (and a counter row to move: the
first seat creates it). A request's start is no transaction yet, so BEGIN
and COMMIT travel in the same round trip, and the lock is held while
PostgreSQL alone works. Otherwise nothing is written and the start is
decided under the lock, as any other.

What comes here: a paid seat of a whole webinar (not a series), without a
discount code or a waitlist offer. Everything else is decided under the lock.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone

from payments import pricing
from payments.connect.connections import USABLE_SQL
from payments.models import Price, StripeConnection
from registrations import hooks, start_sql
from registrations.hold_rows import write_held_seat_if
from registrations.models import Registrant, SeatHold
from registrations.seller import Seller
from registrations.start_rules import (
    RegistrationError,
    check_open,
    new_hold,
    new_registrant,
    price_registration,
)
from registrations.waitlist.models import WaitlistEntry
from webinars.models import Session, Webinar


@dataclass(frozen=True)
class Plan:
    """A paid start decided before the lock: its rows, and what it rests on."""

    registrant: Registrant
    hold: SeatHold
    fingerprint: str
    # The Stripe connection it sells through, still usable under the lock.
    connection_id: int


def plan_hold(
    webinar: Webinar, session: Session | None, seller: Seller, person: dict[str, Any]
) -> Plan | None:
    """Decide a paid start of `webinar` as the lock would; None: decide under it.

    `webinar`: as start_sql.webinar_by_key read it; `person`: the
    registrant's email, names, answers and language. Nothing is written and
    nothing raised: whatever would refuse the start is for the lock to say.
    """
    fingerprint = getattr(webinar, "fingerprint", None)
    if (
        fingerprint is None
        or session is not None
        or webinar.is_series
        or webinar.kind == Webinar.Kind.ON_DEMAND
        or not webinar.has_upcoming
    ):
        return None
    usable = seller.connection
    if not seller.read or usable is None or not usable.is_usable:
        return None
    price = pricing.loaded_price(webinar, has_tiers=webinar.price_has_tiers)
    if price is None or not price.enabled or hooks.registration_mode(webinar):
        return None
    try:
        check_open(webinar, None, has_upcoming=True)
        quote = price_registration(webinar=webinar, price=price)
    except (RegistrationError, pricing.PricingError):
        return None
    if not quote.paid:
        return None
    now = timezone.now()
    registrant = new_registrant(
        webinar=webinar, session=None, quote=quote, now=now, **person
    )
    hold = new_hold(registrant, connection=usable, now=now)
    return Plan(
        registrant=registrant,
        hold=hold,
        fingerprint=fingerprint,
        connection_id=usable.pk,
    )


def write_planned(plan: Plan) -> bool:
    """Lock the webinar and write the plan's rows if its premises hold; say whether.

    Outside any transaction (a request's start), the lock, the rows and the
    COMMIT go in one round trip, and the lock is held for none: nothing
    written, nothing is held either. Inside one (a test's, a caller's), the
    lock is held until it ends, whether written or not.
    """
    registrant = plan.registrant
    when = connection.ops.adapt_datetimefield_value(timezone.now())
    guard = (
        _guard(),
        [
            registrant.webinar_id,
            plan.fingerprint,
            when,
            registrant.email,
            plan.connection_id,
        ],
    )
    alone = not connection.in_atomic_block and connection.get_autocommit()
    return write_held_seat_if(
        guard=guard,
        before=start_sql.webinar_lock(registrant.webinar_id, begun=alone),
        payment=registrant.payment,
        registrant=registrant,
        hold=plan.hold,
        commit=alone,
    )


@functools.cache
def _guard() -> str:
    """The premises of a plan, read after the lock: one row if they all hold.

    Takes the webinar's id, the fingerprint, the time, the email and the
    Stripe connection's id: the connection read before the lock (perhaps with
    a row kept a moment, registrations.key_rows) must still be usable.
    """
    scope = "webinar_id = w.id"
    waiting = (
        f"SELECT 1 FROM {WaitlistEntry._meta.db_table} e"  # noqa: S608 - a table name
        " WHERE e.webinar_id = w.id AND e.session_id IS NULL"
        f" AND e.status = '{WaitlistEntry.Status.WAITING.value}'"
    )
    return (
        f"SELECT 1 FROM {Webinar._meta.db_table} w"  # noqa: S608 - names
        " LEFT OUTER JOIN"
        f" {Price._meta.db_table} p ON p.webinar_id = w.id"
        f" WHERE w.id = %s AND {start_sql.FINGERPRINT} = %s"
        f" AND {start_sql.UPCOMING.format(webinar='w.id')}"
        f" AND {start_sql.SEATS.format(scope=scope)} < w.registration_limit"
        f" AND NOT {start_sql.LIVE_EMAIL.format(scope=scope)}"
        f" AND (NOT w.waitlist_enabled OR NOT EXISTS({waiting}))"
        f" AND EXISTS(SELECT 1 FROM {StripeConnection._meta.db_table} c"
        f" WHERE c.id = %s AND {USABLE_SQL.format(c='c')})"
    )
