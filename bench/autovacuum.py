"""Autovacuum's work, for a benchmark on a PostgreSQL that runs without it.

A PostgreSQL in production runs autovacuum: once a minute it analyses each
table a tenth of which changed since its last analysis, and vacuums each
table a fifth of which is dead (or newly inserted). The statistics it keeps
are what the planner chooses an index by, and a prepared statement's kept
plan is made again after each analysis. This machine's PostgreSQL, and CI's,
run with `autovacuum = off`: during a benchmark the tables grow from a
few thousand rows to tens of thousands while the planner still believes the
numbers of the start, and a plan chosen for a small table (a whole webinar's
registrants read to find one email) costs more with every start.

`Autovacuum` does, from a thread of the benchmark, what autovacuum would:
at its interval (`autovacuum_naptime`) and by its thresholds and scale
factors, read from the server's settings. On a server whose autovacuum is
on it does nothing. Its work is done by a PostgreSQL backend, so the CPU it
costs is counted with PostgreSQL's, as autovacuum's workers would be.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

# The server's settings this reads; their defaults, should one be missing.
SETTINGS = {
    "autovacuum_naptime": 60.0,
    "autovacuum_vacuum_threshold": 50.0,
    "autovacuum_vacuum_scale_factor": 0.2,
    "autovacuum_vacuum_insert_threshold": 1000.0,
    "autovacuum_vacuum_insert_scale_factor": 0.2,
    "autovacuum_analyze_threshold": 50.0,
    "autovacuum_analyze_scale_factor": 0.1,
}

TABLES = """
SELECT s.relname, GREATEST(c.reltuples, 0), s.n_dead_tup, s.n_ins_since_vacuum,
       s.n_mod_since_analyze
FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
WHERE s.schemaname = 'public'
"""


@dataclass(frozen=True)
class Table:
    """What pg_stat_user_tables says of one table."""

    name: str
    tuples: float
    dead: int
    inserted: int
    modified: int


def due(table: Table, settings: dict[str, float]) -> str | None:
    """Autovacuum's statement for `table`: VACUUM (ANALYZE), VACUUM, ANALYZE or None."""
    vacuum = table.dead > (
        settings["autovacuum_vacuum_threshold"]
        + settings["autovacuum_vacuum_scale_factor"] * table.tuples
    ) or table.inserted > (
        settings["autovacuum_vacuum_insert_threshold"]
        + settings["autovacuum_vacuum_insert_scale_factor"] * table.tuples
    )
    analyze = table.modified > (
        settings["autovacuum_analyze_threshold"]
        + settings["autovacuum_analyze_scale_factor"] * table.tuples
    )
    if vacuum:
        return "VACUUM (ANALYZE)" if analyze else "VACUUM"
    return "ANALYZE" if analyze else None


class Autovacuum:
    """A thread doing autovacuum's work on one database, if its server does not."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.runs: list[str] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Autovacuum:
        connection = self._connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SHOW autovacuum")
                if cursor.fetchone()[0] == "on":
                    return self
                settings = _settings(cursor)
        finally:
            connection.close()
        self._thread = threading.Thread(
            target=self._run, args=(settings,), name="bench-autovacuum", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=120)

    @property
    def running(self) -> bool:
        return self._thread is not None

    def _run(self, settings: dict[str, float]) -> None:
        while not self._stop.wait(settings["autovacuum_naptime"]):
            try:
                self.runs += self.once(settings)
            except Exception as error:  # as autovacuum does: again next time
                self.runs.append(f"failed: {error}")

    def once(self, settings: dict[str, float]) -> list[str]:
        """One pass over the tables; return the statements run."""
        connection = self._connect()
        ran = []
        try:
            with connection.cursor() as cursor:
                cursor.execute(TABLES)
                for row in cursor.fetchall():
                    statement = due(Table(*row), settings)
                    if statement is not None:
                        cursor.execute(f'{statement} "{row[0]}"')
                        ran.append(f"{statement} {row[0]}")
        finally:
            connection.close()
        return ran

    def _connect(self) -> Any:
        import psycopg

        # VACUUM runs outside a transaction.
        connection = psycopg.connect(self.url, autocommit=True)
        return connection


def _settings(cursor: Any) -> dict[str, float]:
    cursor.execute(
        "SELECT name, setting FROM pg_settings WHERE name = ANY(%s)",
        (list(SETTINGS),),
    )
    return {**SETTINGS, **{name: float(value) for name, value in cursor.fetchall()}}
