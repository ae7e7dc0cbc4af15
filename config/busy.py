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
could not serve in time (a lock not granted, a deadlock, no pooled
connection free, a server that cannot be reached, is starting, stopping or
out of connections, a SQLite file locked past its timeout); the 500 handler
(config/views.py) and the API's problem handler answer those with 503 and
`Retry-After`.
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


# PostgreSQL's SQLSTATEs (or their class prefix) of a server that could not
# serve in time: a lock not granted (55P03), a deadlock (40P01: one
# transaction rolled back), a connection lost or refused (class 08), a server
# starting up or shutting down (57P), out of connections (53300).
BUSY_SQLSTATES = ("55P03", "40P01", "08", "57P", "53300")


def _busy_kinds() -> tuple[type[BaseException], ...]:
    try:
        from psycopg_pool import PoolTimeout
    except ImportError:  # pragma: no cover - psycopg_pool is a dependency
        return ()
    return (PoolTimeout,)


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
        if _unreachable(error):
            return True
        if error.__cause__ is not None:
            error = error.__cause__
        elif isinstance(error, DatabaseError) and not error.__suppress_context__:
            error = error.__context__
        else:
            return False
        seen += 1
    return False


def _unreachable(error: BaseException) -> bool:
    """A psycopg error of a server that could not serve in time (BUSY_SQLSTATES).

    Or could not be reached at all (no SQLSTATE: refused, timed out): with a
    pool that is a PoolTimeout; without one (`DATABASE_POOL_SIZE=0`) the
    connection attempt's own error. Either way, 503 and try again.
    """
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    if not isinstance(error, psycopg.Error):
        return False
    state = error.sqlstate
    if state is None:
        return isinstance(error, psycopg.OperationalError)
    return state.startswith(BUSY_SQLSTATES)
