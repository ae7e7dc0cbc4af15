"""A `next=` target is followed only when it is a path on this site."""

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

UNSAFE = ["foo", "dashboard", "//evil.example.com/", "javascript:alert(1)", ""]


@pytest.mark.parametrize("target", UNSAFE)
def test_login_with_an_unsafe_or_bare_next_goes_to_the_dashboard(
    client, organizer, target
):
    response = client.post(
        reverse("organizers:login") + f"?next={target}",
        {"email": organizer.email, "password": "secret-pass-1", "next": target},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("webinars:dashboard")


def test_login_follows_a_same_site_next(client, organizer):
    response = client.post(
        reverse("organizers:login"),
        {
            "email": organizer.email,
            "password": "secret-pass-1",
            "next": "/console/account/",
        },
    )
    assert response["Location"] == "/console/account/"


@pytest.mark.parametrize("target", UNSAFE)
def test_resend_with_an_unsafe_or_bare_next_goes_back_to_the_email_page(
    login, organizer, webinar, target
):
    registrant = factories.RegistrantFactory(webinar=webinar)
    response = login(organizer).post(
        f"/console/webinars/{webinar.pk}/emails/resend/",
        {"registrant": registrant.pk, "next": target},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/console/webinars/{webinar.pk}/emails/"


def test_resend_follows_a_same_site_next(login, organizer, webinar):
    registrant = factories.RegistrantFactory(webinar=webinar)
    back = f"/console/webinars/{webinar.pk}/registrants/{registrant.pk}/emails/"
    response = login(organizer).post(
        f"/console/webinars/{webinar.pk}/emails/resend/",
        {"registrant": registrant.pk, "next": back},
    )
    assert response["Location"] == back
