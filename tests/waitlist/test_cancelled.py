"""Cancelling a webinar (or a series' session) closes its waitlist, with one email."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from registrations.capacity import seats_taken
from registrations.emails.sending import send_due_emails
from registrations.models import EmailLog, SeatCount, WaitlistEntry
from registrations.refunds.cancellation import cancel_webinar, preview_cancellation
from registrations.refunds.ledger import RefundError
from registrations.refunds.organizer_actions import cancel_registrant
from registrations.waitlist.cancelled import close_waitlist
from tests import factories
from tests.waitlist.support import a_confirmed, full_webinar, line_up

pytestmark = pytest.mark.django_db
Status = WaitlistEntry.Status
Kind = EmailLog.Kind


@pytest.fixture(autouse=True)
def _pinned_clock():
    # Sessions, offers and their windows are read against the clock.
    with time_machine.travel(datetime(2031, 3, 4, 9, 0, tzinfo=UTC), tick=False):
        yield


def cancelled_emails(entry) -> int:
    return EmailLog.objects.filter(
        waitlist_entry=entry, kind=Kind.WAITLIST_CANCELLED
    ).count()


def a_line_with_an_offer(webinar, capture):
    """Two in line; a seat freed: the first holds an offer, the second waits."""
    offered, waiting = line_up(webinar, 2)
    with capture(execute=True):
        cancel_registrant(a_confirmed(webinar), email=False)
    offered.refresh_from_db()
    assert offered.status == Status.OFFERED
    WaitlistEntry.objects.filter(pk=waiting.pk).update(language="fr")
    waiting.refresh_from_db()
    return offered, waiting


def test_cancelling_the_webinar_closes_its_line_and_tells_each_once(
    client, login, organizer, django_capture_on_commit_callbacks
):
    webinar = full_webinar(owner=organizer)
    offered, waiting = a_line_with_an_offer(webinar, django_capture_on_commit_callbacks)
    client = login(organizer)
    url = reverse("registrations:cancel_webinar", args=[webinar.pk])

    preview = client.get(url).content.decode()
    assert "2 people on the waitlist will be told" in preview

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"mode": "full", "confirm": "yes"}, follow=True)
    assert "2 people on the waitlist are being told." in response.content.decode()

    for entry in (offered, waiting):
        entry.refresh_from_db()
        assert entry.status == Status.CANCELLED
        assert entry.ended_at is not None
        assert cancelled_emails(entry) == 1
    # The open offer's seat is released with the registrations'.
    assert SeatCount.objects.get(webinar=webinar, session=None).taken == 0
    assert seats_taken(webinar=webinar) == 0

    mail.outbox.clear()
    send_due_emails()
    by_address = {message.to[0]: message for message in mail.outbox}
    english = by_address[offered.email]
    assert english.subject == f"Cancelled, you are off the waitlist: {webinar.title}"
    assert f"{webinar.title} has been cancelled, so you are no longer" in english.body
    assert "You have not been charged." in english.body
    french = by_address[waiting.email]
    assert french.body.startswith("Bonjour Wai,")
    assert "a été annulé\u00a0: vous n’êtes donc plus sur sa liste" in french.body
    assert "Rien ne vous a été facturé." in french.body
    to_line = [m for m in mail.outbox if m.to[0] in (offered.email, waiting.email)]
    assert len(to_line) == 2


def test_a_second_cancellation_sends_nothing_again(
    organizer, django_capture_on_commit_callbacks
):
    webinar = full_webinar(owner=organizer)
    offered, waiting = a_line_with_an_offer(webinar, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_webinar(webinar=webinar)
    with pytest.raises(RefundError):
        cancel_webinar(webinar=webinar)
    # Run again on the cancelled webinar, the closing finds nobody in line.
    assert close_waitlist(webinar=webinar, session=None) == 0
    assert cancelled_emails(offered) == cancelled_emails(waiting) == 1
    send_due_emails()
    send_due_emails()
    in_line = {offered.email, waiting.email}
    told = sorted(m.to[0] for m in mail.outbox if m.to[0] in in_line)
    assert told == sorted(in_line)


def test_the_pages_say_the_webinar_was_cancelled(
    client, login, organizer, django_capture_on_commit_callbacks
):
    webinar = full_webinar(owner=organizer)
    offered, waiting = a_line_with_an_offer(webinar, django_capture_on_commit_callbacks)
    # Someone whose offer expired before: kept as is, but no longer offered a seat.
    expired = line_up(webinar, 1, start=5)[0]
    WaitlistEntry.objects.filter(pk=expired.pk).update(status=Status.EXPIRED)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_webinar(webinar=webinar)

    status_page = client.get(
        reverse("registrations:waitlist_status", args=[offered.leave_token])
    ).content.decode()
    assert 'data-status="cancelled"' in status_page
    assert "The webinar was cancelled, so you are no longer on its waitlist." in (
        status_page
    )
    assert "You are number" not in status_page
    assert "waitlist-leave" not in status_page

    french = client.get(
        reverse("registrations:waitlist_status", args=[waiting.leave_token]),
        HTTP_ACCEPT_LANGUAGE="fr",
    ).content.decode()
    assert "Le webinaire a été annulé" in french

    # The offer's payment link no longer takes the seat.
    offer_url = reverse("registrations:waitlist_offer", args=[offered.offer_token])
    page = client.get(offer_url).content.decode()
    assert "The webinar was cancelled: this offer no longer holds." in page
    assert "offer-accept" not in page
    client.post(offer_url)
    offered.refresh_from_db()
    assert offered.status == Status.CANCELLED
    assert offered.registrant is None

    console = login(organizer).get(reverse("registrations:waitlist", args=[webinar.pk]))
    html = console.content.decode()
    assert html.count('data-status="cancelled"') == 2
    assert "Webinar cancelled" in html
    assert "Offer a seat" not in html


def test_cancelling_a_series_session_closes_only_its_line(
    client, login, organizer, django_capture_on_commit_callbacks
):
    webinar = factories.WebinarFactory(
        owner=organizer,
        registration_type="individual_session",
        registration_limit=1,
        sessions=2,
        waitlist_enabled=True,
    )
    one, two = webinar.sessions.order_by("starts_at")
    factories.RegistrantFactory(webinar=webinar, session=one)
    factories.RegistrantFactory(webinar=webinar, session=two)
    (for_one,) = line_up(webinar, 1, session=one)
    (for_two,) = line_up(webinar, 1, session=two, start=1)
    client = login(organizer)
    url = reverse("registrations:cancel_session", args=[webinar.pk, one.pk])
    assert "1 person on the waitlist will be told" in client.get(url).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"mode": "full", "confirm": "yes"})

    for_one.refresh_from_db()
    for_two.refresh_from_db()
    assert for_one.status == Status.CANCELLED
    assert for_two.status == Status.WAITING
    assert cancelled_emails(for_one) == 1
    assert cancelled_emails(for_two) == 0
    send_due_emails()
    (message,) = [m for m in mail.outbox if m.to == [for_one.email]][-1:]
    assert "The session of" in message.body
    status_page = client.get(
        reverse("registrations:waitlist_status", args=[for_one.leave_token])
    ).content.decode()
    assert "The session was cancelled, so you are no longer on its waitlist." in (
        status_page
    )
    console = client.get(reverse("registrations:waitlist", args=[webinar.pk]))
    assert "Session cancelled" in console.content.decode()


def test_one_session_of_an_all_sessions_webinar_leaves_the_line_waiting(organizer):
    webinar = full_webinar(owner=organizer, sessions=2)
    assert not webinar.is_series
    first = webinar.sessions.order_by("starts_at").first()
    (waiting,) = line_up(webinar, 1)

    preview = preview_cancellation(webinar=webinar, session=first)
    assert not preview.cancels_registrations
    assert preview.waitlisted == 0
    cancel_webinar(webinar=webinar, session=first)

    waiting.refresh_from_db()
    assert waiting.status == Status.WAITING
    assert cancelled_emails(waiting) == 0
