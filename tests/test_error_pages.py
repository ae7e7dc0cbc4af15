"""Error pages 400/403/404/500: the site's look, the visitor's language (DEBUG off)."""

import pytest
from django.test import Client, RequestFactory
from django.utils import translation
from django.views.defaults import server_error

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _production_like(settings):
    settings.DEBUG = False


def test_a_mistyped_registration_link_is_the_styled_404_in_french(client, webinar):
    url = webinar.get_registration_url().rstrip("/") + "x/"

    response = client.get(url, HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 404
    page = response.content.decode()
    assert '<html lang="fr">' in page
    assert "Page non trouvée" in page
    assert "css/app.css" in page
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_the_404_is_in_english_for_an_english_visitor(client):
    response = client.get("/register/no-such-key/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 404
    page = response.content.decode()
    assert '<html lang="en">' in page
    assert "<h1>Page not found</h1>" in page
    # Error pages meet registrants too: the brand sends nobody to a login.
    assert '<span class="brand">Tessera</span>' in page
    assert '<a class="brand"' not in page


def test_a_bad_host_is_the_styled_400_in_the_visitors_language():
    response = Client(HTTP_HOST="evil.example").get(
        "/login/", HTTP_ACCEPT_LANGUAGE="fr"
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert '<html lang="fr">' in page
    assert "css/app.css" in page


def test_a_form_without_csrf_token_is_the_styled_403_in_french():
    response = Client(enforce_csrf_checks=True).post(
        "/login/", {"username": "a@example.com"}, HTTP_ACCEPT_LANGUAGE="fr"
    )

    assert response.status_code == 403
    page = response.content.decode()
    assert '<html lang="fr">' in page
    assert "<h1>Interdit</h1>" in page
    assert "css/app.css" in page


@pytest.mark.parametrize(
    ("language", "heading"), [("en", "Server error"), ("fr", "Erreur du serveur")]
)
def test_the_500_renders_without_a_request_context(language, heading):
    request = RequestFactory().get("/")

    with translation.override(language):
        response = server_error(request)

    assert response.status_code == 500
    page = response.content.decode()
    assert f'<html lang="{language}">' in page
    assert f"<h1>{heading}</h1>" in page
    assert "css/app.css" in page
