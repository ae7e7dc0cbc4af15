"""One rate limiter, counted per real client address (TRUSTED_PROXY_COUNT)."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client, RequestFactory
from django.urls import reverse

from organizers.ratelimit import client_ip
from registrations.views.registration import REGISTER_RATE_LIMIT
from tests.registrations.checkout_support import register

pytestmark = pytest.mark.django_db

# Mid-window: ten attempts never straddle two one-minute buckets.
T0 = datetime(2026, 3, 2, 9, 0, 20, tzinfo=UTC)
PROXY = "10.0.0.5"


def test_behind_one_proxy_two_visitors_do_not_share_a_bucket(webinar, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    first = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.1")
    second = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.2")
    with time_machine.travel(T0, tick=False):
        for _ in range(REGISTER_RATE_LIMIT):
            assert register(first, webinar, email="bad").status_code != 429
        blocked = register(first, webinar, email="bad")
        other = register(second, webinar, email="bad")

    assert blocked.status_code == 429
    assert other.status_code != 429


def test_behind_one_proxy_a_forged_left_entry_does_not_escape_the_bucket(
    webinar, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    with time_machine.travel(T0, tick=False):
        for n in range(REGISTER_RATE_LIMIT):
            # The client writes a new address each time; the proxy appends
            # the real one on the right.
            client = Client(
                REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.3"
            )
            assert register(client, webinar, email="bad").status_code != 429
        last = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="192.0.2.99, 203.0.113.3")
        assert register(last, webinar, email="bad").status_code == 429


def test_without_a_proxy_a_spoofed_forwarded_for_is_ignored(webinar, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    with time_machine.travel(T0, tick=False):
        for n in range(REGISTER_RATE_LIMIT):
            client = Client(
                REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}"
            )
            assert register(client, webinar, email="bad").status_code != 429
        spoofer = Client(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="192.0.2.200")
        blocked = register(spoofer, webinar, email="bad")

    assert blocked.status_code == 429
    assert blocked["Retry-After"] == "40"
    assert "Too many attempts from your connection" in blocked.text
    assert f'href="{webinar.get_registration_url()}"' in blocked.text


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "203.0.113.1", "10.0.0.5"),
        (1, "203.0.113.1", "203.0.113.1"),
        (1, "192.0.2.1, 203.0.113.1", "203.0.113.1"),
        (2, "192.0.2.1, 203.0.113.1, 10.0.0.4", "203.0.113.1"),
        (2, "10.0.0.4", "10.0.0.5"),  # fewer hops than proxies: not via them
        (1, "", "10.0.0.5"),
        (1, "not-an-address", "10.0.0.5"),
    ],
)
def test_client_ip_trusts_only_the_configured_proxies(
    settings, count, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=forwarded
    )
    assert client_ip(request) == expected


def test_the_code_check_shares_the_limiter_and_says_when_to_retry(webinar, settings):
    client = Client(REMOTE_ADDR="198.51.100.8")
    url = reverse("payments:code_check", args=[webinar.registration_key])
    with time_machine.travel(T0, tick=False):
        answers = [client.get(url, {"code": "X"}) for _ in range(40)]
    blocked = [a for a in answers if a.status_code == 429]
    assert blocked
    assert blocked[0]["Retry-After"] == "40"
