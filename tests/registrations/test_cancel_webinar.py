"""Cancelling a session or a whole webinar: preview, refunds in the background."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from payments import gateway
from payments.models import Payment, Refund
from registrations.models import EmailLog, Registrant, SeatHold
from registrations.refunds.cancellation import (
    batch_key,
    cancel_webinar,
    preview_cancellation,
    run_cancellation_refunds,
    send_cancellation_refunds,
)
from registrations.refunds.stripe_sync import submit_refund
from tests import factories
from tests.registrations.checkout_support import (
    register,
    send_refunds,
    session_id_of,
)
from tests.registrations.refund_support import (
    pay_registrant,
    refund_part,
    refunded_in_stripe,
    stripe_refunds,
)
from webinars.models import Webinar

pytestmark = pytest.mark.django_db


def paid_many(sandbox, webinar, acct, amounts, **kwargs):
    return [
        pay_registrant(
            sandbox=sandbox, webinar=webinar, account=acct, amount=amount, **kwargs
        )
        for amount in amounts
    ]


def test_preview_lists_the_registrants_and_the_total_to_refund(
    login, organizer, webinar, stripe_sandbox, acct, django_capture_on_commit_callbacks
):
    first, second = paid_many(stripe_sandbox, webinar, acct, [5000, 3000])
    refund_part(second, amount=1000, capture=django_capture_on_commit_callbacks)
    guest = factories.RegistrantFactory(webinar=webinar)
    client = login(organizer)
    response = client.get(reverse("registrations:cancel_webinar", args=[webinar.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    for registrant in (first, second, guest):
        assert registrant.email in page
    assert "€70.00" in page  # 50 + (30 - 10)
    assert webinar.cancelled_at is None


def test_cancelling_a_webinar_refunds_everyone_in_full_once(
    login, organizer, webinar, stripe_sandbox, acct
):
    registrants = paid_many(stripe_sandbox, webinar, acct, [5000, 4200, 1999])
    guest = factories.RegistrantFactory(webinar=webinar)
    client = login(organizer)
    url = reverse("registrations:cancel_webinar", args=[webinar.pk])
    response = client.post(url, {"mode": "full", "confirm": "yes"})
    assert response.status_code == 302
    webinar.refresh_from_db()
    assert webinar.cancelled_at is not None
    assert webinar.sessions.get().cancelled_at is not None
    assert Refund.objects.filter(status=Refund.Status.REQUESTED).count() == 3

    key = batch_key(webinar=webinar, session=None)
    assert run_cancellation_refunds(key) == 0
    assert run_cancellation_refunds(key) == 0  # a rerun changes nothing
    for registrant in registrants:
        registrant.refresh_from_db()
        payment = registrant.payment
        assert registrant.status == Registrant.Status.REFUNDED
        assert payment.amount_refunded == payment.amount
        assert len(stripe_refunds(payment)) == 1
    guest.refresh_from_db()
    assert guest.status == Registrant.Status.CANCELLED
    cancelled = EmailLog.objects.filter(kind="cancelled").count()
    assert cancelled == 4
    # The registrations no longer hold seats.
    assert not Registrant.objects.holding_seats().exists()
    # Cancelling again is refused with a message, not a 500.
    again = client.post(url, {"mode": "full", "confirm": "yes"})
    assert again.status_code == 302
    assert Refund.objects.count() == 3


def refund_at_stripe_unrecorded(row: Refund, **metadata: str) -> None:
    """Make a row's refund at Stripe, with its key, as if the answer were lost."""
    gateway.create_refund(
        account=row.payment.stripe_account_id,
        payment_intent=row.payment.payment_intent_id,
        amount=row.amount,
        reason=None,
        idempotency_key=row.stripe_idempotency_key,
        metadata={"tessera_refund": str(row.pk), **metadata},
    )


