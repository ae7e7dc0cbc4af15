"""Issue 15: a co-organizer added before joining gets access once they join."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from organizers.models import Organizer
from tests import factories
from webinars.models import WebinarMember
from webinars.services import add_member

pytestmark = pytest.mark.django_db


def test_invited_after_being_added_gets_the_webinar(client, admin, webinar, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    add_member(webinar=webinar, email="Cleo@Example.com", name="", role="co_organizer")
    client.force_login(admin.user)
    client.post(
        reverse("organizers:invite"),
        {"email": "cleo@example.com", "first_name": "Cleo", "role": "organizer"},
    )
    cleo = Organizer.objects.get(user__email__iexact="cleo@example.com")
    assert WebinarMember.objects.get(webinar=webinar).organizer == cleo
    client.logout()
    client.force_login(cleo.user)
    assert client.get(webinar.get_absolute_url()).status_code == 200
    assert webinar.title in client.get(reverse("webinars:dashboard")).content.decode()


@pytest.mark.django_db(transaction=True)
def test_accepting_the_invitation_binds_the_membership(client, admin, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    webinar = factories.WebinarFactory(owner=admin, account=admin.account)
    client.force_login(admin.user)
    client.post(
        reverse("organizers:invite"),
        {"email": "dan@example.com", "first_name": "Dan", "role": "organizer"},
    )
    # Added while the invitation is pending (the organizer row already exists),
    # then unbound as a row created before this fix would be.
    add_member(webinar=webinar, email="dan@example.com", name="", role="co_organizer")
    WebinarMember.objects.update(organizer=None)
    client.logout()
    (invitation,) = [m for m in mail.outbox if "/invite/" in m.body]
    url = re.search(r"http://\S+/invite/\S+/", invitation.body).group(0)
    path = url.split("testserver", 1)[-1]
    client.post(
        path, {"new_password1": "a-Long-pass-42", "new_password2": "a-Long-pass-42"}
    )
    assert client.get(webinar.get_absolute_url()).status_code == 200


def test_logging_in_binds_an_unbound_membership(client, organizer):
    other = factories.OrganizerFactory(account=organizer.account)
    webinar = factories.WebinarFactory(owner=other, account=other.account)
    WebinarMember.objects.create(
        webinar=webinar, email=organizer.email.upper(), role="co_organizer"
    )
    client.post(
        reverse("organizers:login"),
        {"email": organizer.email, "password": "secret-pass-1"},
    )
    assert client.get(webinar.get_absolute_url()).status_code == 200


def test_another_accounts_invitation_is_never_bound(client, organizer):
    stranger = factories.OrganizerFactory()
    webinar = factories.WebinarFactory(owner=stranger, account=stranger.account)
    WebinarMember.objects.create(
        webinar=webinar, email=organizer.email, role="co_organizer"
    )
    client.post(
        reverse("organizers:login"),
        {"email": organizer.email, "password": "secret-pass-1"},
    )
    assert WebinarMember.objects.get().organizer is None
    assert client.get(webinar.get_absolute_url()).status_code == 404
