"""The default database's settings, from DATABASE_URL and the pool's variables.

SQLite (the embedded default) waits on locks and writes ahead; PostgreSQL
gets Django's backend with a socket-first connection check
(config/postgresql) and, unless `DATABASE_POOL_SIZE=0`, a connection pool
per process (see the README's serving model).
"""

from pathlib import Path
from typing import Any

import environ


def database(env: environ.Env, var_dir: Path) -> dict[str, Any]:
    """Return DATABASES["default"]."""
    settings = env.db("DATABASE_URL", default=f"sqlite:///{var_dir / 'db.sqlite3'}")
    settings["ATOMIC_REQUESTS"] = False
    if settings["ENGINE"] == "django.db.backends.sqlite3":
        # Web, worker and beat processes share the file: wait on locks, not fail.
        settings.setdefault("OPTIONS", {}).update(
            {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                # WAL: readers never block the writer, and a commit costs no
                # fsync (the outbox commits once per email sent).
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            }
        )
    elif settings["ENGINE"] == "django.db.backends.postgresql" and (
        pool_size := env.int("DATABASE_POOL_SIZE", default=20)
    ):
        # Each process keeps at most `pool_size` connections (psycopg_pool),
        # which its requests take and give back at their end, and while they
        # wait on Stripe (payments/gateway_client.py): the requests waiting are
        # not capped by connections. The pool checks a connection it hands out
        # by asking its socket first (config/postgresql).
        settings["CONN_MAX_AGE"] = 0
        settings["CONN_HEALTH_CHECKS"] = False
        # A server-side cursor (Django's `.iterator()` outside a transaction
        # declares one WITH HOLD) lives in its connection's session: given
        # back during a Stripe call, the connection would carry it to another
        # request. Client-side cursors hold their rows in the process.
        settings["DISABLE_SERVER_SIDE_CURSORS"] = True
        settings.setdefault("OPTIONS", {})["pool"] = {
            # Opened on first use and grown on demand (a Celery prefork child
            # reopens its pool for each task: one connection, as without a pool).
            "min_size": 1,
            "max_size": pool_size,
            # A request waits this long for a connection before it fails.
            "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
        }
    else:
        settings["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
        settings["CONN_HEALTH_CHECKS"] = True
    # Django's, with a check of a connection that asks its socket first.
    if settings["ENGINE"] == "django.db.backends.postgresql":
        settings["ENGINE"] = "config.postgresql"
        # Set on each new connection (config/postgresql, config/busy.py): a
        # lock is waited for at most this long, and a session left idle in a
        # transaction (its process frozen, its host gone) is ended by the
        # server, releasing its locks. 0 turns either off.
        settings["SESSION_SETTINGS"] = {
            "lock_timeout": _milliseconds(
                env.float("DATABASE_LOCK_TIMEOUT", default=10.0)
            ),
            "idle_in_transaction_session_timeout": _milliseconds(
                env.float("DATABASE_IDLE_IN_TRANSACTION_TIMEOUT", default=60.0)
            ),
        }
    return settings


def _milliseconds(seconds: float) -> str:
    """PostgreSQL's setting for a duration: '10000ms' ('0': no limit)."""
    return f"{round(seconds * 1000)}ms" if seconds > 0 else "0"
