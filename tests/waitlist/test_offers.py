"""The waitlist's service: join, offers on freed seats, accept, expire, leave."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from registrations.capacity import seats_taken
from registrations.checkout import release_expired_holds
from registrations.emails.sending import send_due_emails
from registrations.models import (
    EmailLog,
    Registrant,
    SeatCount,
    SeatHold,
    WaitlistEntry,
)
from registrations.refunds.organizer_actions import cancel_registrant
from registrations.registration import (
    RegistrationError,
    WebinarFull,
    start_registration,
)
from registrations.waitlist.accept import accept_offer
from registrations.waitlist.join import join_waitlist, leave_waitlist
from registrations.waitlist.line import WaitlistError, position
from registrations.waitlist.offers import expire_offers, offer_free_seats
from tests import factories
from tests.waitlist.support import a_confirmed, full_webinar, line_up

pytestmark = pytest.mark.django_db
Status = WaitlistEntry.Status


def newcomer(webinar, **extra):
    return start_registration(
        webinar=webinar,
        first_name="New",
        last_name="Comer",
        email="newcomer@example.com",
        answers={},
        base_url="http://testserver/",
        **extra,
    )


def counter(webinar) -> int:
    return SeatCount.objects.get(webinar=webinar, session=None).taken


def test_joining_a_full_webinar_puts_you_in_line_with_an_email(organizer):
    webinar = full_webinar(owner=organizer)

    first, second = line_up(webinar, 2)

    assert (first.status, second.status) == (Status.WAITING, Status.WAITING)
    assert (position(first), position(second)) == (1, 2)
    assert EmailLog.objects.filter(
        waitlist_entry=second, kind=EmailLog.Kind.WAITLIST_JOINED
    ).exists()


def test_joining_twice_keeps_one_place(organizer):
    webinar = full_webinar(owner=organizer)
    (entry,) = line_up(webinar, 1)

    again = join_waitlist(
        webinar=webinar,
        first_name="Wai",
        last_name="Ting",
        email="WAITING0@example.com",
        answers={},
    )

    assert again.created is False
    assert again.entry == entry
    assert WaitlistEntry.objects.filter(webinar=webinar).count() == 1


def test_a_webinar_with_free_seats_sends_people_to_register(organizer):
    webinar = factories.WebinarFactory(
        owner=organizer, registration_limit=5, waitlist_enabled=True
    )

    with pytest.raises(WaitlistError):
        line_up(webinar, 1)


def test_a_webinar_without_waitlist_takes_nobody_in_line(organizer):
    webinar = full_webinar(owner=organizer)
    webinar.waitlist_enabled = False
    webinar.save()

    with pytest.raises(WaitlistError):
        line_up(webinar, 1)


def test_a_cancelled_seat_is_offered_to_the_first_in_line_and_held(
    organizer, django_capture_on_commit_callbacks
):
    webinar = full_webinar(owner=organizer)
    first, second = line_up(webinar, 2)

    with django_capture_on_commit_callbacks(execute=True):
        cancel_registrant(a_confirmed(webinar), email=False)

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Status.OFFERED
    assert first.offer_expires_at == first.offered_at + timedelta(hours=24)
    assert second.status == Status.WAITING
    assert position(second) == 1
    assert seats_taken(webinar=webinar) == webinar.registration_limit
    assert counter(webinar) == webinar.registration_limit
    assert EmailLog.objects.filter(
        waitlist_entry=first, kind=EmailLog.Kind.WAITLIST_OFFER
    ).exists()
    with pytest.raises(WebinarFull):
        newcomer(webinar)


def test_someone_waiting_goes_before_a_newcomer_even_with_a_seat_free(organizer):
    webinar = full_webinar(owner=organizer)
    line_up(webinar, 1)
    webinar.registration_limit = 3
    webinar.save()

    with pytest.raises(WebinarFull):
        newcomer(webinar)


def test_accepting_a_free_offer_confirms_on_the_held_seat(
    organizer, django_capture_on_commit_callbacks
):
    webinar = full_webinar(owner=organizer)
    (entry,) = line_up(webinar, 1)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_registrant(a_confirmed(webinar), email=False)
    entry.refresh_from_db()

    registration = accept_offer(entry=entry, base_url="http://testserver/")

    entry.refresh_from_db()
    registrant = registration.registrant
    assert registrant.status == Registrant.Status.CONFIRMED
    assert registrant.email == entry.email
    assert entry.status == Status.ACCEPTED
    assert entry.registrant == registrant
    assert seats_taken(webinar=webinar) == webinar.registration_limit
    assert counter(webinar) == SeatCount.recount(webinar.pk, None)


def test_an_offer_can_be_accepted_once(organizer, django_capture_on_commit_callbacks):
    webinar = full_webinar(owner=organizer)
    (entry,) = line_up(webinar, 1)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_registrant(a_confirmed(webinar), email=False)
    entry.refresh_from_db()
    accept_offer(entry=entry, base_url="http://testserver/")

    with pytest.raises(RegistrationError):
        accept_offer(entry=entry, base_url="http://testserver/")

    assert seats_taken(webinar=webinar) == webinar.registration_limit


def test_an_offer_not_taken_in_time_expires_and_passes_on(
    organizer, django_capture_on_commit_callbacks
):
    webinar = full_webinar(owner=organizer, waitlist_offer_hours=2)
    first, second = line_up(webinar, 2)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_registrant(a_confirmed(webinar), email=False)

    with time_machine.travel(timezone.now() + timedelta(hours=2, minutes=1)):
        assert expire_offers() == 1
        first.refresh_from_db()
        second.refresh_from_db()
        assert first.status == Status.EXPIRED
        assert second.status == Status.OFFERED
        assert seats_taken(webinar=webinar) == webinar.registration_limit
        with pytest.raises(RegistrationError):
            accept_offer(entry=first, base_url="http://testserver/")
    assert EmailLog.objects.filter(
        waitlist_entry=first, kind=EmailLog.Kind.WAITLIST_EXPIRED
    ).exists()
    assert counter(webinar) == webinar.registration_limit


def test_leaving_with_an_offer_passes_the_seat_on(
    organizer, django_capture_on_commit_callbacks
):
    webinar = full_webinar(owner=organizer)
    first, second = line_up(webinar, 2)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_registrant(a_confirmed(webinar), email=False)
    first.refresh_from_db()

    assert leave_waitlist(entry=first) is True

    second.refresh_from_db()
    assert first.status == Status.LEFT
    assert second.status == Status.OFFERED
    assert counter(webinar) == webinar.registration_limit


def test_raising_the_limit_is_offered_by_the_sweep(organizer):
    webinar = full_webinar(owner=organizer)
    entries = line_up(webinar, 3)
    webinar.registration_limit = 4
    webinar.save()

    expire_offers()

    statuses = [WaitlistEntry.objects.get(pk=e.pk).status for e in entries]
    assert statuses == [Status.OFFERED, Status.OFFERED, Status.WAITING]
    assert seats_taken(webinar=webinar) == 4


def test_never_more_offers_than_free_seats(organizer):
    webinar = full_webinar(owner=organizer)
    line_up(webinar, 3)
    webinar.registration_limit = 3
    webinar.save()

    offer_free_seats(webinar_id=webinar.pk, session_id=None)
    offer_free_seats(webinar_id=webinar.pk, session_id=None)

    assert WaitlistEntry.objects.filter(status=Status.OFFERED).count() == 1


def test_each_session_of_a_series_has_its_own_line(
    organizer, django_capture_on_commit_callbacks
):
    webinar = factories.WebinarFactory(
        owner=organizer,
        registration_type="individual_session",
        registration_limit=1,
        sessions=2,
        waitlist_enabled=True,
    )
    one, two = webinar.sessions.order_by("starts_at")
    taken = factories.RegistrantFactory(webinar=webinar, session=one)
    factories.RegistrantFactory(webinar=webinar, session=two)
    (for_one,) = line_up(webinar, 1, session=one)
    (for_two,) = line_up(webinar, 1, session=two, start=1)

    with django_capture_on_commit_callbacks(execute=True):
        cancel_registrant(taken, email=False)

    for_one.refresh_from_db()
    for_two.refresh_from_db()
    assert for_one.status == Status.OFFERED
    assert for_two.status == Status.WAITING
    registration = accept_offer(entry=for_one, base_url="http://testserver/")
    assert registration.registrant.session == one


def test_a_hold_released_by_the_sweep_is_offered_on(
    organizer, django_capture_on_commit_callbacks
):
    webinar = factories.WebinarFactory(
        owner=organizer, registration_limit=1, waitlist_enabled=True
    )
    pending = factories.RegistrantFactory(
        webinar=webinar, status="pending_payment", source="paid", confirmed_at=None
    )
    SeatHold.objects.create(
        registrant=pending, expires_at=timezone.now() + timedelta(minutes=30)
    )
    (entry,) = line_up(webinar, 1)

    with (
        time_machine.travel(timezone.now() + timedelta(minutes=31)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert release_expired_holds() == 1

    entry.refresh_from_db()
    assert entry.status == Status.OFFERED


def test_an_offer_email_no_longer_goes_once_the_offer_ended(
    organizer, django_capture_on_commit_callbacks
):
    webinar = full_webinar(owner=organizer)
    (entry,) = line_up(webinar, 1)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_registrant(a_confirmed(webinar), email=False)
    entry.refresh_from_db()
    leave_waitlist(entry=entry)

    report = send_due_emails()

    offer = EmailLog.objects.get(
        waitlist_entry=entry, kind=EmailLog.Kind.WAITLIST_OFFER
    )
    assert offer.status == EmailLog.Status.DROPPED
    # Both the offer and the joined email: the person is no longer in line.
    assert (report.sent, report.dropped) == (0, 2)
