from django import forms
from django.utils.translation import gettext_lazy as _

from api.models import ApiToken


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
