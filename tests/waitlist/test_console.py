"""The console's waitlist: settings, the line, offers by hand, removal, CSV."""

import pytest
from django.urls import reverse

from registrations.capacity import seats_taken
from registrations.models import WaitlistEntry
from tests import factories
from tests.waitlist.support import full_webinar, line_up

pytestmark = pytest.mark.django_db
Status = WaitlistEntry.Status


def page_url(webinar) -> str:
    return reverse("registrations:waitlist", args=[webinar.pk])


def action_url(webinar, entry, action: str) -> str:
    return reverse("registrations:waitlist_action", args=[webinar.pk, entry.pk, action])


def test_the_organizer_turns_the_waitlist_on_with_a_window(client, login, organizer):
    webinar = factories.WebinarFactory(owner=organizer)
    login(organizer)

    response = client.post(
        page_url(webinar), {"waitlist_enabled": "on", "waitlist_offer_hours": "6"}
    )

    assert response.status_code == 302
    webinar.refresh_from_db()
    assert webinar.waitlist_enabled is True
    assert webinar.waitlist_offer_hours == 6


def test_a_window_out_of_bounds_is_a_form_error(client, login, organizer):
    webinar = factories.WebinarFactory(owner=organizer)
    login(organizer)

    response = client.post(page_url(webinar), {"waitlist_offer_hours": "0"})

    assert response.status_code == 200
    assert "errorlist" in response.content.decode()


def test_the_line_shows_positions_and_offers(client, login, organizer):
    webinar = full_webinar(owner=organizer)
    first, second = line_up(webinar, 2)
    login(organizer)

    page = client.get(page_url(webinar)).content.decode()

    assert first.email in page and second.email in page
    assert page.index(first.email) < page.index(second.email)
    assert "See the waitlist" in client.get(webinar.get_absolute_url()).content.decode()


def test_offering_by_hand_skips_the_line_and_grows_the_limit(client, login, organizer):
    webinar = full_webinar(owner=organizer)
    first, second = line_up(webinar, 2)
    login(organizer)

    response = client.post(action_url(webinar, second, "offer"))

    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    webinar.refresh_from_db()
    assert second.status == Status.OFFERED
    assert first.status == Status.WAITING
    assert webinar.registration_limit == 3
    assert seats_taken(webinar=webinar) == 3


def test_removing_someone_with_an_offer_passes_it_on(client, login, organizer):
    webinar = full_webinar(owner=organizer)
    first, second = line_up(webinar, 2)
    login(organizer)
    client.post(action_url(webinar, first, "offer"))

    client.post(action_url(webinar, first, "remove"))

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Status.REMOVED
    assert second.status == Status.OFFERED


def test_the_csv_has_the_line_and_answers(client, login, organizer):
    webinar = full_webinar(owner=organizer)
    webinar.questions = [{"id": "job", "label": "Job", "kind": "text"}]
    webinar.save()
    (entry,) = line_up(webinar, 1)
    entry.answers = {"job": "=cmd()"}
    entry.save()
    login(organizer)

    response = client.get(reverse("registrations:waitlist_csv", args=[webinar.pk]))

    body = b"".join(response.streaming_content).decode()
    assert response.status_code == 200
    assert body.splitlines()[0].endswith("Job")
    assert "1,waiting0@example.com" in body
    assert "'=cmd()" in body


def test_other_accounts_get_404(client, login, organizer):
    webinar = full_webinar(owner=organizer)
    (entry,) = line_up(webinar, 1)
    stranger = factories.OrganizerFactory()
    login(stranger)

    assert client.get(page_url(webinar)).status_code == 404
    assert client.post(action_url(webinar, entry, "remove")).status_code == 404
    csv_url = reverse("registrations:waitlist_csv", args=[webinar.pk])
    assert client.get(csv_url).status_code == 404
    entry.refresh_from_db()
    assert entry.status == Status.WAITING


def test_an_unknown_action_is_404(client, login, organizer):
    webinar = full_webinar(owner=organizer)
    (entry,) = line_up(webinar, 1)
    login(organizer)

    assert client.post(action_url(webinar, entry, "promote")).status_code == 404
