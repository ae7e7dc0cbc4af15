"""An API registration checked by the registration page's own form.

The page's RegistrationForm holds the rules (names, email, the webinar's
questions and disclaimers, the session of a series): running it here keeps
both doors to the same rules.
"""

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions

from registrations import hooks
from registrations.forms.registration import QUESTION_PREFIX, RegistrationForm
from webinars.models import Session, Webinar


def _pointer(field: str) -> str:
    if field == "__all__":
        return "#/"
    if field.startswith(QUESTION_PREFIX):
        return f"#/answers/{field[len(QUESTION_PREFIX) :]}"
    return f"#/{field}"


def checked_registration(*, webinar: Webinar, data: dict[str, Any]) -> dict[str, Any]:
    """Return the cleaned registration (with `answers`, `sessions`); raise 400."""
    answers = data.get("answers") or {}
    errors: dict[str, list[str]] = {}
    for key, value in answers.items():
        if not isinstance(value, str | bool | int | float):
            errors[f"answers/{key}"] = [_("An answer is text, or true for a box.")]
    if errors:
        raise exceptions.ValidationError(errors)
    sessions = list(
        webinar.sessions.filter(cancelled_at__isnull=True, ends_at__gt=timezone.now())
    )
    for session in sessions:
        session.webinar = webinar
    fields: dict[str, Any] = {
        "first_name": data["first_name"],
        "last_name": data["last_name"],
        "email": data["email"],
        "discount_code": data.get("discount_code", ""),
    }
    for key, value in answers.items():
        fields[QUESTION_PREFIX + str(key)] = value
    session_id = data.get("session")
    session_ids = [*([session_id] if session_id is not None else [])]
    session_ids += data.get("sessions") or []
    if session_ids:
        fields["session"] = [str(pk) for pk in dict.fromkeys(session_ids)]
    # Full sessions are the service's to refuse (409), under the capacity lock.
    form = RegistrationForm(
        fields, webinar=webinar, sessions=sessions, full_session_ids=set()
    )
    mode = hooks.registration_mode(webinar)
    if mode is not None:
        form.fields.pop("session", None)
    if "session" not in form.fields and session_ids:
        raise exceptions.ValidationError(
            {"session": [_("This webinar has no session to choose.")]}
        )
    if not form.is_valid():
        raise exceptions.ValidationError(
            {
                _pointer(name)[2:] or "non_field_errors": [str(e) for e in messages]
                for name, messages in form.errors.items()
            }
        )
    cleaned = form.cleaned_data
    sessions: list[Session] = cleaned.get("session") or []
    return {
        "first_name": cleaned["first_name"],
        "last_name": cleaned["last_name"],
        "email": cleaned["email"],
        "code": cleaned["discount_code"],
        "answers": form.answers(),
        "sessions": sessions,
    }