def test_an_interrupted_bulk_cancellation_resumes_without_refunding_twice(
    webinar, stripe_sandbox, acct
):
    registrants = paid_many(stripe_sandbox, webinar, acct, [5000, 5000, 5000, 5000])
    key = cancel_webinar(webinar=webinar)
    rows = list(Refund.objects.filter(idempotency_key__startswith=key).order_by("pk"))
    assert len(rows) == 4

    # The worker sends the first refund, then dies right after Stripe made the
    # second one (its answer never recorded).
    submit_refund(refund_id=rows[0].pk)
    second = rows[1]
    refund_at_stripe_unrecorded(second, tessera_payment=str(second.payment_id))
    # The rerun hits Stripe answering 500 (three attempts each) for a while.
    stripe_sandbox.inject_fault("500", count=6)
    remaining = send_cancellation_refunds(key=key)
    assert remaining == 2
    # And resumes once Stripe is back.
    assert send_cancellation_refunds(key=key) == 0
    assert send_cancellation_refunds(key=key) == 0
    for registrant in registrants:
        registrant.refresh_from_db()
        assert len(stripe_refunds(registrant.payment)) == 1
        assert refunded_in_stripe(registrant.payment) == 5000
        assert registrant.payment.amount_refunded == 5000
        assert registrant.status == Registrant.Status.REFUNDED
    assert Refund.objects.filter(status=Refund.Status.SUCCEEDED).count() == 4


def test_an_all_sessions_series_can_prorate_by_sessions_left(
    organizer, stripe_sandbox, acct
):
    webinar = factories.WebinarFactory(owner=organizer, sessions=4)
    registrant = pay_registrant(
        sandbox=stripe_sandbox, webinar=webinar, account=acct, amount=999
    )
    first = webinar.sessions.order_by("starts_at").first()
    with time_machine.travel(first.ends_at + timedelta(hours=1), tick=True):
        preview = preview_cancellation(webinar=webinar, mode="prorate")
        assert preview.mode_choice
        assert (preview.sessions_left, preview.sessions_total) == (3, 4)
        assert preview.rows[0].refund_amount == 749  # 999 * 3 // 4
        key = cancel_webinar(webinar=webinar, mode="prorate")
        send_cancellation_refunds(key=key)
    registrant.refresh_from_db()
    assert registrant.payment.amount_refunded == 749
    assert registrant.status == Registrant.Status.CANCELLED


def test_an_idempotency_clash_is_reconciled_not_failed(webinar, stripe_sandbox, acct):
    (registrant,) = paid_many(stripe_sandbox, webinar, acct, [5000])
    key = cancel_webinar(webinar=webinar)
    row = Refund.objects.get(idempotency_key__startswith=key)
    # Same key, other parameters: Stripe answers with an idempotency error.
    refund_at_stripe_unrecorded(row)
    row = submit_refund(refund_id=row.pk)
    assert row.status == Refund.Status.SUCCEEDED
    assert row.stripe_refund_id
    assert len(stripe_refunds(registrant.payment)) == 1


def test_cancelling_one_session_of_an_all_sessions_series_keeps_registrations(
    organizer, stripe_sandbox, acct
):
    webinar = factories.WebinarFactory(owner=organizer, sessions=4)
    registrant = pay_registrant(
        sandbox=stripe_sandbox, webinar=webinar, account=acct, amount=1000
    )
    session = webinar.sessions.order_by("starts_at")[1]
    key = cancel_webinar(webinar=webinar, session=session, mode="prorate")
    send_cancellation_refunds(key=key)
    registrant.refresh_from_db()
    session.refresh_from_db()
    assert session.cancelled_at is not None
    webinar.refresh_from_db()
    assert webinar.cancelled_at is None
    assert registrant.status == Registrant.Status.CONFIRMED
    assert registrant.payment.amount_refunded == 250
    assert EmailLog.objects.get(kind="cancelled").session == session


def test_no_refund_mode_cancels_and_tells_everyone_without_refunding(
    organizer, stripe_sandbox, acct
):
    webinar = factories.WebinarFactory(owner=organizer, sessions=2)
    registrant = pay_registrant(sandbox=stripe_sandbox, webinar=webinar, account=acct)
    cancel_webinar(webinar=webinar, mode="none")
    registrant.refresh_from_db()
    assert registrant.status == Registrant.Status.CANCELLED
    assert not Refund.objects.exists()
    assert EmailLog.objects.filter(kind="cancelled").count() == 1


