"""Login throttling (django-axes): per account, per client address, admin too."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fast_hasher(settings) -> None:
    """Dozens of password checks: a cheap hasher keeps the test quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def console_login(client: Client, email: str, password: str):
    return client.post(
        reverse("organizers:login"), {"email": email, "password": password}
    )


def admin_login(client: Client, email: str, password: str):
    return client.post(
        "/admin/login/?next=/admin/", {"username": email, "password": password}
    )


def test_thirty_wrong_passwords_lock_the_account_until_the_cool_off_ends(
    organizer, settings
):
    attacker = Client(REMOTE_ADDR="198.51.100.1")
    with time_machine.travel(T0, tick=False):
        answers = [
            console_login(attacker, organizer.email, f"guess-{n}").status_code
            for n in range(30)
        ]
        right = console_login(attacker, organizer.email, "secret-pass-1")

    assert answers[: settings.AXES_FAILURE_LIMIT - 1] == [200] * (
        settings.AXES_FAILURE_LIMIT - 1
    )
    assert answers[-1] == 429
    assert right.status_code == 429
    assert "_auth_user_id" not in attacker.session
    assert right["Retry-After"] == str(15 * 60)
    assert "Too many failed logins" in right.text

    # The real owner, elsewhere, is refused too while the account is locked...
    owner = Client(REMOTE_ADDR="203.0.113.9")
    with time_machine.travel(T0 + timedelta(minutes=14), tick=False):
        assert console_login(owner, organizer.email, "secret-pass-1").status_code == 429
    # ...and gets in once the cool-off is over.
    with time_machine.travel(T0 + timedelta(minutes=16), tick=False):
        response = console_login(owner, organizer.email, "secret-pass-1")
    assert response.status_code == 302
    assert response["Location"] == reverse("webinars:dashboard")


def test_the_admin_login_is_the_same_door_and_is_locked_too(organizer, settings):
    organizer.user.is_staff = True
    organizer.user.is_superuser = True
    organizer.user.save()
    attacker = Client(REMOTE_ADDR="198.51.100.2")
    with time_machine.travel(T0, tick=False):
        for n in range(settings.AXES_FAILURE_LIMIT):
            admin_login(attacker, organizer.email, f"guess-{n}")
        locked = admin_login(
            Client(REMOTE_ADDR="203.0.113.10"), organizer.email, "secret-pass-1"
        )
        console = console_login(
            Client(REMOTE_ADDR="203.0.113.11"), organizer.email, "secret-pass-1"
        )

    assert locked.status_code == 429
    assert console.status_code == 429


def test_another_account_from_another_address_is_unaffected(organizer, settings):
    other = factories.OrganizerFactory()
    attacker = Client(REMOTE_ADDR="198.51.100.3")
    with time_machine.travel(T0, tick=False):
        for n in range(settings.AXES_FAILURE_LIMIT + 2):
            console_login(attacker, organizer.email, f"guess-{n}")
        response = console_login(
            Client(REMOTE_ADDR="203.0.113.12"), other.email, "secret-pass-1"
        )
        same_address = console_login(attacker, other.email, "secret-pass-1")

    assert response.status_code == 302
    # The attacking address is locked out for every account.
    assert same_address.status_code == 429


def test_the_lockout_page_is_in_the_visitors_language(organizer, settings):
    attacker = Client(REMOTE_ADDR="198.51.100.4", HTTP_ACCEPT_LANGUAGE="fr")
    with time_machine.travel(T0, tick=False):
        for n in range(settings.AXES_FAILURE_LIMIT):
            console_login(attacker, organizer.email, f"guess-{n}")
        locked = console_login(attacker, organizer.email, "secret-pass-1")

    assert locked.status_code == 429
    assert '<html lang="fr">' in locked.text
    assert "Tessera" in locked.text  # the site's page, not axes' bare text
