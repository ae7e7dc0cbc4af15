"""Extension points: how a lower app lets higher apps plug in without importing them.

The apps form a ladder (organizers, webinars, payments, registrations,
recordings) and imports only go down it. Where a lower app must call into a
higher one, it declares a `Hook` in its own `hooks.py`, with a docstring that
says who calls it, with what, and what a receiver may do. Higher apps register
their receivers in `AppConfig.ready()` with `hook.register(function)`.

This module declares the `Hook` type and the organizers app's own hooks.
"""

from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class Hook(Generic[F]):
    """An ordered list of receivers that a higher app fills in ``ready()``.

    Registering the same function twice keeps one entry, so ``ready()`` may
    run more than once (as it does under some test runners).
    """

    def __init__(self, name: str, doc: str) -> None:
        self.name = name
        self.__doc__ = doc
        self._receivers: list[F] = []

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {len(self._receivers)} receivers>"

    def __iter__(self) -> Iterator[F]:
        return iter(list(self._receivers))

    def __len__(self) -> int:
        return len(self._receivers)

    def __bool__(self) -> bool:
        return bool(self._receivers)

    def __contains__(self, receiver: object) -> bool:
        return receiver in self._receivers

    def register(self, receiver: F, *, first: bool = False) -> F:
        """Add a receiver (once); with ``first``, ahead of those already there."""
        if receiver not in self._receivers:
            if first:
                self._receivers.insert(0, receiver)
            else:
                self._receivers.append(receiver)
        return receiver

    def unregister(self, receiver: F) -> None:
        """Remove a receiver if it is there (tests use this to restore a hook)."""
        if receiver in self._receivers:
            self._receivers.remove(receiver)

    def first(self) -> F | None:
        """Return the first receiver, or None when nothing is registered."""
        return self._receivers[0] if self._receivers else None


account_panels: Hook[Callable[..., dict | None]] = Hook(
    "organizers.account_panels",
    """Panels on the account page.

    Called by organizers.views.account with the request; each receiver returns
    {"template": ..., "context": {...}} to show a panel, or None. The payments
    app adds the Stripe connection panel.
    """,
)

organizer_joined_handlers: Hook[Callable[..., None]] = Hook(
    "organizers.organizer_joined_handlers",
    """An organizer joined the account or logged in.

    Called by organizers.services.announce_joined with the Organizer when it is
    created by an invitation, when the invitation is accepted and at each login.
    The webinars app binds the co-organizer invitations addressed to the
    organizer's email before they joined. Receivers must be idempotent.
    """,
)

account_change_consequences: Hook[Callable[..., list[dict]]] = Hook(
    "organizers.account_change_consequences",
    """What saving new account settings would stop, asked before saving.

    Called by organizers.views.account_view with (account, new_values) where
    new_values are the settings form's cleaned data (not saved yet). Each
    receiver returns a list of {"text": str, "items": [str, ...]} (texts already
    translated), empty when nothing important changes. When any receiver
    returns one, the page asks the admin to confirm before saving. The payments
    app lists the webinars whose sales stop when the Stripe scope changes.
    """,
)
