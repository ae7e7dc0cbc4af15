import zoneinfo
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.core.validators import MinValueValidator
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from organizers.bounds import BoundedDateField, BoundedDateTimeField
from organizers.local_time import local_datetime
from organizers.models import Account
from webinars.models import Session, Webinar, WebinarMember, validate_timezone
from webinars.timezones import timezone_choices

MAX_OCCURRENCES = 50


class TimeZoneField(forms.ChoiceField):
    """An IANA time zone chosen from a list, checked by the model's one validator.

    The list leaves out the old aliases (US/Eastern); they stay valid, so the
    validator, not the list, decides what is accepted.
    """

    default_validators = [validate_timezone]

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("choices", timezone_choices)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        return super().to_python(value).strip()

    def valid_value(self, value: str) -> bool:
        return True


class WebinarForm(forms.ModelForm):
    timezone = TimeZoneField(
        label=_("Time zone"),
        help_text=_("The sessions' dates and times are in this zone."),
    )

    class Meta:
        model = Webinar
        fields = [
            "title",
            "description",
            "kind",
            "timezone",
            "registration_type",
            "registration_limit",
            "approval",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args: object, account: Account, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.account = account
        zone = self.fields["timezone"]
        if self.instance._state.adding and not self.is_bound:
            zone.initial = (
                Webinar.objects.filter(account=account).latest_timezone() or "UTC"
            )
        # A zone the list leaves out (an alias a webinar already has) is listed
        # too, so that the select shows it instead of falling back to UTC.
        kept = [self.instance.timezone, self.data.get(self.add_prefix("timezone"))]
        zone.choices = timezone_choices(*[name for name in kept if name])
        limit = self.fields["registration_limit"]
        # Below 1, one message ("at least 1", clean_registration_limit), not
        # the model field's "greater than or equal to 0" for a negative number.
        limit.validators = [
            one for one in limit.validators if not isinstance(one, MinValueValidator)
        ]
        limit.widget.attrs["min"] = 1
        limit.initial = account.participant_limit
        limit.help_text = _(
            "At most %(cap)s (10 times your plan's participant limit)."
        ) % {"cap": account.max_registration_limit}

    def clean_registration_limit(self) -> int:
        value = self.cleaned_data["registration_limit"]
        if value is None or value < 1:
            raise forms.ValidationError(_("The registration limit must be at least 1."))
        cap = self.account.max_registration_limit
        if value > cap:
            raise forms.ValidationError(
                _(
                    "The registration limit can be at most %(cap)s "
                    "(10 times the participant limit)."
                ),
                params={"cap": cap},
            )
        return value


class ScheduleForm(forms.Form):
    """One session, or a daily or weekly series of them, in the webinar's time zone."""

    class Recurrence:
        NONE = "none"
        DAILY = "daily"
        WEEKLY = "weekly"

    RECURRENCE_CHOICES = [
        ("none", _("One session")),
        ("daily", _("Daily")),
        ("weekly", _("Weekly")),
    ]

    date = BoundedDateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    start_time = forms.TimeField(
        label=_("Starts at"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    end_time = forms.TimeField(
        label=_("Ends at"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    recurrence = forms.ChoiceField(
        label=_("Repeat"), choices=RECURRENCE_CHOICES, initial="none"
    )
    occurrences = forms.IntegerField(
        label=_("Number of sessions"),
        min_value=1,
        initial=1,
        help_text=lazy(lambda: _("At most %(max)s.") % {"max": MAX_OCCURRENCES}, str)(),
    )
    broadcast_url = forms.URLField(
        label=_("Broadcast URL"),
        required=False,
        assume_scheme="https",
        help_text=_("The live room registrants join."),
    )

    def __init__(self, *args: object, tz: str = "UTC", **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.tz = tz
        self.occurrences: list[tuple[datetime, datetime]] = []

    def clean_occurrences(self) -> int:
        value = self.cleaned_data["occurrences"]
        if value > MAX_OCCURRENCES:
            raise forms.ValidationError(
                _("A series can have at most %(max)s sessions."),
                params={"max": MAX_OCCURRENCES},
            )
        return value

    def clean(self) -> dict:
        data = super().clean()
        day, start, end = data.get("date"), data.get("start_time"), data.get("end_time")
        if day is None or start is None or end is None:
            return data
        if end <= start:
            self.add_error("end_time", _("The session must end after it starts."))
            return data
        if data.get("recurrence") == "none" and data.get("occurrences", 1) > 1:
            self.add_error(
                "occurrences", _("Choose daily or weekly to create several sessions.")
            )
            return data
        if "occurrences" not in data or "recurrence" not in data:
            return data  # their own errors are shown
        occurrences = self.moments(data)
        if occurrences and occurrences[0][0] <= timezone.now():
            self.add_error("date", _("The session cannot start in the past."))
        if not self.errors:
            self.occurrences = occurrences
        return data

    def zone(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")

    def moments(self, data: dict) -> list[tuple[datetime, datetime]]:
        """Return each session's (start, end) as aware datetimes, or add errors.

        Each day of a series is checked: a start or end the zone skips or
        repeats that day is an error on that field (organizers.local_time).
        """
        tzinfo = self.zone()
        step = {"none": 0, "daily": 1, "weekly": 7}[data["recurrence"]]
        count = data["occurrences"] if step else 1
        result = []
        for index in range(count):
            day = data["date"] + timedelta(days=step * index)
            moments = []
            for name in ("start_time", "end_time"):
                try:
                    moments.append(
                        local_datetime(datetime.combine(day, data[name]), tzinfo)
                    )
                except forms.ValidationError as error:
                    self.add_error(name, error)
            if len(moments) != 2:
                return []
            result.append((moments[0], moments[1]))
        return result

    def occurrences_utc(self) -> list[tuple[datetime, datetime]]:
        """Return each session's (start, end) as aware datetimes (a valid form)."""
        return self.occurrences


class SessionForm(forms.ModelForm):
    """Edit one session's times (in the webinar's time zone) and broadcast URL."""

    starts_at = BoundedDateTimeField(
        label=_("Starts at"),
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
        ),
    )
    ends_at = BoundedDateTimeField(
        label=_("Ends at"),
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
        ),
    )
    broadcast_url = forms.URLField(
        label=_("Broadcast URL"), required=False, assume_scheme="https"
    )

    class Meta:
        model = Session
        fields = ["starts_at", "ends_at", "broadcast_url"]

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("starts_at"), data.get("ends_at")
        if start and end and end <= start:
            self.add_error("ends_at", _("The session must end after it starts."))
        if start and start <= timezone.now() and "starts_at" in self.changed_data:
            self.add_error("starts_at", _("The session cannot start in the past."))
        return data


class MemberForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=WebinarMember.Role.choices)

    def __init__(self, *args: object, webinar: Webinar, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.webinar = webinar

    def clean_name(self) -> str:
        """Refuse a name whose first or last name would not fit a registration."""
        name = self.cleaned_data["name"]
        first, last = WebinarMember.split_name(name)
        limit = WebinarMember.NAME_PART_LENGTH
        if len(first) > limit:
            raise forms.ValidationError(
                _(
                    "Ensure the first name (up to the first space) has at most "
                    "%(limit)d characters (it has %(count)d)."
                ),
                params={"limit": limit, "count": len(first)},
            )
        if len(last) > limit:
            raise forms.ValidationError(
                _(
                    "Ensure the last name (after the first space) has at most "
                    "%(limit)d characters (it has %(count)d)."
                ),
                params={"limit": limit, "count": len(last)},
            )
        return name

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if self.webinar.members.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("%(email)s is already a co-organizer or panelist of this webinar."),
                params={"email": email},
            )
        return email


class QuestionForm(forms.Form):
    KIND_CHOICES = [
        ("text", _("Text answer")),
        ("disclaimer", _("Disclaimer to accept")),
    ]
    label = forms.CharField(label=_("Question or disclaimer text"), max_length=500)
    kind = forms.ChoiceField(label=_("Kind"), choices=KIND_CHOICES)
    required = forms.BooleanField(label=_("Required"), required=False, initial=True)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
