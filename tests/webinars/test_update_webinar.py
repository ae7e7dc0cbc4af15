"""Editing a webinar's details is one operation: webinars.services.update_webinar."""

import pytest
from django.core.exceptions import ValidationError

from webinars.models import Webinar
from webinars.services import update_webinar

pytestmark = pytest.mark.django_db


def details(webinar, **changes):
    return {
        "title": webinar.title,
        "description": webinar.description,
        "kind": webinar.kind,
        "timezone": webinar.timezone,
        "registration_type": webinar.registration_type,
        "registration_limit": webinar.registration_limit,
        "approval": webinar.approval,
        **changes,
    }


def test_update_webinar_saves_the_new_details(webinar, _pinned_clock):
    before = webinar.updated_at
    fields = details(
        webinar,
        title="Budgeting 201",
        timezone="America/Chicago",
        registration_limit=40,
        approval=Webinar.Approval.MANUAL,
    )

    returned = update_webinar(webinar=webinar, fields=fields)

    assert returned is webinar
    stored = Webinar.objects.get(pk=webinar.pk)
    assert stored.title == "Budgeting 201"
    assert stored.timezone == "America/Chicago"
    assert stored.registration_limit == 40
    assert stored.approval == Webinar.Approval.MANUAL
    assert stored.updated_at > before
    assert stored.registration_key == webinar.registration_key


def test_update_webinar_refuses_a_limit_over_the_plans_cap(webinar):
    cap = webinar.account.max_registration_limit
    with pytest.raises(ValidationError) as refused:
        update_webinar(
            webinar=webinar, fields=details(webinar, registration_limit=cap + 1)
        )
    assert "registration_limit" in refused.value.message_dict
    assert Webinar.objects.get(pk=webinar.pk).registration_limit == 100


def test_update_webinar_keeps_what_another_page_saved_meanwhile(webinar):
    read_by_the_form = Webinar.objects.get(pk=webinar.pk)
    Webinar.objects.filter(pk=webinar.pk).update(
        questions=[{"label": "Company", "required": False}],
        reminders_enabled=False,
    )

    update_webinar(
        webinar=read_by_the_form,
        fields=details(read_by_the_form, title="Budgeting 202"),
    )

    stored = Webinar.objects.get(pk=webinar.pk)
    assert stored.title == "Budgeting 202"
    assert stored.questions == [{"label": "Company", "required": False}]
    assert stored.reminders_enabled is False
