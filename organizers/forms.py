from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from organizers.models import Account, Organizer


class LoginForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, request: HttpRequest, *args: object, **kwargs: object) -> None:
        self.request = request
        self.user = None
        super().__init__(*args, **kwargs)

    def clean(self) -> dict:
        data = super().clean()
        email, password = data.get("email"), data.get("password")
        if email and password:
            self.user = authenticate(self.request, email=email, password=password)
            if self.user is None:
                raise forms.ValidationError(
                    _("That email and password do not match an account.")
                )
        return data


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    role = forms.ChoiceField(
        label=_("Role"),
        choices=Organizer.Role.choices,
        initial=Organizer.Role.ORGANIZER,
    )

    def clean_email(self) -> str:
        # Whether the address has a login elsewhere is not said here: the
        # service answers the same either way (organizers/services.py).
        return self.cleaned_data["email"].strip().lower()


class AccountSettingsForm(forms.ModelForm):
    class Meta:
        model = Account
        fields = ["name", "stripe_scope", "auto_attach_recordings"]


class AcceptInviteForm(SetPasswordForm):
    """Choose a password for an invited organizer."""
