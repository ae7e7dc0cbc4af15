"""Bad input on the webinar console forms: a message, nothing saved."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import OrganizerFactory, RegistrantFactory, SessionFactory
from webinars.models import Session, Webinar

pytestmark = pytest.mark.django_db


def create_payload(**overrides) -> dict:
    day = (timezone.now() + timedelta(days=10)).date()
    payload = {
        "title": "Budgeting 101",
        "description": "Money matters.",
        "kind": "live",
        "timezone": "Europe/Paris",
        "registration_type": "all_sessions",
        "registration_limit": "100",
        "approval": "automatic",
        "schedule-date": day.isoformat(),
        "schedule-start_time": "14:00",
        "schedule-end_time": "15:00",
        "schedule-recurrence": "none",
        "schedule-occurrences": "1",
        "schedule-broadcast_url": "https://meet.example.com/r",
    }
    payload.update(overrides)
    return payload


def post_create(client, organizer, **overrides):
    client.force_login(organizer.user)
    return client.post(reverse("webinars:create"), create_payload(**overrides))


def test_creates_webinar_with_one_session_in_its_timezone(client, organizer):
    response = post_create(client, organizer)
    webinar = Webinar.objects.get(title="Budgeting 101")
    assert response.status_code == 302
    session = webinar.sessions.get()
    assert session.local_start().hour == 14
    assert session.ends_at - session.starts_at == timedelta(hours=1)
    assert webinar.owner == organizer


def test_creates_weekly_series(client, organizer):
    post_create(
        client,
        organizer,
        **{"schedule-recurrence": "weekly", "schedule-occurrences": "4"},
    )
    starts = list(Webinar.objects.get().sessions.values_list("starts_at", flat=True))
    assert len(starts) == 4
    assert starts[1] - starts[0] in (
        timedelta(days=7),
        timedelta(days=7, hours=1),
        timedelta(days=7, hours=-1),
    )


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"schedule-end_time": "13:00"}, "end_time", "end after it starts"),
        ({"registration_limit": "1001"}, "registration_limit", "at most 1000"),
        ({"registration_limit": "0"}, "registration_limit", "at least 1"),
        ({"registration_limit": "-5"}, "registration_limit", "at least 1"),
        ({"timezone": "Mars/Olympus"}, "timezone", "Unknown time zone"),
        (
            {"schedule-recurrence": "daily", "schedule-occurrences": "51"},
            "occurrences",
            "at most 50",
        ),
        ({"title": ""}, "title", "required"),
        ({"schedule-date": "not-a-date"}, "date", "valid date"),
    ],
)
def test_create_rejects_bad_input(client, organizer, overrides, field, message):
    response = post_create(client, organizer, **overrides)
    assert response.status_code == 200
    forms = [response.context["form"], response.context["schedule"]]
    errors = [str(e) for f in forms for e in f.errors.get(field, [])]
    # One message per field: the one that names the rule.
    assert len(errors) == 1 and message in errors[0]
    assert not Webinar.objects.exists()


def test_session_in_the_past_is_refused(client, organizer):
    yesterday = (timezone.now() - timedelta(days=1)).date().isoformat()
    response = post_create(client, organizer, **{"schedule-date": yesterday})
    assert "cannot start in the past" in str(response.context["schedule"].errors)
    assert not Session.objects.exists()


def test_on_demand_webinar_needs_no_schedule(client, organizer):
    response = post_create(
        client,
        organizer,
        kind="on_demand",
        **{"schedule-date": "", "schedule-start_time": ""},
    )
    assert response.status_code == 302
    assert Webinar.objects.get().sessions.count() == 0


def test_edit_session_refuses_end_before_start(client, organizer, webinar):
    session = webinar.sessions.get()
    client.force_login(organizer.user)
    url = reverse("webinars:session_edit", args=[webinar.pk, session.pk])
    response = client.post(
        url,
        {
            "starts_at": "2030-01-10T15:00",
            "ends_at": "2030-01-10T14:00",
            "broadcast_url": "",
        },
    )
    assert "end after it starts" in str(response.context["form"].errors)
    old_start = session.starts_at
    session.refresh_from_db()
    assert session.starts_at == old_start


def test_edit_session_reads_times_in_the_webinars_timezone(client, organizer, webinar):
    session = webinar.sessions.get()
    client.force_login(organizer.user)
    url = reverse("webinars:session_edit", args=[webinar.pk, session.pk])
    client.post(
        url,
        {"starts_at": "2030-01-10T15:00", "ends_at": "2030-01-10T16:00"},
    )
    session.refresh_from_db()
    assert session.starts_at.isoformat() == "2030-01-10T14:00:00+00:00"


def post_on_webinar(client, organizer, webinar, url_name: str, data: dict):
    """Post to one of the webinar page's forms, logged in as the organizer."""
    client.force_login(organizer.user)
    return client.post(reverse(f"webinars:{url_name}", args=[webinar.pk]), data)


def test_member_with_bad_email_is_refused(client, organizer, webinar):
    bad = {"email": "not-an-email", "role": "panelist"}
    response = post_on_webinar(client, organizer, webinar, "member_add", bad)
    assert response.status_code == 400
    assert "valid email" in str(response.context["form"].errors)
    assert not webinar.members.exists()


def test_duplicate_co_organizer_is_refused(client, organizer, webinar):
    client.force_login(organizer.user)
    url = reverse("webinars:member_add", args=[webinar.pk])
    client.post(url, {"email": "co@example.com", "role": "co_organizer"})
    response = client.post(url, {"email": "CO@example.com", "role": "co_organizer"})
    assert response.status_code == 400
    assert "already" in str(response.context["form"].errors)
    assert webinar.members.count() == 1


