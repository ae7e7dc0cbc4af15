"""Issue 15: one date rule for the console: the locale's format, always zoned."""

from datetime import UTC, datetime

import pytest
from django.utils import translation

from recordings.forms import AttachForm
from tests import factories
from webinars.templatetags.console_time import zone_label, zoned, zoned_text

WINTER = datetime(2026, 12, 1, 15, 12, tzinfo=UTC)
SUMMER = datetime(2026, 7, 1, 15, 12, tzinfo=UTC)


def test_locale_format_with_one_zone_label():
    with translation.override("en"):
        assert zoned_text(WINTER, "Europe/Paris") == (
            "Dec. 1, 2026, 4:12 p.m. (Europe/Paris, UTC+01:00)"
        )
    with translation.override("fr"):
        text = zoned_text(WINTER, "Europe/Paris")
        assert text.startswith("1 décembre 2026 16:12")
        assert text.endswith("(Europe/Paris, UTC+01:00)")
    assert zone_label("Europe/Paris", SUMMER) == "Europe/Paris, UTC+02:00"
    assert zone_label("UTC", SUMMER) == "UTC, UTC+00:00"
    assert "12/01/2026" not in zoned(WINTER, "America/New_York")
    assert 'datetime="2026-12-01T10:12:00-05:00"' in zoned(WINTER, "America/New_York")


def test_a_negative_offset_has_a_minus_sign_that_keeps_the_label_on_one_line():
    """A hyphen-minus lets a line break after "UTC-"; U+2212 does not."""
    assert zone_label("America/New_York", WINTER) == "America/New_York, UTC\u221205:00"
    assert zoned_text(WINTER, "America/Bogota").endswith(
        "(America/Bogota, UTC\u221205:00)"
    )
    assert "UTC\u221205:00" in zoned(WINTER, "America/New_York")
    assert "UTC-" not in zoned(WINTER, "America/New_York")
    assert zone_label("America/St_Johns", WINTER) == "America/St_Johns, UTC\u221203:30"
    assert zone_label("Asia/Kolkata", WINTER) == "Asia/Kolkata, UTC+05:30"


def test_unknown_zone_falls_back_to_utc():
    assert zone_label("Mars/Olympus", WINTER) == "UTC, UTC+00:00"
    assert zoned(None, "UTC") == ""


@pytest.mark.django_db
def test_recordings_form_lists_sessions_in_the_locale(organizer):
    webinar = factories.WebinarFactory(owner=organizer, sessions=0)
    factories.SessionFactory(
        webinar=webinar, starts_at=WINTER, ends_at=WINTER.replace(hour=16)
    )
    form = AttachForm(organizer=organizer, webinar=webinar)
    with translation.override("fr"):
        labels = [label for _value, label in form.fields["session"].choices]
    assert any(
        "1 décembre 2026 16:12 (Europe/Paris, UTC+01:00)" in str(x) for x in labels
    )
    assert not any("2026-12-01" in str(x) for x in labels)
