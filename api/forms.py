from django import forms
from django.utils.translation import gettext_lazy as _

from api.models import ApiToken, WebhookEndpoint


class TokenForm(forms.Form):
    """A new API token: its name and scope."""

    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What uses it, e.g. “CRM sync”."),
    )
    scope = forms.ChoiceField(
        label=_("Scope"),
        choices=ApiToken.Scope.choices,
        initial=ApiToken.Scope.READ,
        widget=forms.RadioSelect,
    )


class WebhookEndpointForm(forms.Form):
    """A new webhook endpoint: where to send, and which events."""

    url = forms.URLField(
        label=_("Endpoint URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("An https:// address of your server."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=WebhookEndpoint.Event.choices,
        widget=forms.CheckboxSelectMultiple,
    )
