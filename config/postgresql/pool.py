"""The database connection pool's check: ask the socket before the server.

With a pool (psycopg_pool, `DATABASE_POOL_SIZE`), each request, and each
wait on Stripe, gives its connection back and takes one again; psycopg_pool's
own check (`ConnectionPool.check_connection`) sends an empty query each
time: one more round trip for every taking. A connection PostgreSQL has
closed (a restart, pg_terminate_backend, an idle timeout of a proxy) has
something to read while it idles: the server's last message, then the end of
the stream. So a quiet socket is a usable connection, and only a socket with
something to say, or one that cannot be asked, gets the round trip.

Imported by the settings: nothing here imports Django or the driver at load.
"""

from __future__ import annotations

import select
from typing import Any


def quiet(raw: Any) -> bool:
    """Whether an idle connection's socket has nothing to say."""
    if raw.closed or not hasattr(select, "poll"):
        # Closed, or no poll() on this system (Windows): the server decides.
        return False
    try:
        poller = select.poll()
        poller.register(raw.fileno(), select.POLLIN | select.POLLPRI)
        return not poller.poll(0)
    except (OSError, ValueError):
        return False


class Check:
    """psycopg_pool's `check`: raise if the connection taken is not usable.

    A quiet socket passes without a query. A connection that fails its check
    usually means the server restarted, and every idle connection of the
    pool is dead too; psycopg_pool waits longer after each failed check (1 s,
    then 2 s...), so going through twenty dead connections one request at a
    time would outlast the pool's timeout. The first failure therefore has
    the pool check all its idle connections at once (`ConnectionPool.check`),
    replacing the dead ones, and the request waits one back-off, not twenty.
    """

    def __init__(self) -> None:
        self.pool: Any = None  # set once the pool is built

    def __call__(self, raw: Any) -> None:
        if quiet(raw):
            return
        from psycopg_pool import ConnectionPool

        try:
            ConnectionPool.check_connection(raw)
        except Exception:
            if self.pool is not None:
                self.pool.check()
            raise
