import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from organizers.models import Organizer

pytestmark = pytest.mark.django_db


def test_organizer_logs_in_with_email_in_any_case(client, organizer):
    response = client.post(
        reverse("organizers:login"),
        {"email": organizer.email.upper(), "password": "secret-pass-1"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("webinars:dashboard")


def test_wrong_password_says_so_without_revealing_which(client, organizer):
    response = client.post(
        reverse("organizers:login"),
        {"email": organizer.email, "password": "nope"},
    )
    assert response.status_code == 200
    assert "do not match" in response.content.decode()
    unknown = client.post(
        reverse("organizers:login"),
        {"email": "ghost@example.com", "password": "nope"},
    )
    assert "do not match" in unknown.content.decode()


def test_login_rejects_malformed_email(client):
    response = client.post(
        reverse("organizers:login"), {"email": "not an email", "password": "x"}
    )
    assert "valid email" in response.content.decode()


def test_login_ignores_offsite_next(client, organizer):
    response = client.post(
        reverse("organizers:login"),
        {
            "email": organizer.email,
            "password": "secret-pass-1",
            "next": "https://evil.example.com/",
        },
    )
    assert response["Location"] == reverse("webinars:dashboard")


def test_logout_needs_post(client, organizer):
    client.force_login(organizer.user)
    assert client.get(reverse("organizers:logout")).status_code == 405
    assert client.post(reverse("organizers:logout")).status_code == 302
    assert client.get(reverse("webinars:dashboard")).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_admin_invites_organizer_who_sets_a_password(client, admin, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client.force_login(admin.user)
    response = client.post(
        reverse("organizers:invite"),
        {"email": "New@Example.com", "first_name": "Nia", "role": "organizer"},
    )
    assert response.status_code == 302
    invited = Organizer.objects.get(user__email="new@example.com")
    assert invited.account == admin.account
    assert not invited.user.has_usable_password()
    (message,) = mail.outbox
    url = re.search(r"http://\S+/invite/\S+/", message.body).group(0)
    path = url.split("testserver", 1)[-1]
    client.logout()
    response = client.post(
        path, {"new_password1": "a-Long-pass-42", "new_password2": "a-Long-pass-42"}
    )
    assert response.status_code == 302
    invited.user.refresh_from_db()
    assert invited.user.check_password("a-Long-pass-42")
    # The link works once.
    assert client.get(path).status_code == 400


def test_invite_refuses_existing_email_and_bad_email(client, admin, organizer):
    client.force_login(admin.user)
    dup = client.post(
        reverse("organizers:invite"), {"email": organizer.email, "role": "organizer"}
    )
    assert "already in your account" in dup.content.decode()
    bad = client.post(reverse("organizers:invite"), {"email": "x@", "role": "admin"})
    assert "valid email" in bad.content.decode()
    bad_role = client.post(
        reverse("organizers:invite"), {"email": "z@example.com", "role": "owner"}
    )
    assert "valid choice" in bad_role.content.decode()
    assert get_user_model().objects.count() == 2


def test_invite_link_with_garbage_is_404(client):
    assert client.get("/invite/zzz/abc/").status_code == 404


def test_admin_changes_account_settings(client, admin):
    client.force_login(admin.user)
    client.post(
        reverse("organizers:account"),
        {
            "settings-name": "Renamed",
            "settings-stripe_scope": "organizer",
            "settings-auto_attach_recordings": "on",
            "confirmed": "1",
        },
    )
    admin.account.refresh_from_db()
    assert admin.account.name == "Renamed"
    assert admin.account.stripe_scope == "organizer"
    assert admin.account.auto_attach_recordings


def test_account_settings_reject_unknown_scope(client, admin):
    client.force_login(admin.user)
    response = client.post(
        reverse("organizers:account"),
        {"settings-name": "X", "settings-stripe_scope": "everyone"},
    )
    assert "valid choice" in response.content.decode()
