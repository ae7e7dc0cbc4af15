"""The waitlist's public pages and emails: join, where you stand, the offer."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from registrations.emails.sending import send_due_emails
from registrations.models import EmailLog, Registrant, WaitlistEntry
from registrations.refunds.organizer_actions import cancel_registrant
from tests import factories
from tests.waitlist.support import a_confirmed, full_webinar, line_up

pytestmark = pytest.mark.django_db
Status = WaitlistEntry.Status


def join_url(webinar) -> str:
    return reverse("registrations:waitlist_join", args=[webinar.registration_key])


def sent_texts(settings) -> list[str]:
    """Return the text body of every email sent (the test backend keeps them)."""
    return [message.body for message in mail.outbox]


def test_a_full_webinar_page_offers_the_waitlist(client, organizer):
    webinar = full_webinar(owner=organizer)

    page = client.get(webinar.get_registration_url())

    assert page.status_code == 200
    assert join_url(webinar) in page.content.decode()


def test_a_full_webinar_without_waitlist_offers_none(client, organizer):
    webinar = full_webinar(owner=organizer)
    webinar.waitlist_enabled = False
    webinar.save()

    page = client.get(webinar.get_registration_url())

    assert join_url(webinar) not in page.content.decode()
    assert client.get(join_url(webinar)).status_code == 302


def test_joining_shows_the_place_in_line_and_emails_it(client, organizer, settings):
    webinar = full_webinar(owner=organizer)
    webinar.questions = [
        {"id": "job", "label": "Job", "kind": "text", "required": True}
    ]
    webinar.save()
    line_up(webinar, 1)

    missing = client.post(
        join_url(webinar),
        {"first_name": "Ada", "last_name": "L", "email": "ada@example.com"},
    )
    response = client.post(
        join_url(webinar),
        {
            "first_name": "Ada",
            "last_name": "L",
            "email": "ada@example.com",
            "q_job": "Engineer",
        },
    )

    assert missing.status_code == 200
    assert "errorlist" in missing.content.decode()
    assert response.status_code == 303
    entry = WaitlistEntry.objects.get(email="ada@example.com")
    assert entry.answers == {"job": "Engineer"}
    page = client.get(response["Location"])
    assert "You are number 2 in line." in page.content.decode()
    send_due_emails()
    (text,) = [t for t in sent_texts(settings) if "Ada" in t]
    assert "Your place in line: 2." in text
    assert entry.leave_token in text


def test_joining_in_french_emails_in_french(client, organizer, settings):
    webinar = full_webinar(owner=organizer)
    client.cookies["django_language"] = "fr"

    client.post(
        join_url(webinar),
        {"first_name": "Ada", "last_name": "L", "email": "ada@example.com"},
    )

    entry = WaitlistEntry.objects.get(email="ada@example.com")
    assert entry.language == "fr"
    send_due_emails()
    (text,) = sent_texts(settings)
    # Rendered in French (the waitlist's own sentences get their French at
    # the next makemessages).
    assert text.startswith("Bonjour Ada,")


def test_joining_again_tells_nothing_new(client, organizer):
    webinar = full_webinar(owner=organizer)
    line_up(webinar, 1)

    response = client.post(
        join_url(webinar),
        {"first_name": "Wai", "last_name": "T", "email": "waiting0@example.com"},
    )

    assert response.status_code == 200
    assert 'id="waitlist-check-email"' in response.content.decode()
    assert WaitlistEntry.objects.filter(webinar=webinar).count() == 1


def test_leaving_from_the_status_page(client, organizer):
    webinar = full_webinar(owner=organizer)
    (entry,) = line_up(webinar, 1)
    url = reverse("registrations:waitlist_status", args=[entry.leave_token])

    response = client.post(url)

    assert response.status_code == 303
    entry.refresh_from_db()
    assert entry.status == Status.LEFT
    assert "You left the waitlist." in client.get(url).content.decode()


def test_an_offer_link_registers_a_free_webinar_at_once(
    client, organizer, settings, django_capture_on_commit_callbacks
):
    webinar = full_webinar(owner=organizer)
    (entry,) = line_up(webinar, 1)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_registrant(a_confirmed(webinar), email=False)
    entry.refresh_from_db()
    send_due_emails()
    offer_url = reverse("registrations:waitlist_offer", args=[entry.offer_token])
    assert any(offer_url in text for text in sent_texts(settings))
    status_page = client.get(
        reverse("registrations:waitlist_status", args=[entry.leave_token])
    )
    assert 'id="waitlist-offer"' in status_page.content.decode()

    page = client.get(offer_url)
    response = client.post(offer_url)

    assert page.status_code == 200
    assert response.status_code == 303
    assert "/done/" in response["Location"]
    registrant = Registrant.objects.get(webinar=webinar, email=entry.email)
    assert registrant.status == Registrant.Status.CONFIRMED
    assert EmailLog.objects.filter(registrant=registrant, kind="confirmation").exists()


def test_an_expired_offer_link_says_it_passed_on(
    client, organizer, django_capture_on_commit_callbacks
):
    webinar = full_webinar(owner=organizer)
    (entry,) = line_up(webinar, 1)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_registrant(a_confirmed(webinar), email=False)
    entry.refresh_from_db()
    offer_url = reverse("registrations:waitlist_offer", args=[entry.offer_token])

    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        response = client.post(offer_url)

    assert response.status_code == 200
    assert 'id="offer-error"' in response.content.decode()
    assert not Registrant.objects.filter(email=entry.email).exists()


def test_unknown_tokens_are_404(client):
    assert client.get("/waitlist/" + "x" * 43 + "/").status_code == 404
    assert client.get("/waitlist/offer/short/").status_code == 404


def test_a_series_waitlist_lists_only_full_sessions(client, organizer):
    webinar = factories.WebinarFactory(
        owner=organizer,
        registration_type="individual_session",
        registration_limit=1,
        sessions=2,
        waitlist_enabled=True,
    )
    one, two = webinar.sessions.order_by("starts_at")
    factories.RegistrantFactory(webinar=webinar, session=one)

    page = client.get(join_url(webinar)).content.decode()
    response = client.post(
        join_url(webinar),
        {
            "first_name": "Ada",
            "last_name": "L",
            "email": "ada@example.com",
            "session": str(one.pk),
        },
    )

    assert f'value="{one.pk}"' in page
    assert f'value="{two.pk}"' not in page
    assert response.status_code == 303
    assert WaitlistEntry.objects.get().session == one


def test_the_status_and_offer_pages_give_the_sessions_hour_in_its_zone(
    client, organizer, django_capture_on_commit_callbacks
):
    """11:00 in Paris (09:00 UTC) reads 11:00 am with Paris's offset, not 9:00 am."""
    from datetime import UTC, datetime

    with time_machine.travel(datetime(2030, 6, 1, 8, 0, tzinfo=UTC), tick=False):
        webinar = factories.WebinarFactory(
            owner=organizer,
            registration_type="individual_session",
            registration_limit=1,
            sessions=0,
            waitlist_enabled=True,
        )
        start = datetime(2030, 6, 10, 9, 0, tzinfo=UTC)
        session = factories.SessionFactory(
            webinar=webinar, starts_at=start, ends_at=start + timedelta(hours=1)
        )
        taken = factories.RegistrantFactory(webinar=webinar, session=session)
        (entry,) = line_up(webinar, 1, session=session)
        status_url = reverse("registrations:waitlist_status", args=[entry.leave_token])
        waiting = client.get(status_url).content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            cancel_registrant(taken, email=False)
        entry.refresh_from_db()
        offer = client.get(
            reverse("registrations:waitlist_offer", args=[entry.offer_token])
        ).content.decode()

    # As the emails write it (registrations.moments), in the webinar's zone.
    for page in (waiting, offer):
        assert "Monday, 10 June 2030, 11:00\u202fam (Europe/Paris, UTC+02:00)" in page
        assert "9:00\u202fam" not in page
