"""The public registration form and the console's registrant filters."""

from typing import Any

from django import forms
from django.forms.utils import ErrorDict
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from registrations.models import Registrant
from registrations.moments import span_text
from webinars.models import Session, Webinar
from webinars.templatetags.console_time import zone_label

QUESTION_PREFIX = "q_"
# The longest answer to a text question, in characters.
MAX_ANSWER = 1000


class SessionChoice(forms.CheckboxSelectMultiple):
    """Checkboxes, one per session; full sessions are shown but disabled."""

    def __init__(self, *args: Any, full: set[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.full = full or set()

    def create_option(self, name: str, value: Any, *args: Any, **kwargs: Any) -> dict:
        option = super().create_option(name, value, *args, **kwargs)
        if str(value) in self.full:
            option["attrs"]["disabled"] = True
        return option


class RegistrationForm(forms.Form):
    """First and last name, email, code, the webinar's questions, a session."""

    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=100)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=100)
    email = forms.EmailField(label=gettext_lazy("Email"), max_length=254)
    discount_code = forms.CharField(
        label=gettext_lazy("Discount code"), max_length=40, required=False
    )

    def __init__(
        self,
        *args: Any,
        webinar: Webinar,
        sessions: list[Session],
        full_session_ids: set[int],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.webinar = webinar
        self.sessions = {session.pk: session for session in sessions}
        self.full_session_ids = full_session_ids
        for field in ("first_name", "last_name"):
            self.fields[field].widget.attrs["autocomplete"] = (
                "given-name" if field == "first_name" else "family-name"
            )
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["discount_code"].widget.attrs["autocomplete"] = "off"
        if webinar.is_series:
            choices = [
                (
                    str(session.pk),
                    _session_label(session, full=session.pk in full_session_ids),
                )
                for session in sessions
            ]
            # One or several sessions, bought in one checkout.
            self.fields["session"] = forms.MultipleChoiceField(
                label=_("Sessions"),
                choices=choices,
                widget=SessionChoice(full={str(pk) for pk in full_session_ids}),
                error_messages={
                    "invalid_choice": _("Choose one of the sessions."),
                    "required": _("Choose at least one session."),
                },
            )
        for question in self.questions:
            name = QUESTION_PREFIX + str(question["id"])
            label = str(question.get("label", ""))
            required = bool(question.get("required"))
            if question.get("kind") == "disclaimer":
                self.fields[name] = forms.BooleanField(
                    label=label,
                    required=required,
                    error_messages={"required": _("Please tick this box to register.")},
                )
            else:
                self.fields[name] = forms.CharField(
                    label=label,
                    required=required,
                    max_length=MAX_ANSWER,
                    help_text=answer_limit(),
                )

        # The code last, right above the price it changes.
        self.order_fields(
            [*(f for f in self.fields if f != "discount_code"), "discount_code"]
        )

    @property
    def questions(self) -> list[dict[str, Any]]:
        questions = self.webinar.questions or []
        return [q for q in questions if isinstance(q, dict) and q.get("id")]

    def clean_first_name(self) -> str:
        return self.cleaned_data["first_name"].strip()

    def clean_last_name(self) -> str:
        return self.cleaned_data["last_name"].strip()

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip()

    def clean_discount_code(self) -> str:
        return self.cleaned_data["discount_code"].strip()

    def refuse_code(self, message: str) -> None:
        """Show `message` beside the discount code field.

        The form may be unbound (the page priced with a code, its entries as
        initial values, views/code_apply.py): no other field is validated.
        """
        if self.is_bound:
            self.add_error("discount_code", message)
            return
        if self._errors is None:
            self._errors = ErrorDict(renderer=self.renderer)
        self._errors["discount_code"] = self.error_class(
            [message], renderer=self.renderer
        )

    def leave_out_code(self) -> None:
        """Drop the code field: registration is free, there is nothing to discount.

        A code posted anyway is ignored; one the form refused (too long) is
        answered above the form, since its field is no longer shown.
        """
        self.fields.pop("discount_code", None)
        if self._errors is not None and self._errors.pop("discount_code", None):
            self.add_error(None, free_code_message())

    def clean_session(self) -> list[Session]:
        """Return the sessions chosen, in order of start."""
        chosen = []
        for value in self.cleaned_data["session"]:
            session = self.sessions.get(int(value))
            if session is None:
                raise forms.ValidationError(_("Choose one of the sessions."))
            if session.pk in self.full_session_ids:
                raise forms.ValidationError(
                    _("The session of %(when)s is full.")
                    % {"when": _session_label(session, full=False)}
                )
            chosen.append(session)
        return sorted(chosen, key=lambda session: (session.starts_at, session.pk))

    def answers(self) -> dict[str, Any]:
        """Return the answers to the webinar's questions, keyed by question id."""
        result: dict[str, Any] = {}
        for question in self.questions:
            value = self.cleaned_data.get(QUESTION_PREFIX + str(question["id"]))
            if value not in (None, "", False):
                result[str(question["id"])] = value
        return result


def answer_limit() -> str:
    """Return the hint under a text question: "Up to 1,000 characters."."""
    return ngettext(
        "Up to %(limit)s character.", "Up to %(limit)s characters.", MAX_ANSWER
    ) % {"limit": number_format(MAX_ANSWER, force_grouping=True)}


def free_code_message() -> str:
    """Return what a code on a free registration is told (as the code check says)."""
    return _("Registration is free; no code is needed.")


def _session_label(session: Session, *, full: bool) -> str:
    """The session as the registrant reads it everywhere (registrations.moments)."""
    webinar = session.webinar
    span = span_text(
        session.starts_at, session.ends_at, webinar, translation.get_language()
    )
    label = f"{span} ({zone_label(webinar.timezone, session.starts_at)})"
    if full:
        label += " — " + _("full")
    return label


class ResendForm(forms.Form):
    """The email of someone already registered who wants the confirmation again."""

    email = forms.EmailField(label=gettext_lazy("Email"), max_length=254)


class RegistrantFilterForm(forms.Form):
    """Filters of the console's registrant list."""

    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("All"))] + list(Registrant.Status.choices),
    )
    q = forms.CharField(label=gettext_lazy("Email"), required=False, max_length=254)
