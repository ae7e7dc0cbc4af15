"""Forms of the console's registrant list: the compact filters, bulk actions."""

from django import forms
from django.utils.translation import gettext_lazy

from registrations.models import Registrant
from registrations.refunds.bulk import BulkAction

# A selection posted at once: at most this many registrants (a few pages).
MAX_SELECTION = 500


class ConsoleFilterForm(forms.Form):
    """Filters of the console's registrant list, on one line."""

    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("All statuses"))] + list(Registrant.Status.choices),
    )
    refund = forms.ChoiceField(
        label=gettext_lazy("Refunds"),
        required=False,
        choices=[
            ("", gettext_lazy("Any")),
            ("requested", gettext_lazy("Refund requested")),
            ("pending", gettext_lazy("Refund pending")),
            ("failed", gettext_lazy("Refund failed")),
            ("refunded", gettext_lazy("Refunded (in part or in full)")),
        ],
    )
    q = forms.CharField(
        label=gettext_lazy("Name or email"), required=False, max_length=254
    )


class BulkForm(forms.Form):
    """An action on the selected registrants of the list.

    `approvals`: whether Approve and Deny are offered, when the webinar
    approves by hand or someone still waits for an answer (approval switched
    to automatic since); they mean nothing otherwise.
    """

    ACTIONS = [
        ("approve", gettext_lazy("Approve")),
        ("deny", gettext_lazy("Deny and refund")),
        ("resend", gettext_lazy("Resend confirmation")),
        (BulkAction.CANCEL.value, BulkAction.CANCEL.label),
        (BulkAction.REFUND.value, BulkAction.REFUND.label),
        ("export", gettext_lazy("Export CSV")),
    ]
    APPROVAL_ACTIONS = ("approve", "deny")

    action = forms.ChoiceField(
        label=gettext_lazy("With the selected registrants"),
        choices=(),
        error_messages={"required": gettext_lazy("Choose an action.")},
    )
    ids = forms.TypedMultipleChoiceField(coerce=int, required=True, choices=())
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)
    # The confirmation page's one-time token (cancel and refund: see refunds.bulk).
    token = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, ids: list[int], approvals: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = self.action_choices(approvals=approvals)
        self.fields["ids"].choices = [(pk, pk) for pk in ids]
        self.fields["ids"].error_messages["required"] = gettext_lazy(
            "Select at least one registrant."
        )
        self.fields["ids"].error_messages["invalid_choice"] = gettext_lazy(
            "A selected registrant is not on this webinar."
        )

    @classmethod
    def action_choices(cls, *, approvals: bool) -> list[tuple[str, str]]:
        """Return the menu: a neutral first choice, then the actions that apply."""
        return [("", gettext_lazy("Choose an action"))] + [
            (value, label)
            for value, label in cls.ACTIONS
            if approvals or value not in cls.APPROVAL_ACTIONS
        ]

    def clean_ids(self) -> list[int]:
        ids = self.cleaned_data["ids"]
        if len(ids) > MAX_SELECTION:
            raise forms.ValidationError(
                gettext_lazy("Select at most %(max)d registrants at once.")
                % {"max": MAX_SELECTION}
            )
        return ids
