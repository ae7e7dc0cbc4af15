import io

import pytest
from django.core.management import call_command

from organizers.models import Account, Organizer
from webinars.models import Session, Webinar

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_creates_logins_and_webinars():
    output = seed()
    account = Account.objects.get(name="Demo")
    roles = dict(
        Organizer.objects.filter(account=account).values_list("user__email", "role")
    )
    assert roles == {"admin@example.com": "admin", "organizer@example.com": "organizer"}
    titles = set(
        Webinar.objects.filter(account=account).values_list("title", flat=True)
    )
    assert {
        "Project management for beginners",
        "Weekly agile clinic",
        "Onboarding replay",
    } <= titles
    assert "admin@example.com" in output and "organizer@example.com" in output
    for webinar in Webinar.objects.filter(account=account):
        assert f"/register/{webinar.registration_key}/" in output
    clinic = Webinar.objects.get(title="Weekly agile clinic")
    assert clinic.sessions.count() == 4
    assert clinic.registration_type == "individual_session"
    assert Webinar.objects.get(title="Onboarding replay").kind == "recorded"


def test_seed_demo_is_idempotent():
    first = seed()
    counts = (
        Account.objects.count(),
        Organizer.objects.count(),
        Webinar.objects.count(),
        Session.objects.count(),
    )
    second = seed()
    assert counts == (
        Account.objects.count(),
        Organizer.objects.count(),
        Webinar.objects.count(),
        Session.objects.count(),
    )
    assert first == second


def test_demo_login_works(client):
    seed()
    response = client.post(
        "/login/", {"email": "organizer@example.com", "password": "demo"}
    )
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "Project management for beginners" in page.content.decode()


def test_seed_demo_tells_the_organizer_of_each_paid_registration(settings):
    settings.STRIPE_SANDBOX = True
    seed()
    account = Account.objects.get(name="Demo")
    assert set(
        Webinar.objects.filter(account=account).values_list(
            "notify_paid_registrations", flat=True
        )
    ) == {True}
    # Switched off in the console: the next `make run` keeps that choice.
    Webinar.objects.filter(title="Weekly agile clinic").update(
        notify_paid_registrations=False
    )

    seed()

    settings_by_title = dict(
        Webinar.objects.filter(account=account).values_list(
            "title", "notify_paid_registrations"
        )
    )
    assert settings_by_title == {
        "Project management for beginners": True,
        "Weekly agile clinic": False,
        "Onboarding replay": True,
        "Stripe payments 101": True,
    }
