"""A refund request waiting for the organizer is settled by any full refund."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from payments.models import Refund
from registrations.models import RefundRequest, Registrant
from registrations.refunds.cancellation import cancel_webinar
from registrations.refunds.ledger import RefundError, new_refund_token
from registrations.refunds.organizer_actions import perform_action
from registrations.refunds.self_service import answer_refund_request, request_refund
from tests import factories
from tests.registrations.checkout_support import (
    Webhooks,
    make_paid_webinar,
    register,
    send_refunds,
    session_id_of,
    success_path,
)
from tests.registrations.refund_support import pay_registrant, refund_part

pytestmark = pytest.mark.django_db
Outcome = RefundRequest.Outcome


@pytest.fixture(autouse=True)
def _pinned_clock():
    # The refund policy and the sessions are read against the clock.
    with time_machine.travel(datetime(2031, 5, 6, 10, 0, tzinfo=UTC)):
        yield


@pytest.fixture
def alice(stripe_sandbox, organizer, acct):
    webinar = factories.WebinarFactory(owner=organizer, account=organizer.account)
    registrant = pay_registrant(sandbox=stripe_sandbox, webinar=webinar, account=acct)
    request_refund(registrant=registrant, message="I cannot come after all.")
    return registrant


def the_request(registrant) -> RefundRequest:
    return RefundRequest.objects.get(registrant=registrant)


def console(webinar, suffix="registrants/") -> str:
    return f"/console/webinars/{webinar.pk}/{suffix}"


def test_cancelling_the_webinar_settles_the_request_on_every_page(
    alice, login, organizer, django_capture_on_commit_callbacks
):
    webinar = alice.webinar
    assert the_request(alice).outcome == Outcome.OPEN
    with django_capture_on_commit_callbacks(execute=True):
        cancel_webinar(webinar=webinar)
    # Not settled before Stripe refunded her.
    assert the_request(alice).outcome == Outcome.OPEN
    send_refunds(django_capture_on_commit_callbacks)

    alice.refresh_from_db()
    assert alice.status == Registrant.Status.REFUNDED
    request = the_request(alice)
    assert request.outcome == Outcome.SETTLED
    assert request.answered_at is not None
    assert request.refund == Refund.objects.get(payment=alice.payment)

    client = login(organizer)
    listed = client.get(console(webinar)).text
    assert alice.email in listed
    assert ">Refund requested<span" not in listed
    assert alice.email not in client.get(console(webinar) + "?refund=requested").text
    detail = client.get(console(webinar, f"registrants/{alice.pk}/")).text
    assert 'id="open-refund-request"' not in detail
    assert "Waiting for the organizer" not in detail
    assert 'id="settled-refund-request"' in detail
    assert "Settled by a refund" in detail
    french = client.get(
        console(webinar, f"registrants/{alice.pk}/"), HTTP_ACCEPT_LANGUAGE="fr"
    ).text
    assert "Réglée par un remboursement" in french

    # Nothing is left to answer: the organizer's late answer is refused.
    with pytest.raises(RefundError):
        answer_refund_request(
            refund_request=request,
            approve=False,
            amount=None,
            token=new_refund_token(),
            answered_by=None,
        )
    assert the_request(alice).outcome == Outcome.SETTLED


def test_the_organizers_full_refund_settles_the_request(
    alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        refund = perform_action(
            registrant=alice,
            action="cancel_full",
            amount=None,
            token=new_refund_token(),
            requested_by=None,
        )
    send_refunds(django_capture_on_commit_callbacks)
    request = the_request(alice)
    assert request.outcome == Outcome.SETTLED
    assert request.refund_id == refund.pk


def test_a_partial_refund_leaves_the_request_waiting_until_the_rest(
    alice, django_capture_on_commit_callbacks
):
    refund_part(alice, amount=2000, capture=django_capture_on_commit_callbacks)
    assert the_request(alice).outcome == Outcome.OPEN
    last = refund_part(alice, amount=3000, capture=django_capture_on_commit_callbacks)
    request = the_request(alice)
    assert request.outcome == Outcome.SETTLED
    assert request.refund_id == last.pk


def test_a_full_refund_in_the_stripe_dashboard_settles_the_request(
    alice,
    stripe_sandbox,
    webhook_receiver,
    client,
    django_capture_on_commit_callbacks,
):
    hooks = Webhooks(stripe_sandbox, webhook_receiver, client)
    hooks.skip()
    stripe_sandbox.dashboard_refund(payment_intent=alice.payment.payment_intent_id)
    with django_capture_on_commit_callbacks(execute=True):
        hooks.deliver_all()
    request = the_request(alice)
    assert request.outcome == Outcome.SETTLED
    assert request.refund.external


def test_a_cancelled_session_settles_only_the_request_of_its_share(
    client, organizer, stripe_sandbox, django_capture_on_commit_callbacks
):
    series = make_paid_webinar(
        owner=organizer,
        stripe_account=stripe_sandbox.demo_account,
        registration_type="individual_session",
        sessions=0,
    )
    start = timezone.now() + timedelta(days=7)
    for day in (0, 1):
        factories.SessionFactory(
            webinar=series,
            starts_at=start + timedelta(days=day),
            ends_at=start + timedelta(days=day, hours=1),
        )
    first, second = series.sessions.order_by("starts_at")
    # Both sessions in one payment; a refund request for each.
    checkout_url = register(client, series, session=[first.pk, second.pk])["Location"]
    session_id = session_id_of(checkout_url)
    stripe_sandbox.pay(session_id)
    client.get(success_path(series, session_id))
    early, late = Registrant.objects.order_by("session__starts_at")
    for registrant in (early, late):
        request_refund(registrant=registrant, message="")

    with django_capture_on_commit_callbacks(execute=True):
        cancel_webinar(webinar=series, session=first)
    send_refunds(django_capture_on_commit_callbacks)

    assert the_request(early).outcome == Outcome.SETTLED
    # The payment is refunded in part: the other session's share still waits.
    assert the_request(late).outcome == Outcome.OPEN
