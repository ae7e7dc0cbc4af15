import re
from datetime import UTC

from django import forms
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from organizers.bounds import BoundedDateTimeField, BoundedIntegerField
from organizers.models import Organizer
from payments.models import MAXIMUM_AMOUNT, MINIMUM_AMOUNTS
from payments.money import MoneyError, format_money, parse_money
from recordings import library
from recordings.library import RecordingDetails
from recordings.models import Recording
from webinars.models import Session, Webinar
from webinars.templatetags.console_time import zoned_text

DURATION_RE = re.compile(r"^(?:(\d+):)?(?:(\d+):)?(\d+)$")
# 99:59:59: longer than any webinar recording, and well within the database's
# integer column.
MAX_DURATION_SECONDS = 99 * 3600 + 59 * 60 + 59


class SessionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Session) -> str:
        # The console's one date rule: the locale's format, with the zone.
        return (
            f"{obj.webinar.title} — {zoned_text(obj.starts_at, obj.webinar.timezone)}"
        )


def session_choices(organizer: Organizer) -> "forms.QuerySet":
    return (
        Session.objects.filter(
            webinar__in=Webinar.objects.visible_to(organizer).values("pk"),
            cancelled_at__isnull=True,
        )
        .select_related("webinar")
        .order_by("-starts_at")
    )


def parse_duration(value: str) -> int | None:
    """Read "1:02:03", "62:03" or "3723" as seconds; empty is None."""
    value = value.strip()
    if not value:
        return None
    match = DURATION_RE.match(value)
    if not match:
        raise forms.ValidationError(
            _("Give the duration as seconds, mm:ss or hh:mm:ss.")
        )
    parts = [int(p) for p in value.split(":")]
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + part
    if seconds > MAX_DURATION_SECONDS:
        raise forms.ValidationError(_("The duration can be at most 99:59:59."))
    return seconds


class DurationField(forms.CharField):
    """A duration typed as seconds, mm:ss or hh:mm:ss; cleaned to seconds or None."""

    def clean(self, value: str) -> int | None:
        return parse_duration(super().clean(value))


class RecordingSourceForm(forms.Form):
    """A new recording for the library; subclasses add its source and `save()`.

    ``source_field`` names the field a refusal of the service is shown on,
    ``context_name`` the library page's variable that holds the form.
    """

    source_field: str
    context_name: str

    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    session = SessionChoiceField(
        label=_("Recording of session"),
        queryset=Session.objects.none(),
        required=False,
        empty_label=_("(none)"),
        help_text=_(
            "With “attach recordings automatically” on in the account, a "
            "recording of a session that has no video is attached to it."
        ),
    )
    duration = DurationField(
        label=_("Duration"),
        required=False,
        max_length=20,
        help_text=_("hh:mm:ss. Read from the file when left empty."),
    )

    def __init__(self, *args: object, organizer: Organizer, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = session_choices(organizer)

    def details(self) -> RecordingDetails:
        """Return what the valid form says about the new recording."""
        data = self.cleaned_data
        return RecordingDetails(
            title=data["title"],
            session=data["session"],
            duration_seconds=data["duration"],
        )


class UploadForm(RecordingSourceForm):
    file = forms.FileField(
        label=_("Video file"),
        help_text=_("MP4, WebM or Ogg."),
        allow_empty_file=True,  # the service says "empty" in its own words
    )
    field_order = ["file", "title", "session", "duration"]
    source_field = "file"
    context_name = "upload_form"

    def save(self, *, organizer: Organizer) -> Recording:
        return library.upload_recording(
            organizer=organizer,
            uploaded=self.cleaned_data["file"],
            details=self.details(),
        )


class ExternalForm(RecordingSourceForm):
    url = forms.CharField(label=_("Video URL"), max_length=1000)
    field_order = ["url", "title", "session", "duration"]
    source_field = "url"
    context_name = "external_form"

    def save(self, *, organizer: Organizer) -> Recording:
        return library.add_external_recording(
            organizer=organizer, url=self.cleaned_data["url"], details=self.details()
        )

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        if not url.lower().startswith(("http://", "https://")):
            raise forms.ValidationError(
                _("The video URL must start with http:// or https://.")
            )
        URLValidator(schemes=["http", "https"])(url)
        return url


class RenameForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)


class AvailabilityForm(forms.Form):
    view_limit = BoundedIntegerField(
        label=_("View limit"),
        required=False,
        min_value=1,
        help_text=_("How many registrants may watch. Empty: the participant limit."),
    )
    available_until = BoundedDateTimeField(
        label=_("Available until (UTC)"),
        required=False,
        tz=UTC,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )


class AttachForm(forms.Form):
    recording = forms.ModelChoiceField(
        label=_("Recording"), queryset=Recording.objects.none()
    )
    session = forms.ModelChoiceField(
        label=_("Session"),
        queryset=Session.objects.none(),
        required=False,
        empty_label=_("All sessions"),
    )

    def __init__(
        self, *args: object, organizer: Organizer, webinar: Webinar, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recording"].queryset = Recording.objects.visible_to(organizer)
        self.fields["session"].queryset = webinar.sessions.filter(
            cancelled_at__isnull=True
        )
        self.fields["session"].label_from_instance = lambda s: zoned_text(
            s.starts_at, webinar.timezone
        )


class ReplayPriceForm(forms.Form):
    """The replay's own price, typed in the webinar's currency."""

    amount = forms.CharField(
        required=False,
        max_length=30,
        help_text=_("Empty: the webinar's price. Discount codes apply too."),
    )

    def __init__(self, *args: object, currency: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency
        # The label names the currency, so it is set per form.
        self.fields["amount"].label = _("Replay price (%(currency)s)") % {
            "currency": currency
        }

    def clean_amount(self) -> int | None:
        text = self.cleaned_data["amount"].strip()
        if not text:
            return None
        try:
            amount = parse_money(text, self.currency)
        except MoneyError as error:
            raise forms.ValidationError(str(error)) from error
        if amount and amount < MINIMUM_AMOUNTS.get(self.currency, 0):
            raise forms.ValidationError(
                _("Stripe's minimum for %(currency)s is %(amount)s.")
                % {
                    "currency": self.currency,
                    "amount": format_money(
                        MINIMUM_AMOUNTS[self.currency], self.currency
                    ),
                }
            )
        if amount > MAXIMUM_AMOUNT:
            raise forms.ValidationError(_("This amount is too large."))
        return amount
