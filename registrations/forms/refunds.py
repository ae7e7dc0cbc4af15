"""Forms of the refund and cancellation pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from registrations.refunds.cancellation import RefundMode
from registrations.refunds.ledger import RefundError, parse_amount
from registrations.refunds.organizer_actions import Action
from webinars.models import Webinar


class AmountField(forms.CharField):
    """An amount typed in major units, cleaned to minor units of `currency`."""

    def __init__(self, *, currency: str = "USD", **kwargs: object) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)
        self.currency = currency

    def clean(self, value: str) -> int | None:
        text = super().clean(value)
        if not text:
            return None
        try:
            return parse_amount(text, self.currency)
        except RefundError as error:
            raise forms.ValidationError(error.message) from error


class RefundActionForm(forms.Form):
    """What the organizer does to one registrant: cancel and/or refund."""

    action = forms.ChoiceField(
        label=_("Action"), choices=Action.choices, widget=forms.RadioSelect
    )
    amount = AmountField(
        label=_("Amount to refund"),
        help_text=_("For a partial refund, in the currency paid (e.g. 12.50)."),
    )
    reason = forms.CharField(
        label=_("Note (for your records)"), required=False, max_length=200
    )
    token = forms.CharField(required=False, widget=forms.HiddenInput, max_length=64)

    def __init__(
        self,
        *args: object,
        currency: str = "USD",
        active: bool = True,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["amount"].currency = currency
        if not active:
            # Already cancelled: only a refund is offered. A cancel posted
            # anyway is refused by the action's own check, with its message.
            self.fields["action"].widget.choices = [
                (value, label)
                for value, label in Action.choices
                if not value.startswith("cancel")
            ]

    def clean(self) -> dict:
        data = super().clean()
        partial = data.get("action") in (
            Action.CANCEL_PARTIAL,
            Action.REFUND_PARTIAL,
        )
        if partial and not self.errors.get("amount") and data.get("amount") is None:
            self.add_error("amount", _("Enter the amount to refund."))
        if not partial:
            data["amount"] = None
        return data


class PolicyForm(forms.Form):
    refund_policy = forms.ChoiceField(
        label=_("Refund policy"), choices=Webinar.RefundPolicy.choices
    )
    refund_hours_before = forms.IntegerField(
        label=_("Until how many hours before the (first) session"),
        min_value=0,
        max_value=24 * 365,
    )
    refund_percent = forms.IntegerField(
        label=_("Percentage refunded"),
        min_value=1,
        max_value=100,
        help_text=_("Used by the “part refunded” policy."),
    )


class SelfCancelForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("cancel", _("Cancel")), ("request", _("Request a refund"))]
    )
    message = forms.CharField(
        label=_("Message to the organizer"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # The second step: the registrant confirmed, seeing this refund amount.
    confirm = forms.BooleanField(required=False)
    refund = forms.IntegerField(required=False, min_value=0)


class AnswerRequestForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Answer"),
        choices=[
            ("approve_full", _("Cancel and refund in full")),
            ("approve_partial", _("Cancel and refund part")),
            ("decline", _("Decline (the registration stays)")),
        ],
        widget=forms.RadioSelect,
    )
    amount = AmountField(label=_("Amount to refund"))
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: object, currency: str = "USD", **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["amount"].currency = currency

    def clean(self) -> dict:
        data = super().clean()
        if data.get("decision") == "approve_partial":
            if data.get("amount") is None and not self.errors.get("amount"):
                self.add_error("amount", _("Enter the amount to refund."))
        else:
            data["amount"] = None
        return data


class CancellationForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("Refunds"),
        choices=RefundMode.choices,
        initial=RefundMode.FULL,
        widget=forms.RadioSelect,
    )
