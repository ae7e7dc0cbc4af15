"""Early-bird deadlines and code windows on a time the clocks skip or repeat.

Europe/Paris: 2:30 does not exist on 28 March 2027 and happens twice on
31 October 2027. The clock is pinned before both.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from payments.models import DiscountCode, PriceTier
from tests.factories import PriceFactory, SessionFactory, WebinarFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 20, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _before_the_changes():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def priced(organizer):
    webinar = WebinarFactory(owner=organizer, timezone="Europe/Paris", sessions=0)
    SessionFactory(webinar=webinar, starts_at=datetime(2027, 11, 10, 9, tzinfo=UTC))
    return PriceFactory(webinar=webinar, amount=10000)


def post(client, price, name: str, data: dict, language: str = "en"):
    client.force_login(price.webinar.owner.user)
    return client.post(
        reverse(f"payments:{name}", args=[price.webinar.pk]),
        data,
        HTTP_ACCEPT_LANGUAGE=language,
    )


def test_a_tier_ending_in_the_skipped_hour_is_refused_in_french(client, priced):
    data = {"amount": "80", "ends_at": "2027-03-28T02:30"}
    response = post(client, priced, "pricing_tier_add", data, "fr")
    assert response.status_code == 400
    assert (
        "02:30 n’existe pas le 28 mars 2027 dans le fuseau horaire Europe/Paris "
        "(les horloges avancent de 02:00 à 03:00). Choisissez une autre heure."
    ) in response.text
    assert 'value="2027-03-28T02:30"' in response.text
    assert not PriceTier.objects.exists()


def test_a_tier_ending_just_after_the_change_is_saved_exactly(client, priced):
    data = {"amount": "80", "ends_at": "2027-03-28T03:00"}
    assert post(client, priced, "pricing_tier_add", data).status_code == 302
    assert PriceTier.objects.get().ends_at == datetime(2027, 3, 28, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("window", "message"),
    [
        (
            {"valid_from": "2027-10-31T02:30", "valid_until": ""},
            "2:30 a.m. happens twice on Oct. 31, 2027 in the Europe/Paris time "
            "zone (the clocks go back from 3 a.m. to 2 a.m.). Choose another time.",
        ),
        (
            {"valid_from": "2027-03-27T10:00", "valid_until": "2027-03-28T02:00"},
            "2 a.m. does not exist on March 28, 2027 in the Europe/Paris time zone",
        ),
    ],
)
def test_a_code_window_on_a_clock_change_is_refused(client, priced, window, message):
    data = {"code": "SPRING", "amount": "50.00", "max_uses": "", "active": "on"}
    response = post(client, priced, "pricing_code_add", {**data, **window})
    assert response.status_code == 400
    assert message in response.text
    for value in filter(None, window.values()):
        assert f'value="{value}"' in response.text
    assert not DiscountCode.objects.exists()


def test_a_code_window_around_the_change_is_saved_exactly(client, priced):
    data = {"code": "SPRING", "amount": "50.00", "max_uses": "", "active": "on"}
    window = {"valid_from": "2027-03-28T01:59", "valid_until": "2027-10-31T03:00"}
    response = post(client, priced, "pricing_code_add", {**data, **window})
    assert response.status_code == 302
    code = DiscountCode.objects.get()
    assert code.valid_from == datetime(2027, 3, 28, 0, 59, tzinfo=UTC)
    assert code.valid_until == datetime(2027, 10, 31, 2, tzinfo=UTC)
    assert code.valid_until - code.valid_from == timedelta(days=217, hours=1, minutes=1)
