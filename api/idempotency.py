"""Idempotency-Key on POST: the same key and request replay the first answer.

As Stripe does: a key names one request of one token for
API_IDEMPOTENCY_HOURS. The first request with a key claims it (a row,
unique per token and key); its answer is stored when it ends, unless it is
a server error, which frees the key for a retry. The same key with the
same method, path and body then gets the stored answer again; with another
request it is refused (422), and while the first is still running, 409 (a
claim left without its answer for ABANDONED_AFTER is given up).
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import ApiToken, IdempotentRequest
from api.problems import Problem

MAX_KEY_LENGTH = 255
# A claim still without its answer this long after it was made belongs to a
# request that will never store one (its process died, or the database was
# too busy to take the answer: config/busy.py): the key is free again. Far
# longer than any request runs (gunicorn's timeout is 30 s).
ABANDONED_AFTER = timedelta(minutes=2)


@dataclass(frozen=True)
class Stored:
    """A stored answer to replay."""

    status_code: int
    body: Any
    content_type: str


def fingerprint(*, method: str, path: str, body: bytes) -> str:
    """Return the hash that tells two requests apart (JSON key order aside)."""
    try:
        canonical = json.dumps(json.loads(body or b"null"), sort_keys=True).encode()
    except ValueError:
        canonical = body
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), canonical):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise Problem(
            status_code=400,
            kind="invalid-idempotency-key",
            title=_("Invalid Idempotency-Key"),
            detail=_("An Idempotency-Key has 1 to 255 printable characters."),
        )
    return key


def claim(
    *, token: ApiToken, key: str, request_fingerprint: str
) -> IdempotentRequest | Stored:
    """Claim `key` for this request, or return the stored answer to replay.

    Raise Problem 422 when the key was used for another request, 409 while
    the first request with it is still running.
    """
    key = check_key(key)
    since = timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_HOURS)
    # Expired keys of this token are forgotten, so the key can name a new request.
    IdempotentRequest.objects.filter(token=token, created_at__lt=since).delete()
    try:
        with transaction.atomic():
            return IdempotentRequest.objects.create(
                token=token, key=key, fingerprint=request_fingerprint
            )
    except IntegrityError:
        pass
    first = IdempotentRequest.objects.filter(token=token, key=key).first()
    if first is None:
        # Released (a server error) between the two statements: try again later.
        raise Problem(
            status_code=409,
            kind="idempotency-key-in-use",
            title=_("Idempotency-Key in use"),
            detail=_("A request with this Idempotency-Key is still running."),
        )
    if first.fingerprint != request_fingerprint:
        raise Problem(
            status_code=422,
            kind="idempotency-key-reused",
            title=_("Idempotency-Key reused"),
            detail=_(
                "This Idempotency-Key was already used for another request. "
                "Use a new key for a new request."
            ),
        )
    abandoned = timezone.now() - ABANDONED_AFTER
    if first.status_code is None and first.created_at < abandoned:
        IdempotentRequest.objects.filter(pk=first.pk, status_code__isnull=True).delete()
        return claim(token=token, key=key, request_fingerprint=request_fingerprint)
    if first.status_code is None:
        raise Problem(
            status_code=409,
            kind="idempotency-key-in-use",
            title=_("Idempotency-Key in use"),
            detail=_("A request with this Idempotency-Key is still running."),
        )
    return Stored(first.status_code, first.body, first.content_type)


def storable(value: Any) -> Any:
    """Return a JSON value PostgreSQL's jsonb can hold: NUL characters as U+FFFD.

    A 400 may echo what the client sent (an unknown answer's name in its
    pointer, a refused choice), and jsonb refuses the text NUL.
    """
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [storable(item) for item in value]
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    return value


def store(
    *, claimed: IdempotentRequest, status_code: int, body: Any, content_type: str
) -> None:
    """Keep the first answer; a server error frees the key for a retry instead."""
    if status_code >= 500:
        release(claimed=claimed)
        return
    IdempotentRequest.objects.filter(pk=claimed.pk).update(
        status_code=status_code, body=body, content_type=content_type
    )


def release(*, claimed: IdempotentRequest) -> None:
    IdempotentRequest.objects.filter(pk=claimed.pk).delete()
