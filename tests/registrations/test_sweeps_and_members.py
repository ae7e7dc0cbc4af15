"""Sweeps (expired holds, lost webhooks) and free seats for panelists."""

from datetime import timedelta

import pytest
from django.utils import timezone

from payments.models import Payment
from registrations.capacity import seats_taken
from registrations.checkout import (
    RECONCILE_BATCH,
    reconcile_checkouts,
    reconcile_checkouts_task,
    release_expired_holds_task,
)
from registrations.members import register_member
from registrations.models import Registrant, SeatHold
from tests import factories
from tests.registrations.checkout_support import (
    register,
    session_id_of,
    success_path,
)
from tests.sandbox_fixtures import ASYNC_CARD
from webinars import services as webinar_services

pytestmark = pytest.mark.django_db


def test_expired_holds_are_released_every_minute(client, paid_webinar, stripe_sandbox):
    register(client, paid_webinar)
    register(client, paid_webinar, email="kept@example.com")
    SeatHold.objects.filter(registrant__email="ada@example.com").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    assert release_expired_holds_task() == 1
    assert release_expired_holds_task() == 0

    assert Registrant.objects.get(email="ada@example.com").status == "expired"
    assert Registrant.objects.get(email="kept@example.com").status == "pending_payment"
    assert seats_taken(webinar=paid_webinar) == 1


def test_expired_but_unreleased_holds_do_not_count_as_seats(
    client, paid_webinar, stripe_sandbox
):
    paid_webinar.registration_limit = 1
    paid_webinar.save()
    register(client, paid_webinar)
    SeatHold.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert register(client, paid_webinar, email="b@example.com").status_code == 303


def test_reconcile_fulfils_a_paid_session_whose_webhook_was_lost(
    client, paid_webinar, stripe_sandbox
):
    session_id = session_id_of(register(client, paid_webinar)["Location"])
    stripe_sandbox.pay(session_id)
    Payment.objects.update(expires_at=timezone.now() - timedelta(minutes=5))

    assert reconcile_checkouts_task() == 1

    assert Registrant.objects.get().status == Registrant.Status.CONFIRMED
    assert Payment.objects.get().status == Payment.Status.PAID
    assert reconcile_checkouts_task() == 0


def test_reconcile_closes_an_expired_session(client, paid_webinar, stripe_sandbox):
    session_id = session_id_of(register(client, paid_webinar)["Location"])
    stripe_sandbox.expire(session_id)
    Payment.objects.update(expires_at=timezone.now() - timedelta(minutes=5))

    reconcile_checkouts_task()

    payment = Payment.objects.get()
    assert payment.status == Payment.Status.EXPIRED
    assert Registrant.objects.get().status == Registrant.Status.EXPIRED


def test_reconcile_skips_recent_checkouts_and_survives_stripe_outage(
    client, paid_webinar, stripe_sandbox
):
    register(client, paid_webinar)
    assert reconcile_checkouts_task() == 0

    Payment.objects.update(expires_at=timezone.now() - timedelta(minutes=5))
    stripe_sandbox.inject_fault("500", count=3)
    assert reconcile_checkouts_task() == 1
    assert Payment.objects.get().status == Payment.Status.OPEN


def test_sweeps_are_scheduled(settings):
    tasks_scheduled = {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "registrations.tasks.release_expired_holds" in tasks_scheduled
    assert "registrations.tasks.reconcile_checkouts" in tasks_scheduled


def test_hold_expiry_leaves_stripe_its_30_minutes(settings):
    assert settings.SEAT_HOLD_MINUTES >= 31


def test_added_panelist_gets_a_free_confirmed_registration(
    webinar, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        webinar_services.add_member(
            webinar=webinar, email="pan@example.com", name="Pan Elist", role="panelist"
        )

    registrant = Registrant.objects.get()
    assert registrant.source == Registrant.Source.PANELIST
    assert registrant.status == Registrant.Status.CONFIRMED
    assert (registrant.first_name, registrant.last_name) == ("Pan", "Elist")
    assert registrant.amount == 0 and registrant.payment is None
    assert list(registrant.emails.values_list("kind", flat=True)) == ["confirmation"]


def test_panelists_and_co_organizers_do_not_take_seats(
    client, webinar, django_capture_on_commit_callbacks
):
    webinar.registration_limit = 1
    webinar.save()
    with django_capture_on_commit_callbacks(execute=True):
        webinar_services.add_member(
            webinar=webinar, email="co@example.com", name="", role="co_organizer"
        )
    factories.WebinarMemberFactory  # noqa: B018 - factories stay importable

    assert seats_taken(webinar=webinar) == 0
    assert register(client, webinar).status_code == 303
    assert Registrant.objects.count() == 2


def test_member_registration_is_made_once(webinar):
    member = factories.WebinarMemberFactory(webinar=webinar, role="panelist")
    first = register_member(member)
    assert register_member(member) == first


def test_marking_a_payment_processing_pushes_its_next_check_forward(
    client, paid_webinar, stripe_sandbox
):
    session_id = session_id_of(register(client, paid_webinar)["Location"])
    stripe_sandbox.pay(session_id, card=ASYNC_CARD)

    client.get(success_path(paid_webinar, session_id))

    payment = Payment.objects.get()
    assert payment.status == Payment.Status.PROCESSING
    assert payment.expires_at > timezone.now() + timedelta(minutes=50)
    assert reconcile_checkouts() == 0


def test_open_payment_is_reconciled_despite_many_stale_processing_ones(
    client, paid_webinar, stripe_sandbox
):
    session_id = session_id_of(register(client, paid_webinar)["Location"])
    stripe_sandbox.pay(session_id)  # its webhook is lost
    now = timezone.now()
    Payment.objects.update(expires_at=now - timedelta(minutes=10))
    Payment.objects.bulk_create(
        Payment(
            account=paid_webinar.account,
            webinar=paid_webinar,
            stripe_account_id=stripe_sandbox.demo_account,
            checkout_session_id=f"cs_test_processing_{n}",
            amount=5000,
            currency="EUR",
            status=Payment.Status.PROCESSING,
            expires_at=now - timedelta(days=1),
        )
        for n in range(150)
    )

    reconcile_checkouts()

    assert Registrant.objects.get().status == Registrant.Status.CONFIRMED
    looked_at = Payment.objects.filter(
        status=Payment.Status.PROCESSING, expires_at__gt=now
    ).count()
    assert looked_at == RECONCILE_BATCH - 1
    # The next runs reach the rest instead of the same ones again.
    reconcile_checkouts()
    assert not Payment.objects.filter(
        status=Payment.Status.PROCESSING, expires_at__lte=now
    ).exists()