def test_co_organizer_from_same_account_gets_console_access(client, organizer, webinar):
    colleague = OrganizerFactory(account=organizer.account)
    co = {"email": colleague.email.upper(), "role": "co_organizer"}
    post_on_webinar(client, organizer, webinar, "member_add", co)
    client.force_login(colleague.user)
    assert client.get(reverse("webinars:detail", args=[webinar.pk])).status_code == 200


def test_question_requires_a_label(client, organizer, webinar):
    response = post_on_webinar(
        client, organizer, webinar, "question_add", {"label": "", "kind": "text"}
    )
    assert response.status_code == 400
    webinar.refresh_from_db()
    assert webinar.questions == []


def test_disclaimer_question_is_always_required(client, organizer, webinar):
    terms = {"label": "I accept the terms", "kind": "disclaimer"}
    post_on_webinar(client, organizer, webinar, "question_add", terms)
    webinar.refresh_from_db()
    assert webinar.questions[0]["required"] is True


def test_removing_an_unknown_question_says_so(client, organizer, webinar):
    client.force_login(organizer.user)
    response = client.post(
        reverse("webinars:question_remove", args=[webinar.pk, "nope"]), follow=True
    )
    assert "does not exist" in response.content.decode()


def delete_session(client, organizer, session) -> bool:
    """Ask the console to delete the session; return whether it is gone."""
    client.force_login(organizer.user)
    client.post(
        reverse("webinars:session_delete", args=[session.webinar_id, session.pk])
    )
    return not Session.objects.filter(pk=session.pk).exists()


def test_session_with_registrants_is_not_deleted(client, organizer, webinar):
    session = webinar.sessions.get()
    RegistrantFactory(webinar=webinar, session=session, source="free")
    assert not delete_session(client, organizer, session)


def test_only_session_of_a_webinar_with_registrants_is_not_deleted(
    client, organizer, webinar
):
    RegistrantFactory(webinar=webinar, source="paid")
    assert not delete_session(client, organizer, webinar.sessions.get())


def test_unused_session_is_deleted(client, organizer, webinar):
    spare = SessionFactory(webinar=webinar)
    assert delete_session(client, organizer, spare)


@pytest.mark.parametrize(("limit", "warned"), [(2, True), (4, False), (3, False)])
def test_a_limit_below_the_seats_taken_is_saved_with_a_warning(
    client, organizer, webinar, limit, warned
):
    for n in range(3):
        RegistrantFactory(webinar=webinar, email=f"seat{n}@example.com")
    client.force_login(organizer.user)
    data = {
        "title": webinar.title,
        "description": webinar.description,
        "kind": webinar.kind,
        "timezone": webinar.timezone,
        "registration_type": webinar.registration_type,
        "registration_limit": str(limit),
        "approval": webinar.approval,
    }

    response = client.post(
        reverse("webinars:edit", args=[webinar.pk]), data, follow=True
    )

    webinar.refresh_from_db()
    assert webinar.registration_limit == limit
    page = response.content.decode()
    assert "Webinar saved." in page
    warning = "3 registrants already hold seats, more than the new limit of 2."
    assert (warning in page) is warned


# Text over a field's limit: refused beside the field, shown again whole ---------


def test_console_forms_set_no_browser_limit(client, organizer, webinar):
    client.force_login(organizer.user)

    create = client.get(reverse("webinars:create")).content.decode()
    settings_page = client.get(
        reverse("webinars:settings", args=[webinar.pk])
    ).content.decode()

    assert 'name="title"' in create and "maxlength" not in create
    assert 'name="label"' in settings_page and 'name="name"' in settings_page
    assert "maxlength" not in settings_page


def test_a_long_title_is_refused_and_kept(client, organizer):
    title = "T" * 201

    response = post_create(client, organizer, title=title)

    page = response.content.decode()
    assert "Ensure this value has at most 200 characters (it has 201)." in page
    assert f'value="{title}"' in page
    assert not Webinar.objects.exists()


def test_a_long_question_is_refused_and_kept(client, organizer, webinar):
    label = "Q" * 501

    response = post_on_webinar(
        client, organizer, webinar, "question_add", {"label": label, "kind": "text"}
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Ensure this value has at most 500 characters (it has 501)." in page
    assert f'value="{label}"' in page
    webinar.refresh_from_db()
    assert webinar.questions == []


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("F" * 101 + " Last", "first name (up to the first space) has at most 100"),
        ("First " + "L" * 101, "last name (after the first space) has at most 100"),
    ],
)
def test_a_member_name_that_would_be_cut_is_refused(
    client, organizer, webinar, name, message
):
    data = {"email": "panel@example.com", "name": name, "role": "panelist"}

    response = post_on_webinar(client, organizer, webinar, "member_add", data)

    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and "(it has 101)" in page
    assert f'value="{name}"' in page
    assert not webinar.members.exists()
    assert not webinar.registrants.exists()


def test_a_member_name_of_two_full_parts_is_registered_whole(
    client, organizer, webinar, django_capture_on_commit_callbacks
):
    name = "F" * 99 + " " + "L" * 100  # the field's 200 characters
    data = {"email": "panel@example.com", "name": name, "role": "panelist"}

    with django_capture_on_commit_callbacks(execute=True):
        post_on_webinar(client, organizer, webinar, "member_add", data)

    registrant = webinar.registrants.get()
    assert (registrant.first_name, registrant.last_name) == ("F" * 99, "L" * 100)
