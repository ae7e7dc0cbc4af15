"""Bounds on the numbers, dates and text people type into forms.

Every app's forms use these, so a number past what the database stores, or a
date near year 1 or 9999 (which cannot be moved to UTC, or stored), is a form
error in the user's language, never a server error; text over a field's
length is refused the same way, never cut short (no widget renders a
maxlength: templates/django/forms/widgets/attrs.html).
"""

import re
from datetime import date, datetime, tzinfo
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.fields import BaseTemporalField
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from organizers.local_time import local_datetime

# PostgreSQL's `integer`: the column type of every count and limit.
MAX_INTEGER = 2**31 - 1
# Dates a webinar, a session, a price tier or a code window may use.
FIRST_YEAR = 2000
LAST_YEAR = 2100


def validate_year(value: date | datetime | None) -> None:
    """Refuse a date (or date and time) outside FIRST_YEAR..LAST_YEAR."""
    if value is None:
        return
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(
            _("Enter a date between the years %(first)s and %(last)s."),
            code="date_out_of_range",
            params={"first": FIRST_YEAR, "last": LAST_YEAR},
        )


class BoundedIntegerField(forms.IntegerField):
    """An integer the database can store: at most MAX_INTEGER unless told less."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_value", MAX_INTEGER)
        super().__init__(*args, **kwargs)


class BoundedDateField(forms.DateField):
    default_validators = [validate_year]


class BoundedDateTimeField(forms.DateTimeField):
    """A date and time typed in `tz` (else in the current time zone).

    The wall-clock time becomes a moment through organizers.local_time, so a
    time the zone skips or repeats is a form error that says so.
    """

    default_validators = [validate_year]

    def __init__(self, *args: Any, tz: tzinfo | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tz = tz

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            result = value
        elif isinstance(value, date):
            result = datetime(value.year, value.month, value.day)
        else:
            try:
                result = parse_datetime(str(value).strip())
            except ValueError:
                raise ValidationError(
                    self.error_messages["invalid"], code="invalid"
                ) from None
            # The field's input formats (strptime), as Django's own field does.
            result = result or BaseTemporalField.to_python(self, value)
        # A year the zone rules cannot reach is refused before any conversion.
        validate_year(result)
        return local_datetime(result, self.tz or timezone.get_current_timezone())

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, datetime) and timezone.is_aware(value) and self.tz:
            return timezone.localtime(value, self.tz).replace(tzinfo=None)
        return super().prepare_value(value)


def fits_a_key(value: object) -> bool:
    """Return False for a number no database key column can hold."""
    text = str(value).strip()
    digits = text.removeprefix("-")
    if not digits.isdigit():
        return True  # not a number: the field's own check refuses it
    return len(digits) <= 19 and -(2**63) <= int(text) < 2**63


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Refuse ids past 64 bits as unknown choices (SQLite cannot even look them up)."""

    def _check_values(self, value: Any) -> Any:
        for pk in value:
            if not fits_a_key(pk):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": str(pk)[:20]},
                )
        return super()._check_values(value)


# Tokens and keys in URLs come from secrets.token_urlsafe: anything else (a
# NUL, which PostgreSQL refuses in a query; 5,000 characters) names nothing.
URL_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{8,64}")


def is_url_token(value: str) -> bool:
    return URL_TOKEN_RE.fullmatch(value) is not None
