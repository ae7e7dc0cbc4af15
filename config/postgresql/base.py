"""Django's PostgreSQL backend; a connection is checked without a query.

With a pool (`DATABASE_POOL_SIZE`, the default), the pool checks each
connection a thread takes with `config.postgresql.pool.Check`. Without one
(`DATABASE_POOL_SIZE=0`), each thread keeps its own connection and the check
below runs before its first query in each request.

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

from django.db.backends.base.base import NO_DB_ALIAS
from django.db.backends.postgresql import base

from config.postgresql.pool import Check, quiet


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self):
        """Django's pool, built with the socket-first check (psycopg_pool's `check`).

        Django passes psycopg_pool's own check, an empty query per taking, or
        none; the pool is built here first, as Django builds it, with ours.
        """
        options = self.settings_dict["OPTIONS"].get("pool")
        if (
            options
            and self.alias != NO_DB_ALIAS
            and self.alias not in self._connection_pools
        ):
            from psycopg_pool import ConnectionPool

            kwargs = {**self.get_connection_params(), "autocommit": True}
            check = Check()
            check.pool = ConnectionPool(
                kwargs=kwargs,
                open=False,
                configure=self._configure_connection,
                check=check,
                **({} if options is True else options),
            )
            self._connection_pools.setdefault(self.alias, check.pool)
        return super().pool

    def _configure_connection(self, connection) -> bool:
        """Django's set-up of a new connection, then SESSION_SETTINGS (one query).

        Called for each connection the pool opens and, without a pool, when
        Django connects. SESSION_SETTINGS (config/database.py) are the lock
        and idle-in-transaction timeouts of config/busy.py.
        """
        commit = super()._configure_connection(connection)
        wanted = self.settings_dict.get("SESSION_SETTINGS") or {}
        if not wanted:
            return commit
        calls = ", ".join(["set_config(%s, %s, false)"] * len(wanted))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {calls}",  # noqa: S608 - placeholders only
                [value for pair in wanted.items() for value in pair],
            )
        return True

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
