"""Console times show in the webinar's time zone; French console text reads right."""

import re
import zoneinfo
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from recordings.library import human_size
from tests.factories import (
    PriceFactory,
    PriceTierFactory,
    SessionFactory,
    WebinarFactory,
)
from webinars.forms import ScheduleForm

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def paris_at_six_pm(days: int) -> datetime:
    """Return 18:00 Paris time some days from now, as an aware datetime."""
    day = (timezone.now() + timedelta(days=days)).astimezone(PARIS).date()
    return datetime(day.year, day.month, day.day, 18, 0, tzinfo=PARIS)


def utc_hour_label(moment: datetime) -> str:
    """Return how Django writes the UTC hour of moment in English ("5 p.m.")."""
    return f"{moment.astimezone(zoneinfo.ZoneInfo('UTC')).hour - 12} p.m."


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# The console's one zone rule (webinars/templatetags/console_time.py).
ZONED_SIX_PM = r'6 p\.m\. <span class="zone">\(Europe/Paris, UTC\+0[12]:00\)</span>'


@pytest.fixture
def paris_webinar(organizer):
    webinar = WebinarFactory(
        owner=organizer, account=organizer.account, timezone="Europe/Paris", sessions=0
    )
    starts = paris_at_six_pm(30)
    SessionFactory(
        webinar=webinar, starts_at=starts, ends_at=starts + timedelta(hours=1)
    )
    return webinar


def test_dashboard_shows_the_next_session_in_the_webinars_time_zone(
    paris_webinar, organizer, login
):
    starts = paris_webinar.sessions.get().starts_at
    page = text(login(organizer).get(reverse("webinars:dashboard")))
    # The console's one zone label: "Europe/Paris, UTC+01:00" (+02:00 in summer).
    assert re.search(
        r'6 p\.m\. <span class="zone">\(Europe/Paris, UTC\+0[12]:00\)', page
    )
    assert utc_hour_label(starts) not in page


def test_webinar_page_lists_sessions_in_the_webinars_time_zone(
    paris_webinar, organizer, login
):
    starts = paris_webinar.sessions.get().starts_at
    page = text(login(organizer).get(paris_webinar.get_absolute_url()))
    assert 'Sessions <span class="muted">(Europe/Paris)</span>' in page
    assert re.search(ZONED_SIX_PM + "</time></td>", page)
    assert "7 p.m.</td>" in page
    assert utc_hour_label(starts) not in page


def test_webinar_page_in_french_shows_the_local_hour(paris_webinar, organizer, login):
    client = login(organizer)
    page = text(client.get(paris_webinar.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr"))
    assert "18:00" in page
    utc = paris_webinar.sessions.get().starts_at.astimezone(zoneinfo.ZoneInfo("UTC"))
    assert f"{utc.hour}:00" not in page


def test_price_tier_end_shows_in_the_webinars_time_zone(
    paris_webinar, organizer, login
):
    price = PriceFactory(webinar=paris_webinar, amount=10000, currency="EUR")
    tier_end = paris_at_six_pm(5)
    PriceTierFactory(price=price, amount=8000, ends_at=tier_end)
    client = login(organizer)

    panel = text(client.get(paris_webinar.get_absolute_url()))
    assert re.search(r"until [^<]*, 6 p\.m\. \(Europe/Paris, UTC\+0[12]:00\)", panel)
    assert utc_hour_label(tier_end) not in panel

    section = text(client.get(reverse("payments:pricing", args=[paris_webinar.pk])))
    assert "6 p.m." in section
    assert utc_hour_label(tier_end) not in section


def test_refunds_panel_lists_sessions_in_the_webinars_time_zone(
    paris_webinar, organizer, login
):
    session = paris_webinar.sessions.get()
    client = login(organizer)
    page = text(client.get(paris_webinar.get_absolute_url()))
    refunds = page[page.index('id="refunds-h"') :]
    refunds = refunds[: refunds.index("</section>")]
    assert re.search(ZONED_SIX_PM, refunds)
    assert utc_hour_label(session.starts_at) not in refunds

    preview = text(
        client.get(
            reverse("registrations:cancel_session", args=[paris_webinar.pk, session.pk])
        )
    )
    assert "6 p.m." in preview
    assert utc_hour_label(session.starts_at) not in preview


def test_french_console_labels_have_a_space_before_the_colon(
    paris_webinar, organizer, login
):
    page = (
        login(organizer)
        .get(paris_webinar.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr")
        .content.decode()
    )
    for label in ("Approbation", "Limite d’inscriptions", "Page d’inscription"):
        assert f"{label}\u00a0:" in page
    assert "Politique de remboursement\u00a0:" in page


def test_occurrence_limit_help_text_follows_the_active_language() -> None:
    with translation.override("fr"):
        assert str(ScheduleForm().fields["occurrences"].help_text) == "50 au maximum."
    with translation.override("en"):
        assert str(ScheduleForm().fields["occurrences"].help_text) == "At most 50."


def test_upload_limit_is_written_in_the_active_language() -> None:
    with translation.override("fr"):
        assert human_size(2 * 1024**3) == "2,0\u00a0Gio"
    with translation.override("en"):
        assert human_size(2 * 1024**3) == "2.0\u00a0GB"
