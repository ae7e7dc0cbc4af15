"""The webinars tests run at one fixed moment.

Schedules, "in the past" checks and local hours all read the clock; the
moment is a weekday morning (UTC) whose next month has no daylight-saving
change in Europe/Paris, so every date these tests compute keeps its offset.
"""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine

CLOCK = datetime(2029, 11, 20, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _pinned_clock() -> Iterator[datetime]:
    """Start every test at CLOCK; the clock then runs as usual."""
    with time_machine.travel(CLOCK):
        yield CLOCK
