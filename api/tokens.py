"""Creating and revoking API tokens, and finding the token of a secret."""

import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import DISPLAY_LENGTH, SECRET_PREFIX, ApiToken, hash_secret
from organizers.models import Organizer


class TokenError(Exception):
    """A token operation that was refused; the message is safe to show."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class NewToken:
    """A token just created, with its secret: the only time the secret exists."""

    token: ApiToken
    secret: str


def create_token(*, creator: Organizer, name: str, scope: str) -> NewToken:
    """Create a token acting as `creator` in their account; return its secret once."""
    name = name.strip()
    if not name:
        raise TokenError(_("Give the token a name."))
    if scope not in ApiToken.Scope.values:
        raise TokenError(_("Choose the token's scope."))
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        account_id=creator.account_id,
        creator=creator,
        name=name,
        scope=scope,
        secret_hash=hash_secret(secret),
        display_prefix=secret[:DISPLAY_LENGTH],
    )
    return NewToken(token=token, secret=secret)


def revoke_token(*, token: ApiToken, by: Organizer) -> ApiToken:
    """Revoke a token at once; revoking twice keeps the first time."""
    if not ApiToken.objects.visible_to(by).filter(pk=token.pk).exists():
        raise TokenError(_("You cannot revoke this token."))
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.revoked_by = by
            locked.save(update_fields=["revoked_at", "revoked_by"])
    return locked


def token_for_secret(secret: str) -> ApiToken | None:
    """Return the active token of a secret, or None; the creator must still belong.

    A token acts with its creator's role in the token's account: a creator
    moved to another account leaves the token without power.
    """
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 200:
        return None
    token = (
        ApiToken.objects.active()
        .select_related("creator__user", "creator__account", "account")
        .filter(secret_hash=hash_secret(secret))
        .first()
    )
    if token is None or token.creator.account_id != token.account_id:
        return None
    if not token.creator.user.is_active:
        return None
    return token
