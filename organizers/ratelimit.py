"""One rate limiter for every endpoint that a script could hammer.

Counts live in Django's cache (Redis in production, so every web process shares
them), one counter per (scope, client, time window). The client is the address
`client_ip` reads, the same one django-axes counts failed logins against.
"""

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from python_ipware import IpWare


def client_ip(request: HttpRequest) -> str | None:
    """Return the client's address, trusting only TRUSTED_PROXY_COUNT proxies.

    With 0 (no proxy) the address is REMOTE_ADDR and X-Forwarded-For is ignored:
    anyone can send one. Behind N proxies, each appending the address it was
    reached from, the client is the Nth entry from the right; entries further
    left were written by the client and prove nothing.

    None when the request has no address at all (a request built in code, as
    Django's test client's force_login does): django-axes stores it in an
    address column, where a placeholder would not fit.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    # ipware counts the proxies listed after the client in the header; the
    # last proxy is REMOTE_ADDR, so N - 1 of the N appear there. Not strict: a
    # longer header is the client's own prefix, the right-hand entries decide.
    ipware = IpWare(
        precedence=("HTTP_X_FORWARDED_FOR",), leftmost=True, proxy_count=count - 1
    )
    ip, _trusted = ipware.get_client_ip(request.META, False)
    # No usable header: the request did not come through the proxies.
    return str(ip) if ip is not None else remote


def too_many(request: HttpRequest, *, scope: str, limit: int, window: int) -> bool:
    """Count one attempt of this client in `scope`; True once over `limit`.

    The window is fixed (attempts per `window` seconds, counted from the
    epoch), which is enough to stop scripts without storing every attempt.
    """
    bucket = int(timezone.now().timestamp()) // window
    key = f"ratelimit:{scope}:{client_ip(request) or 'unknown'}:{bucket}"
    if hasattr(cache, "hit"):
        # Redis (config/cache.py): one round trip.
        return cache.hit(key, timeout=window * 2) > limit
    cache.add(key, 0, timeout=window * 2)
    try:
        attempts = cache.incr(key)
    except ValueError:
        # Evicted between add and incr: count this attempt as the first.
        cache.set(key, 1, timeout=window * 2)
        attempts = 1
    return attempts > limit


def retry_after(window: int) -> int:
    """Return the seconds until the current fixed window of `window` ends."""
    return window - int(timezone.now().timestamp()) % window


def too_many_response(
    request: HttpRequest, *, retry_after: int, back_url: str = "", login: bool = False
) -> HttpResponse:
    """The 429 page, in the visitor's language, with a Retry-After header."""
    context = {
        "retry_minutes": max(1, -(-retry_after // 60)),
        "back_url": back_url,
        "login": login,
    }
    response = render(request, "429.html", context, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def lockout_response(request: HttpRequest, credentials: dict | None) -> HttpResponse:
    """django-axes' answer to a locked-out login: the same 429 page."""
    cool_off = int(settings.AXES_COOLOFF_TIME.total_seconds())
    return too_many_response(request, retry_after=cool_off, login=True)
