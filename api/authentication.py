"""DRF authentication by API token: `Authorization: Bearer tsr_...`."""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from api.models import ApiToken
from api.tokens import token_for_secret


class TokenAuthentication(authentication.BaseAuthentication):
    """Authenticate as the token's creator; `request.organizer` is set for the
    console's permission helpers (organizers/permissions.py, managed_webinar)."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[object, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode(
            "latin-1", errors="replace"
        )
        if not header:
            return None
        parts = header.split()
        if len(parts) != 2 or parts[0].lower() != self.keyword.lower():
            raise exceptions.AuthenticationFailed(
                _("Send the token as: Authorization: Bearer <token>.")
            )
        token = token_for_secret(parts[1])
        if token is None:
            raise exceptions.AuthenticationFailed(
                _("This token is unknown or revoked.")
            )
        token.touch()
        organizer = token.creator
        # The console's helpers read request.organizer from the Django request.
        request._request.organizer = organizer
        request.organizer = organizer
        return organizer.user, token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'
