"""Forms of the console's email pages."""

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from organizers.bounds import BoundedModelMultipleChoiceField
from registrations.emails.reminders import MAX_OFFSET_MINUTES
from registrations.models import Registrant
from webinars.models import Webinar

UNITS = {"m": 1, "min": 1, "h": 60, "d": 24 * 60, "": 1}
OFFSET = re.compile(r"^(\d{1,6})\s*(d|h|m|min)?$")


def parse_offsets(value: str) -> list[int]:
    """Parse '1d, 1h, 30m' (or plain minutes) into minutes, largest first."""
    minutes: set[int] = set()
    for part in re.split(r"[,;\s]+(?=\d)", value.strip().lower()):
        part = part.strip().strip(",;").strip()
        if not part:
            continue
        match = OFFSET.match(part)
        if not match:
            raise forms.ValidationError(
                _("“%(part)s” is not a delay: write e.g. 1d, 2h or 30m."),
                params={"part": part},
            )
        amount = int(match.group(1)) * UNITS[match.group(2) or ""]
        if amount <= 0 or amount > MAX_OFFSET_MINUTES:
            raise forms.ValidationError(
                _("Each reminder must be between 1 minute and 30 days before."),
            )
        minutes.add(amount)
    if len(minutes) > 5:
        raise forms.ValidationError(_("Set at most 5 reminders."))
    return sorted(minutes, reverse=True)


def format_offsets(minutes: list[int]) -> str:
    """Render minutes as '1d, 1h, 30m' for the form."""
    parts = []
    for value in minutes:
        if value % (24 * 60) == 0:
            parts.append(f"{value // (24 * 60)}d")
        elif value % 60 == 0:
            parts.append(f"{value // 60}h")
        else:
            parts.append(f"{value}m")
    return ", ".join(parts)


def followup_text_field(label: str, *, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=help_text,
    )


class EmailSettingsForm(forms.Form):
    reminders_enabled = forms.BooleanField(label=_("Send reminders"), required=False)
    use_account_default = forms.BooleanField(
        label=_("Use the account's default reminder schedule"), required=False
    )
    reminder_offsets = forms.CharField(
        label=_("Reminders before each session"),
        required=False,
        max_length=100,
        help_text=_(
            "Delays before the start, e.g. “1d, 1h” (d = days, h = hours, m = minutes)."
        ),
    )
    followups_enabled = forms.BooleanField(
        label=_("Send follow-ups after each session"), required=False
    )
    followup_attended_text = followup_text_field(
        _("Follow-up text for attendees"),
        help_text=_(
            "Empty: a short thank-you. The watch link is added when a "
            "recording is attached."
        ),
    )
    followup_absent_text = followup_text_field(_("Follow-up text for absentees"))
    notify_paid_registrations = forms.BooleanField(
        label=_("Email me each new paid registration"), required=False
    )

    def clean_reminder_offsets(self) -> list[int]:
        return parse_offsets(self.cleaned_data.get("reminder_offsets", ""))


class ResendForm(forms.Form):
    registrant = BoundedModelMultipleChoiceField(
        queryset=Registrant.objects.none(),
        error_messages={
            "required": _("Select at least one registrant."),
            "invalid_choice": _("Select registrants of this webinar."),
            "invalid_pk_value": _("Select registrants of this webinar."),
        },
    )

    def __init__(self, *args: Any, webinar: Webinar, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["registrant"].queryset = Registrant.objects.filter(webinar=webinar)
