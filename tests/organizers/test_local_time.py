"""organizers.local_time: wall-clock times the clocks skip or repeat are refused."""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from organizers.bounds import BoundedDateTimeField
from organizers.local_time import local_datetime


def refusal(value: datetime, zone: str, language: str = "en") -> tuple[str, list]:
    """The error's code and messages, read in `language` (they are lazy)."""
    with translation.override(language):
        with pytest.raises(ValidationError) as caught:
            local_datetime(value, ZoneInfo(zone))
        return caught.value.code, caught.value.messages


def test_an_existing_time_gets_the_offset_of_that_day():
    paris = ZoneInfo("Europe/Paris")
    winter = local_datetime(datetime(2027, 3, 28, 1, 59), paris)
    summer = local_datetime(datetime(2027, 3, 28, 3, 0), paris)
    assert winter.astimezone(UTC) == datetime(2027, 3, 28, 0, 59, tzinfo=UTC)
    assert summer.astimezone(UTC) == datetime(2027, 3, 28, 1, 0, tzinfo=UTC)
    assert local_datetime(datetime(2027, 10, 31, 3, 0), paris).utcoffset() == (
        timedelta(hours=1)
    )


def test_a_skipped_time_names_the_change_of_the_clocks():
    code, messages = refusal(datetime(2027, 3, 14, 2, 15), "America/New_York")
    assert code == "skipped_time"
    assert messages == [
        "2:15 a.m. does not exist on March 14, 2027 in the America/New_York time "
        "zone (the clocks go forward from 2 a.m. to 3 a.m.). Choose another time."
    ]


def test_a_repeated_half_hour_is_found_to_the_minute():
    """Lord Howe Island moves its clocks by 30 minutes."""
    code, messages = refusal(datetime(2027, 4, 4, 1, 45), "Australia/Lord_Howe", "fr")
    assert code == "repeated_time"
    assert messages == [
        "01:45 existe deux fois le 4 avril 2027 dans le fuseau horaire "
        "Australia/Lord_Howe (les horloges reculent de 02:00 à 01:30). "
        "Choisissez une autre heure."
    ]


def test_aware_times_and_fixed_zones_are_left_alone():
    aware = datetime(2027, 3, 28, 2, 30, tzinfo=UTC)
    assert local_datetime(aware, ZoneInfo("Europe/Paris")) is aware
    fixed = timezone(timedelta(hours=5))
    assert local_datetime(datetime(2027, 3, 28, 2, 30), fixed).utcoffset() == (
        timedelta(hours=5)
    )


def test_the_field_reads_in_its_zone_and_checks_the_year_first():
    field = BoundedDateTimeField(tz=ZoneInfo("Europe/Paris"))
    assert field.clean("2027-03-28T03:30") == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    with translation.override("en"):
        with pytest.raises(ValidationError) as caught:
            field.clean("2027-03-28T02:30")
        assert "does not exist on March 28, 2027" in caught.value.messages[0]
        for far in ("0001-01-01T00:00", "9999-12-31T23:59", "1911-03-11T00:00"):
            with pytest.raises(ValidationError) as caught:
                field.clean(far)
            assert caught.value.code == "date_out_of_range"
