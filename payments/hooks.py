"""Extension points of the payments app (see organizers.hooks for the pattern)."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from organizers.hooks import Hook

if TYPE_CHECKING:
    from django import forms

registration_form_factory: Hook[Callable[..., "forms.Form"]] = Hook(
    "payments.registration_form_factory",
    """The registration page's form, for the organizer's price preview.

    payments may not import registrations, so the registrations app registers
    its RegistrationForm here. The preview calls the first receiver as
    `factory(webinar=..., sessions=[...], full_session_ids=set(), initial={...})`
    and only renders the unbound form; it never validates or saves it.
    """,
)


def registration_form(**kwargs: Any) -> "forms.Form":
    """Build the registration page's form through the first registered factory."""
    factory = registration_form_factory.first()
    if factory is None:
        raise RuntimeError(
            "payments.hooks.registration_form_factory is empty: the registrations "
            "app must register its form in RegistrationsConfig.ready()."
        )
    return factory(**kwargs)
