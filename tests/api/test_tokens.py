"""API tokens: created in the console, shown once, stored hashed, revocable."""

import pytest
import time_machine
from django.urls import reverse

from api.models import ApiToken, hash_secret
from api.tokens import create_token
from tests import factories
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db


def test_a_token_is_stored_hashed_with_a_short_prefix(organizer):
    new = create_token(creator=organizer, name="CRM", scope="read")

    token = ApiToken.objects.get()
    assert new.secret.startswith("tsr_") and len(new.secret) > 40
    assert token.secret_hash == hash_secret(new.secret)
    assert new.secret not in token.secret_hash
    assert new.secret.startswith(token.display_prefix)
    assert len(token.display_prefix) == 10
    assert token.account == organizer.account and token.creator == organizer


def test_console_creates_a_token_and_shows_its_secret_once(login, organizer):
    client = login(organizer)
    response = client.post(
        reverse("api:tokens"), {"name": "CRM sync", "scope": "write"}
    )

    assert response.status_code == 200
    token = ApiToken.objects.get()
    assert token.name == "CRM sync" and token.scope == "write"
    secret = response.context["created"].secret
    assert secret in response.text
    assert response["Cache-Control"] == "no-store"
    again = client.get(reverse("api:tokens"))
    assert secret not in again.text
    assert token.display_prefix in again.text


def test_console_refuses_a_token_without_name(login, organizer):
    response = login(organizer).post(reverse("api:tokens"), {"name": " ", "scope": "x"})

    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_an_organizer_sees_only_their_tokens_and_an_admin_all(login, organizer, admin):
    create_token(creator=organizer, name="mine", scope="read")
    create_token(creator=admin, name="admins", scope="read")
    create_token(creator=factories.OrganizerFactory(), name="elsewhere", scope="read")

    as_organizer = login(organizer).get(reverse("api:tokens")).text
    assert "mine" in as_organizer and "admins" not in as_organizer
    as_admin = login(admin).get(reverse("api:tokens")).text
    assert "mine" in as_admin and "admins" in as_admin
    assert "elsewhere" not in as_admin


def test_revoking_a_token_stops_it_at_once(login, organizer, api_as):
    new = create_token(creator=organizer, name="CRM", scope="read")

    api = Api(new.secret)
    assert api.get("/api/v1/webinars/").status_code == 200

    response = login(organizer).post(reverse("api:revoke_token", args=[new.token.pk]))

    assert response.status_code == 302
    assert ApiToken.objects.get().revoked_at is not None
    refused = api.get("/api/v1/webinars/")
    assert refused.status_code == 401
    assert refused["Content-Type"] == "application/problem+json"


def test_an_organizer_cannot_revoke_another_organizers_token(login, organizer, admin):
    new = create_token(creator=admin, name="admins", scope="read")

    response = login(organizer).post(reverse("api:revoke_token", args=[new.token.pk]))

    assert response.status_code == 404
    assert ApiToken.objects.get().revoked_at is None


def test_an_admin_can_revoke_an_organizers_token(login, organizer, admin):
    new = create_token(creator=organizer, name="theirs", scope="read")

    login(admin).post(reverse("api:revoke_token", args=[new.token.pk]))

    assert ApiToken.objects.get().revoked_by == admin


def test_last_use_is_recorded(organizer):
    new = create_token(creator=organizer, name="CRM", scope="read")

    with time_machine.travel("2026-12-01 10:00:00Z", tick=False):
        Api(new.secret).get("/api/v1/webinars/")
    assert (
        ApiToken.objects.get()
        .last_used_at.isoformat()
        .startswith("2026-12-01T10:00:00")
    )


def test_console_navigation_links_to_the_tokens_page(login, organizer):
    page = login(organizer).get(reverse("webinars:dashboard"))

    assert reverse("api:tokens") in page.text


def test_tokens_page_links_to_the_docs(login, organizer):
    page = login(organizer).get(reverse("api:tokens"))

    assert reverse("api:docs") in page.text


def test_a_token_of_a_creator_moved_to_another_account_is_refused(organizer):
    new = create_token(creator=organizer, name="CRM", scope="read")
    organizer.account = factories.AccountFactory()
    organizer.save()

    assert Api(new.secret).get("/api/v1/webinars/").status_code == 401


def test_a_malformed_authorization_header_is_a_401_problem(client):
    response = client.get("/api/v1/webinars/", headers={"Authorization": "Token x"})

    assert response.status_code == 401
    assert response.json()["status"] == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
