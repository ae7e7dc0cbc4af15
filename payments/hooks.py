"""Extension points for higher apps (registered in their AppConfig.ready())."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django import forms

# The registration page's form, for the organizer's preview (payments may not
# import registrations). Each entry is called as
# `factory(webinar=..., sessions=[...], full_session_ids=set(), initial={...})`
# and returns an unbound form with the page's fields; the preview uses the
# first entry and never validates or saves it. The registrations app adds its
# RegistrationForm.
registration_form_factory: list[Callable[..., "forms.Form"]] = []


def registration_form(**kwargs: Any) -> "forms.Form":
    """Build the registration page's form through the first registered factory."""
    if not registration_form_factory:
        raise RuntimeError(
            "payments.hooks.registration_form_factory is empty: the registrations "
            "app must register its form in RegistrationsConfig.ready()."
        )
    return registration_form_factory[0](**kwargs)
