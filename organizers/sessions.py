"""The database session engine, refusing session cookies no key can match.

Django's keys are 32 lowercase letters and digits. A cookie with anything else
(a NUL, which PostgreSQL refuses in a query, or 5,000 characters) is treated as
no session, without touching the database. Set as SESSION_ENGINE.
"""

import re

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

SESSION_KEY_RE = re.compile(r"[a-z0-9]{8,40}")


class SessionStore(DatabaseSessionStore):
    def _validate_session_key(self, key: str | None) -> bool:
        return bool(key) and SESSION_KEY_RE.fullmatch(key) is not None
