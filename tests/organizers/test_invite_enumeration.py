"""The invite form does not tell an admin who has a login in another account."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from organizers.models import Organizer
from tests import factories

pytestmark = pytest.mark.django_db


def invite(client, email: str):
    return client.post(
        reverse("organizers:invite"),
        {"email": email, "role": "organizer"},
        follow=True,
    )


def messages_of(page: str, email: str) -> list[str]:
    """The page's flash messages and form errors, the address left out."""
    found = re.findall(
        r'<li class="(?:success|error|errorlist)?[^"]*">(.*?)</li>', page
    )
    return [text.replace(email, "EMAIL") for text in found]


def test_an_email_with_a_login_elsewhere_gets_the_same_answer_as_a_new_one(
    client, admin
):
    elsewhere = factories.OrganizerFactory(user__email="zoe@example.com")
    client.force_login(admin.user)
    users_before = get_user_model().objects.count()

    taken = invite(client, "Zoe@Example.com")
    new = invite(client, "noah@example.com")

    assert taken.status_code == new.status_code == 200
    assert taken.redirect_chain == new.redirect_chain
    assert messages_of(taken.text, "zoe@example.com") == messages_of(
        new.text, "noah@example.com"
    )
    assert messages_of(taken.text, "zoe@example.com") == ["Invitation sent to EMAIL."]
    # Nothing changed for the existing login; one new user for the new address.
    assert get_user_model().objects.count() == users_before + 1
    elsewhere.refresh_from_db()
    assert elsewhere.account_id != admin.account_id
    assert not Organizer.objects.filter(
        account=admin.account, user=elsewhere.user
    ).exists()


def test_the_owner_of_the_login_is_told_by_email_instead(
    client, admin, django_capture_on_commit_callbacks
):
    factories.OrganizerFactory(user__email="zoe@example.com")
    client.force_login(admin.user)

    with django_capture_on_commit_callbacks(execute=True):
        invite(client, "zoe@example.com")

    [notice] = mail.outbox
    assert notice.to == ["zoe@example.com"]
    assert admin.account.name in notice.subject
    assert "already has a Tessera login" in notice.body
    assert "/invite/" not in notice.body


def test_a_member_of_the_same_account_is_said_to_be_there(
    client, admin, organizer, django_capture_on_commit_callbacks
):
    client.force_login(admin.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = invite(client, organizer.email)

    assert "already in your account" in response.text
    assert not mail.outbox
