"""What a token may do: read-only tokens only read."""

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions
from rest_framework.request import Request

from api.models import ApiToken

if TYPE_CHECKING:
    from rest_framework.views import APIView


class TokenScope(permissions.BasePermission):
    """Require a token; writes need a read-and-write token."""

    message = _("This token is read-only.")

    def has_permission(self, request: Request, view: "APIView") -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            # No token: DRF answers 401 (NotAuthenticated) before this message.
            return False
        return request.method in permissions.SAFE_METHODS or token.can_write