def test_a_single_session_webinar_always_refunds_in_full(webinar, stripe_sandbox, acct):
    pay_registrant(sandbox=stripe_sandbox, webinar=webinar, account=acct)
    preview = preview_cancellation(webinar=webinar, mode="none")
    assert not preview.mode_choice
    assert preview.mode == "full"
    assert preview.totals == {"EUR": 5000}


def test_cancelling_a_session_of_an_individual_series_touches_only_its_registrants(
    login, organizer, stripe_sandbox, acct
):
    webinar = factories.WebinarFactory(
        owner=organizer,
        sessions=3,
        registration_type=Webinar.RegistrationType.INDIVIDUAL_SESSION,
    )
    first, second, _third = webinar.sessions.order_by("starts_at")
    on_first = pay_registrant(
        sandbox=stripe_sandbox, webinar=webinar, account=acct, session=first
    )
    on_second = pay_registrant(
        sandbox=stripe_sandbox, webinar=webinar, account=acct, session=second
    )
    client = login(organizer)
    url = reverse("registrations:cancel_session", args=[webinar.pk, first.pk])
    page = client.get(url).content.decode()
    assert on_first.email in page and on_second.email not in page
    client.post(url, {"mode": "full", "confirm": "yes"})
    send_cancellation_refunds(key=batch_key(webinar=webinar, session=first))
    on_first.refresh_from_db()
    on_second.refresh_from_db()
    assert on_first.status == Registrant.Status.REFUNDED
    assert on_second.status == Registrant.Status.CONFIRMED
    assert on_second.payment.amount_refunded == 0
    webinar.refresh_from_db()
    assert webinar.cancelled_at is None
    # A session of another webinar is a 404.
    other = factories.WebinarFactory(owner=organizer)
    bad = reverse("registrations:cancel_session", args=[other.pk, first.pk])
    assert client.get(bad).status_code == 404


def test_another_account_cannot_cancel_the_webinar(login, webinar):
    stranger = login(factories.OrganizerFactory(role="admin"))
    url = reverse("registrations:cancel_webinar", args=[webinar.pk])
    assert stranger.post(url, {"mode": "full", "confirm": "yes"}).status_code == 404
    webinar.refresh_from_db()
    assert webinar.cancelled_at is None


def test_cancelling_the_webinar_expires_open_checkouts_and_releases_holds(
    client, paid_webinar, stripe_sandbox, django_capture_on_commit_callbacks
):
    session_id = session_id_of(register(client, paid_webinar)["Location"])

    with django_capture_on_commit_callbacks(execute=True):
        cancel_webinar(webinar=paid_webinar)

    assert stripe_sandbox.object(session_id)["status"] == "expired"
    registrant = Registrant.objects.get()
    assert registrant.status != Registrant.Status.PENDING
    assert registrant.payment.status == Payment.Status.EXPIRED
    assert not SeatHold.objects.filter(
        released_at__isnull=True, consumed_at__isnull=True
    ).exists()


def test_cancelling_one_session_of_a_series_expires_only_its_checkouts(
    client, paid_series, stripe_sandbox, django_capture_on_commit_callbacks
):
    webinar = paid_series
    first, second = webinar.sessions.order_by("starts_at")
    kept = session_id_of(register(client, webinar, session=second.pk)["Location"])
    gone = session_id_of(
        register(client, webinar, session=first.pk, email="b@example.com")["Location"]
    )

    with django_capture_on_commit_callbacks(execute=True):
        cancel_webinar(webinar=webinar, session=first)

    assert stripe_sandbox.object(gone)["status"] == "expired"
    assert stripe_sandbox.object(kept)["status"] == "open"
    assert Registrant.objects.get(session=second).status == Registrant.Status.PENDING


def test_paying_a_checkout_completed_before_the_cancel_is_refunded(
    client, paid_webinar, stripe_sandbox, django_capture_on_commit_callbacks
):
    session_id = session_id_of(register(client, paid_webinar)["Location"])
    stripe_sandbox.pay(session_id)  # paid, but no webhook or return yet

    with django_capture_on_commit_callbacks(execute=True):
        cancel_webinar(webinar=paid_webinar)
    send_refunds(django_capture_on_commit_callbacks)

    payment = Payment.objects.get()
    assert refunded_in_stripe(payment) == 5000
    assert Registrant.objects.get().status != Registrant.Status.CONFIRMED
