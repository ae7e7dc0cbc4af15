"""The sandbox's own sqlite store: Stripe objects per account, idempotency, state."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    account TEXT NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS objects_by_type ON objects (account, type, seq);
-- The expiry sweep runs before every API call: it reads this index only.
CREATE INDEX IF NOT EXISTS open_sessions_by_expiry
    ON objects (json_extract(data, '$.expires_at'))
    WHERE type = 'checkout.session' AND json_extract(data, '$.status') = 'open';
CREATE TABLE IF NOT EXISTS idempotency (
    account TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    request_id TEXT NOT NULL,
    PRIMARY KEY (account, key)
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


class Store:
    """Persist JSON objects in one sqlite file, serialising access with a lock.

    One connection and one re-entrant lock: the sandbox is small and every
    API call is short, so serialising them keeps idempotency and balance
    checks free of races without any per-row locking.
    """

    def __init__(self, path: Path | None) -> None:
        if path is None:
            target = ":memory:"
        else:
            path.mkdir(parents=True, exist_ok=True)
            target = str(path / "stripe-sandbox.sqlite3")
        self.lock = threading.RLock()
        self._db = sqlite3.connect(
            target, check_same_thread=False, isolation_level=None, timeout=30
        )
        self._db.row_factory = sqlite3.Row
        self._depth = 0
        with self.lock:
            if path is not None:
                self._db.execute("PRAGMA journal_mode=WAL")
                # WAL with NORMAL survives a crash of the process, which is all
                # a local stand-in needs, and spares an fsync per API call.
                self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the lock and run the block in one sqlite transaction."""
        with self.lock:
            depth = self._depth
            # Nested blocks are savepoints, so a failed API call inside a
            # request rolls back alone.
            if depth == 0:
                begin, commit, rollback = "BEGIN IMMEDIATE", ["COMMIT"], ["ROLLBACK"]
            else:
                name = f"sp{depth}"
                begin, commit = f"SAVEPOINT {name}", [f"RELEASE {name}"]
                rollback = [f"ROLLBACK TO {name}", f"RELEASE {name}"]
            self._db.execute(begin)
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                for statement in rollback:
                    self._db.execute(statement)
                raise
            self._depth -= 1
            for statement in commit:
                self._db.execute(statement)

    def put(self, obj: dict[str, Any], account: str) -> dict[str, Any]:
        """Insert or replace an object, keyed by its `id`."""
        data = json.dumps(obj, sort_keys=True)
        # One statement, atomic on its own: a replaced object keeps its `seq`
        # (its place in lists) and its type.
        with self.lock:
            self._db.execute(
                "INSERT INTO objects (id, account, type, data) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET data = excluded.data, "
                "account = excluded.account",
                (obj["id"], account, obj["object"], data),
            )
        return obj

    def get(self, object_id: str, account: str | None = None) -> dict[str, Any] | None:
        """Return the object, only if it lives on `account` when one is given."""
        found = self.find(object_id)
        if found is None:
            return None
        owner, obj = found
        if account is not None and owner != account:
            return None
        return obj

    def find(self, object_id: str) -> tuple[str, dict[str, Any]] | None:
        """Return (account, object) for an id on any account."""
        with self.lock:
            row = self._db.execute(
                "SELECT account, data FROM objects WHERE id = ?", (object_id,)
            ).fetchone()
        if row is None:
            return None
        return row["account"], json.loads(row["data"])

    def all(self, object_type: str, account: str | None = None) -> list[dict[str, Any]]:
        """Return objects of a type, newest first, on one account or on all."""
        with self.lock:
            if account is None:
                rows = self._db.execute(
                    "SELECT data FROM objects WHERE type = ? ORDER BY seq DESC",
                    (object_type,),
                ).fetchall()
            else:
                rows = self._db.execute(
                    "SELECT data FROM objects WHERE account = ? AND type = ? "
                    "ORDER BY seq DESC",
                    (account, object_type),
                ).fetchall()
        return [json.loads(row["data"]) for row in rows]

    def expired_sessions(self, now: int) -> list[str]:
        """Return ids of open Checkout Sessions whose `expires_at` has passed."""
        with self.lock:
            # No ORDER BY: sqlite would scan every object to sort by seq
            # rather than read the open_sessions_by_expiry index.
            rows = self._db.execute(
                "SELECT id, seq FROM objects WHERE type = 'checkout.session' "
                "AND json_extract(data, '$.status') = 'open' "
                "AND json_extract(data, '$.expires_at') <= ?",
                (now,),
            ).fetchall()
        return [row["id"] for row in sorted(rows, key=lambda row: row["seq"])]

    def owner(self, object_id: str) -> str | None:
        """Return the account an object lives on."""
        found = self.find(object_id)
        return found[0] if found else None

    def idempotent(self, account: str, key: str) -> sqlite3.Row | None:
        """Return the stored response for an idempotency key."""
        with self.lock:
            return self._db.execute(
                "SELECT fingerprint, status, body, request_id FROM idempotency "
                "WHERE account = ? AND key = ?",
                (account, key),
            ).fetchone()

    def remember(
        self,
        *,
        account: str,
        key: str,
        fingerprint: str,
        status: int,
        body: str,
        request_id: str,
    ) -> None:
        """Store the first response given for an idempotency key."""
        with self.lock:
            self._db.execute(
                "INSERT OR IGNORE INTO idempotency "
                "(account, key, fingerprint, status, body, request_id) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (account, key, fingerprint, status, body, request_id),
            )

    def get_meta(self, key: str, default: Any = None) -> Any:
        """Return a JSON value kept in the meta table."""
        with self.lock:
            row = self._db.execute(
                "SELECT value FROM meta WHERE key = ?", (key,)
            ).fetchone()
        return default if row is None else json.loads(row["value"])

    def set_meta(self, key: str, value: Any) -> None:
        """Keep a JSON value in the meta table."""
        with self.transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                (key, json.dumps(value)),
            )

    def wipe(self) -> None:
        """Delete everything."""
        with self.transaction():
            for table in ("objects", "idempotency", "meta"):
                self._db.execute(f"DELETE FROM {table}")  # noqa: S608 - constant names

    def close(self) -> None:
        """Close the connection."""
        with self.lock:
            self._db.close()
