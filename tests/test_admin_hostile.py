"""The admin (Django's own User and Group included) refuses hostile input.

A changelist action whose selection is not a list of ids gets an admin message
and a redirect (config/adminsite.py); a NUL byte in a list filter or a form gets
the 400 page (config/nul.py).
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse

from config.adminsite import CheckedSelectionMixin

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "admin:auth_user_changelist",
    "admin:auth_group_changelist",
    "admin:webinars_webinar_changelist",
    "admin:organizers_organizer_changelist",
]


@pytest.fixture
def root(client, django_user_model):
    user = django_user_model.objects.create_superuser(
        "root@example.com", "root@example.com", "root-pass-1"
    )
    client.force_login(user)
    return client


def test_every_registered_admin_checks_its_selection():
    assert admin.site._registry
    for model_admin in admin.site._registry.values():
        assert isinstance(model_admin, CheckedSelectionMixin), model_admin


@pytest.mark.parametrize("name", CHANGELISTS)
@pytest.mark.parametrize("selected", ["abc", "", "1.5", str(2**63), "9" * 5000])
def test_a_selection_that_is_no_id_is_refused(root, name, selected):
    group = Group.objects.create(name="Support")
    url = reverse(name)
    answer = root.post(
        url,
        {"action": "delete_selected", "index": "0", "_selected_action": selected},
        follow=True,
    )
    assert answer.status_code == 200
    assert answer.redirect_chain == [(url, 302)]
    assert "The selection names no item; nothing was done." in answer.text
    assert Group.objects.filter(pk=group.pk).exists()


def test_a_valid_selection_still_runs_the_action(root):
    group = Group.objects.create(name="Support")
    answer = root.post(
        reverse("admin:auth_group_changelist"),
        {"action": "delete_selected", "_selected_action": str(group.pk)},
    )
    assert answer.status_code == 200  # Django's "are you sure?" page
    names = [template.name for template in answer.templates]
    assert "admin/delete_selected_confirmation.html" in names


@pytest.mark.parametrize(
    "query",
    ["kind__exact=%00", "approval__exact=a%00b", "q=%00", "role__exact=x%00"],
)
def test_a_nul_in_a_list_filter_is_a_bad_request(root, query):
    webinar_list = reverse("admin:webinars_webinar_changelist")
    assert root.get(f"{webinar_list}?{query}").status_code == 400
    assert root.get(f"{reverse('admin:auth_user_changelist')}?{query}").status_code == (
        400
    )


def test_a_nul_in_a_form_is_a_bad_request_in_the_users_language(root):
    answer = root.post(
        reverse("admin:auth_group_add"),
        {"name": "a\x00b"},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert answer.status_code == 400
    assert not Group.objects.exists()


def test_a_nul_elsewhere_is_a_bad_request(client):
    assert client.get("/", {"next": "a\x00b"}).status_code == 400
    assert client.get("/", {"next": "ab"}).status_code < 400


@pytest.mark.parametrize("value", [str(2**63), str(-(2**63) - 1), "9" * 30, "abc"])
def test_a_many_to_many_choice_that_is_no_id_is_a_form_error(root, value):
    answer = root.post(
        reverse("admin:auth_group_add"), {"name": "Support", "permissions": [value]}
    )
    assert answer.status_code == 200
    assert answer.context["adminform"].form.errors["permissions"]
    assert not Group.objects.exists()


@pytest.mark.parametrize("value", [str(2**63), "abc", "99999"])
def test_a_date_drill_down_that_is_no_date_is_refused(root, value):
    url = reverse("admin:axes_accesslog_changelist")
    answer = root.get(url, {"attempt_time__year": value})
    assert answer.status_code == 302
    assert answer["Location"] == f"{url}?e=1"
    assert root.get(url, {"attempt_time__year": "2026"}).status_code == 200


def test_the_api_docs_answer_only_get(client):
    docs = reverse("api:docs")
    assert client.options(docs).status_code == 405
    assert client.get(docs).status_code == 200
