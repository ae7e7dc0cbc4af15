"""The waitlist's forms: the registration form without a code, console settings."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from registrations.forms.registration import RegistrationForm
from webinars.models import Session

MAX_OFFER_HOURS = 24 * 14


class WaitlistJoinForm(RegistrationForm):
    """The registration form's fields and questions; nothing to pay, no code."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.pop("discount_code")
        chosen = self.fields.get("session")
        if chosen is not None:
            # One line per session: a place in one of them, not several.
            self.fields["session"] = forms.ChoiceField(
                label=chosen.label,
                choices=chosen.choices,
                widget=forms.RadioSelect,
                error_messages={"invalid_choice": _("Choose one of the sessions.")},
            )

    def clean_session(self) -> Session:
        """Return the one session whose line is joined."""
        session = self.sessions.get(int(self.cleaned_data["session"]))
        if session is None:
            raise forms.ValidationError(_("Choose one of the sessions."))
        return session


class WaitlistSettingsForm(forms.Form):
    """A webinar's waitlist: on or off, and how long an offer holds its seat."""

    waitlist_enabled = forms.BooleanField(
        label=_("Turn on the waitlist when the webinar is full"), required=False
    )
    waitlist_offer_hours = forms.IntegerField(
        label=_("Offer window (hours)"),
        min_value=1,
        max_value=MAX_OFFER_HOURS,
        help_text=_("How long a seat offered to the next person in line is held."),
    )
