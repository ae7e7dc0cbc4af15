"""Rate limits per token, counted by the project's one limiter."""

from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from api.models import ApiToken
from organizers.ratelimit import too_many

if TYPE_CHECKING:
    from rest_framework.views import APIView


class TokenRateThrottle(BaseThrottle):
    """At most API_RATE_LIMIT requests per token per window; then 429 + Retry-After.

    The token id is in the limiter's scope, so tokens never share a budget
    (the limiter also counts per client address, so one token used from
    several addresses gets one budget per address).
    """

    def allow_request(self, request: Request, view: "APIView") -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        return not too_many(
            request._request,
            scope=f"api-token-{token.pk}",
            limit=settings.API_RATE_LIMIT,
            window=settings.API_RATE_WINDOW_SECONDS,
        )

    def wait(self) -> float:
        """Return the seconds until the limiter's fixed window ends."""
        window = settings.API_RATE_WINDOW_SECONDS
        return window - int(timezone.now().timestamp()) % window
