"""This installation's own id, which makes its Stripe idempotency keys its own."""

import secrets

from django.db import models


class Installation(models.Model):
    """This installation's id, generated once, that makes Stripe keys its own.

    Stripe keeps an idempotency key for 24 hours per platform account: two
    installations, or one whose database was reset, selling on one platform
    account would otherwise send the same `...-{pk}` key with other
    parameters and get `idempotency_error`. One row, created on first use.
    """

    token = models.CharField(max_length=32, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.token

    @classmethod
    def idempotency_key(cls, key: str) -> str:
        """Return `key` made unique to this installation, the same on every retry."""
        return f"tessera-{cls.token_of_this_installation()}-{key}"

    @classmethod
    def token_of_this_installation(cls) -> str:
        """Return the token, read (or created) once per process: it never changes.

        A database reset (a new token) goes with restarting the processes.
        """
        token = _installation_token.get("token")
        if token is None:
            # get_or_create retries the read on IntegrityError: concurrent first
            # uses agree on the one row.
            installation, _created = cls.objects.get_or_create(
                pk=1, defaults={"token": secrets.token_hex(8)}
            )
            token = _installation_token["token"] = installation.token
        return token

    @staticmethod
    def forget_token() -> None:
        """Read the token again next time (tests, whose database comes and goes)."""
        _installation_token.clear()


_installation_token: dict[str, str] = {}
