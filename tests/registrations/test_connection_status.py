"""The Stripe connection line of the console (payments/connect/_status.html)."""

import datetime as dt

import pytest
import time_machine
from django.template.loader import render_to_string
from django.utils import translation

from tests import factories

pytestmark = pytest.mark.django_db


def test_connection_date_is_not_followed_by_a_second_full_stop(admin):
    evening = dt.datetime(2026, 11, 24, 19, 49, tzinfo=dt.UTC)
    # connected_at is set on save: the clock decides the "p.m." shown.
    with time_machine.travel(evening, tick=False):
        connection = factories.StripeConnectionFactory(
            account=admin.account, connected_by=admin.user, connected_at=evening
        )

    with translation.override("en"):
        html = render_to_string(
            "payments/connect/_status.html", {"connection": connection}
        )

    assert "p.m.." not in html
    assert "p.m." in html
