"""Django's PostgreSQL backend; a kept connection is checked without a query.

With CONN_HEALTH_CHECKS, Django checks a kept connection before its first
query in each request by sending `SELECT 1`: one more round trip and one more
statement for PostgreSQL, on every request that touches the database (a
paid start made six round trips besides it). A connection PostgreSQL has
closed (a restart, pg_terminate_backend, an idle timeout of a proxy) has
something to read while it idles: the server's last message, then the end of
the stream. So the check here first asks the socket (poll, no wait): quiet
means usable; anything readable, or a socket that cannot be asked, gets
Django's own check, which closes the connection if `SELECT 1` fails.

After a failed query (errors_occurred), Django's own check runs as before.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base


def quiet(raw) -> bool:
    """Whether an idle psycopg2 connection's socket has nothing to say."""
    if raw.closed or not hasattr(select, "poll"):
        # Closed, or no poll() on this system (Windows): Django's check decides.
        return False
    try:
        poller = select.poll()
        poller.register(raw.fileno(), select.POLLIN | select.POLLPRI)
        return not poller.poll(0)
    except (OSError, ValueError):
        return False


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self) -> None:
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and not self.errors_occurred
            and quiet(self.connection)
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()
