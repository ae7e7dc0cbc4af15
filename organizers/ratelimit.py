"""One rate limiter for every public endpoint that a script could hammer.

Counts live in Django's cache (Redis in production, so every web process shares
them), one counter per (scope, client, time window).
"""

from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone


def client_address(request: HttpRequest) -> str:
    """Return the address the limits are counted against."""
    return request.META.get("REMOTE_ADDR") or "unknown"


def too_many(request: HttpRequest, *, scope: str, limit: int, window: int) -> bool:
    """Count one attempt of this client in `scope`; True once over `limit`.

    The window is fixed (attempts per `window` seconds, counted from the
    epoch), which is enough to stop scripts without storing every attempt.
    """
    bucket = int(timezone.now().timestamp()) // window
    key = f"ratelimit:{scope}:{client_address(request)}:{bucket}"
    cache.add(key, 0, timeout=window * 2)
    try:
        attempts = cache.incr(key)
    except ValueError:
        # Evicted between add and incr: count this attempt as the first.
        cache.set(key, 1, timeout=window * 2)
        attempts = 1
    return attempts > limit
