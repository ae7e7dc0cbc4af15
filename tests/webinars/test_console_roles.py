"""The role matrix: who sees which console page of a webinar."""

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def webinar_pages(webinar) -> list[tuple[str, str]]:
    session = webinar.sessions.first()
    member = factories.WebinarMemberFactory(
        webinar=webinar, role="panelist", email="panel-x@example.com"
    )
    return [
        ("get", reverse("webinars:detail", args=[webinar.pk])),
        ("get", reverse("webinars:edit", args=[webinar.pk])),
        ("get", reverse("webinars:sessions_add", args=[webinar.pk])),
        ("get", reverse("webinars:session_edit", args=[webinar.pk, session.pk])),
        ("post", reverse("webinars:member_add", args=[webinar.pk])),
        ("post", reverse("webinars:member_remove", args=[webinar.pk, member.pk])),
        ("post", reverse("webinars:question_add", args=[webinar.pk])),
    ]


@pytest.fixture
def people(account, organizer, webinar):
    other_organizer = factories.OrganizerFactory(account=account)
    co_organizer = factories.OrganizerFactory(account=account)
    panelist = factories.OrganizerFactory(account=account)
    factories.WebinarMemberFactory(
        webinar=webinar,
        role="co_organizer",
        email=co_organizer.email,
        organizer=co_organizer,
    )
    factories.WebinarMemberFactory(
        webinar=webinar, role="panelist", email=panelist.email, organizer=panelist
    )
    return {
        "admin": factories.OrganizerFactory(account=account, role="admin"),
        "owner": organizer,
        "co_organizer": co_organizer,
        "other_organizer": other_organizer,
        "panelist": panelist,
        "other_account_admin": factories.OrganizerFactory(role="admin"),
    }


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("admin", True),
        ("owner", True),
        ("co_organizer", True),
        ("other_organizer", False),
        ("panelist", False),
        ("other_account_admin", False),
    ],
)
def test_webinar_pages_follow_the_role_matrix(client, webinar, people, who, allowed):
    client.force_login(people[who].user)
    for method, url in webinar_pages(webinar):
        response = getattr(client, method)(url)
        if allowed:
            assert response.status_code in (200, 302, 400), (who, url)
        else:
            assert response.status_code == 404, (who, url)


def test_anonymous_is_sent_to_login_from_every_console_page(client, webinar):
    for method, url in webinar_pages(webinar):
        response = getattr(client, method)(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("organizers:login"))


def test_user_without_membership_gets_404(client, webinar):
    user = factories.UserFactory()
    client.force_login(user)
    assert client.get(reverse("webinars:dashboard")).status_code == 404
    assert client.get(reverse("webinars:detail", args=[webinar.pk])).status_code == 404


def test_dashboard_lists_only_what_the_role_may_see(client, account, webinar, people):
    hidden = factories.WebinarFactory(
        owner=people["other_organizer"], title="Hidden one"
    )
    foreign = factories.WebinarFactory(title="Foreign webinar")

    def titles(member):
        client.force_login(member.user)
        return client.get(reverse("webinars:dashboard")).content.decode()

    assert webinar.title in titles(people["owner"])
    assert hidden.title not in titles(people["owner"])
    assert webinar.title in titles(people["co_organizer"])
    assert webinar.title not in titles(people["panelist"])
    admin_page = titles(people["admin"])
    assert webinar.title in admin_page and hidden.title in admin_page
    assert foreign.title not in admin_page


def test_unknown_webinar_id_is_404(client, organizer):
    client.force_login(organizer.user)
    assert client.get(reverse("webinars:detail", args=[999999])).status_code == 404


def test_session_of_another_webinar_is_404(client, organizer, webinar):
    other = factories.WebinarFactory(owner=organizer)
    client.force_login(organizer.user)
    url = reverse("webinars:session_edit", args=[webinar.pk, other.sessions.first().pk])
    assert client.get(url).status_code == 404


def test_only_admins_invite(client, organizer, admin):
    client.force_login(organizer.user)
    assert client.get(reverse("organizers:invite")).status_code == 404
    client.force_login(admin.user)
    assert client.get(reverse("organizers:invite")).status_code == 200


def test_account_settings_form_only_for_admins(client, organizer, admin):
    client.force_login(organizer.user)
    page = client.get(reverse("organizers:account"))
    assert page.status_code == 200 and page.context["settings_form"] is None
    response = client.post(
        reverse("organizers:account"),
        {"settings-name": "Hijacked", "settings-stripe_scope": "account"},
    )
    assert response.status_code == 200
    organizer.account.refresh_from_db()
    assert organizer.account.name != "Hijacked"
