"""A start's read of its webinar by key, kept a moment by each process.

During a sale, every start reads the same row by registration key
(start_sql.webinar_by_key): the webinar, its price, the Stripe connection
selling it, whether a session is upcoming, the tiers and the fingerprint. On
PostgreSQL (where that fingerprint is read), each web process keeps the row
it read for `REGISTRATION_KEY_ROW_SECONDS` (half a second; 0: never kept), so
a hot webinar is read once per process and half second instead of once per
start: one statement less for nearly every start of a flash sale.

Why a row that old cannot sell a seat it should not:

- the common paid start (registrations.fast_hold) writes only if, under the
  lock, the webinar's, price's and tiers' fingerprint is the one read, a
  session is still upcoming, a seat is free and the Stripe connection read
  is still usable;
- every other start is decided under the lock on a fresh read of the webinar
  and its price, and reads the connection again (registrations.seller);
- a row saved or deleted in this process (the webinar, a session, the price,
  a tier, the account, a Stripe connection) is forgotten at once, as the
  page cache forgets the page (registrations.page_cache).

What may be that old when another process saved it: the form's questions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.conf import settings

ROW_SECONDS = 0.5
# A bound on what one process keeps (a row is a few hundred bytes).
MOST_KEYS = 1000

_rows: dict[str, tuple[float, Sequence[Any]]] = {}
# Seconds, for the expiry only (tests replace it).
clock = time.monotonic


def row_seconds() -> float:
    """How long a process keeps a key's row (0: read every time)."""
    return float(getattr(settings, "REGISTRATION_KEY_ROW_SECONDS", ROW_SECONDS))


def row_for(
    key: str, read: Callable[[], Sequence[Any] | None]
) -> tuple[Sequence[Any] | None, bool]:
    """Return the row of `key` and whether it was kept (else `read()` now)."""
    kept = _rows.get(key)
    now = clock()
    if kept is not None and kept[0] > now:
        return kept[1], True
    row = read()
    seconds = row_seconds()
    if row is None or seconds <= 0:
        _rows.pop(key, None)
        return row, False
    if len(_rows) >= MOST_KEYS:
        _rows.clear()
    _rows[key] = (now + seconds, row)
    return row, False


def forget(keys: Iterable[str]) -> None:
    """Forget the rows of these registration keys in this process."""
    for key in keys:
        _rows.pop(key, None)


def forget_all() -> None:
    """Forget every row this process keeps."""
    _rows.clear()
