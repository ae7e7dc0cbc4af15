"""A database too busy to answer in time: a 503 to try again, not a 500.

Each PostgreSQL connection waits at most `DATABASE_LOCK_TIMEOUT` seconds for
a row lock (`lock_timeout`), and the server ends a session left idle inside
a transaction for `DATABASE_IDLE_IN_TRANSACTION_TIMEOUT` seconds
(`idle_in_transaction_session_timeout`): see config/database.py. So a
process that froze or lost its host while holding a webinar's seat lock
stops that webinar's sales for at most a minute, not until TCP notices (two
hours by default), and meanwhile the requests waiting on the lock give up
after ten seconds instead of holding their connections (and with them the
rest of the site) for as long.

What they answer: `is_busy(error)` recognises the errors of a database that
could not serve in time (a lock not granted, no pooled connection free, a
SQLite file locked past its timeout); the 500 handler (config/views.py) and
the API's problem handler answer those with 503 and `Retry-After`.
"""

from __future__ import annotations

import sqlite3

from django.utils.translation import gettext_lazy as _

RETRY_AFTER_SECONDS = 5
BUSY_TITLE = _("Try again in a moment")
BUSY_TEXT = _(
    "We could not answer in time: the service is busy or briefly unavailable. "
    "Please try again in a few seconds."
)


def _busy_kinds() -> tuple[type[BaseException], ...]:
    kinds: list[type[BaseException]] = []
    try:
        from psycopg import errors

        # A lock not granted in time, a deadlock (PostgreSQL rolled one
        # transaction back), a server starting up or shutting down.
        kinds += [errors.LockNotAvailable, errors.DeadlockDetected]
        kinds += [errors.CannotConnectNow]
    except ImportError:  # pragma: no cover - psycopg is a dependency
        pass
    try:
        from psycopg_pool import PoolTimeout

        kinds.append(PoolTimeout)
    except ImportError:  # pragma: no cover - psycopg_pool is a dependency
        pass
    return tuple(kinds)


_BUSY = _busy_kinds()


def is_busy(error: BaseException | None) -> bool:
    """Whether `error`, or the driver's error it wraps, says the database was busy.

    Only down the chain of causes of Django's database errors (which raise
    the driver's error as their cause): another error raised while one of
    these was being handled (a bug in an `except`) is not "busy".
    """
    from django.db import DatabaseError

    seen = 0
    while error is not None and seen < 10:
        if _BUSY and isinstance(error, _BUSY):
            return True
        if isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
            return True
        if error.__cause__ is not None:
            error = error.__cause__
        elif isinstance(error, DatabaseError) and not error.__suppress_context__:
            error = error.__context__
        else:
            return False
        seen += 1
    return False
