"""Refund policy per webinar and self-cancellation through the cancel link."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.template.loader import render_to_string
from django.urls import reverse

from payments.models import Refund
from registrations.models import EmailLog, RefundRequest, Registrant
from registrations.refunds.ledger import new_refund_token
from registrations.refunds.self_service import (
    policy_text,
    quote_self_cancel,
    refund_deadline,
    request_refund,
    save_policy,
)
from tests import factories
from tests.registrations.checkout_support import send_refunds
from tests.registrations.refund_support import pay_registrant, stripe_refunds
from webinars.models import Webinar

pytestmark = pytest.mark.django_db

FULL = Webinar.RefundPolicy.FULL_UNTIL
PERCENT = Webinar.RefundPolicy.PERCENT_UNTIL


def set_policy(webinar, policy=FULL, hours=24, percent=100):
    return save_policy(
        webinar=webinar, policy=policy, hours_before=hours, percent=percent
    )


def cancel_confirmed(client, registrant):
    """Both steps of the cancel page: ask, then confirm the amount shown."""
    first = client.post(cancel_url(registrant), {"action": "cancel"})
    assert first.status_code == 200
    registrant.refresh_from_db()
    assert registrant.status not in ("cancelled", "refunded")
    amount = re.search(r'name="refund" value="(\d+)"', first.text).group(1)
    return client.post(
        cancel_url(registrant), {"action": "cancel", "confirm": "on", "refund": amount}
    )


@pytest.fixture
def paid(stripe_sandbox, webinar, acct):
    set_policy(webinar)
    return pay_registrant(sandbox=stripe_sandbox, webinar=webinar, account=acct)


def cancel_url(registrant):
    return reverse("registrations:self_cancel", args=[registrant.cancel_token])


def test_policy_text_says_each_policy(webinar):
    assert policy_text(webinar) == "No refund on cancellation."
    set_policy(webinar, FULL, hours=48)
    assert policy_text(webinar) == (
        "Full refund if you cancel up to 48 hours before the session."
    )
    set_policy(webinar, PERCENT, hours=24, percent=50)
    assert policy_text(webinar) == (
        "50% refunded if you cancel up to 24 hours before the session."
    )
    html = render_to_string("registrations/refunds/_policy.html", {"webinar": webinar})
    assert "50% refunded" in html


@pytest.mark.parametrize(
    ("offset", "within", "amount"),
    [
        (timedelta(hours=-1), True, 5000),
        (timedelta(0), True, 5000),
        (timedelta(seconds=1), False, 0),
        (timedelta(hours=23), False, 0),
    ],
)
def test_full_refund_window_ends_exactly_n_hours_before(paid, offset, within, amount):
    deadline = paid.webinar.sessions.get().starts_at - timedelta(hours=24)
    with time_machine.travel(deadline + offset, tick=False):
        quote = quote_self_cancel(registrant=paid)
    assert quote.deadline == deadline
    assert quote.within_policy is within
    assert quote.refund_amount == amount
    assert quote.can_cancel


def test_percent_policy_refunds_a_floored_share(stripe_sandbox, webinar, acct):
    set_policy(webinar, PERCENT, hours=2, percent=33)
    registrant = pay_registrant(
        sandbox=stripe_sandbox, webinar=webinar, account=acct, amount=999
    )
    quote = quote_self_cancel(registrant=registrant)
    assert quote.refund_amount == 329  # 999 * 33 / 100 = 329.67


def test_no_policy_never_refunds_automatically(stripe_sandbox, webinar, acct):
    registrant = pay_registrant(sandbox=stripe_sandbox, webinar=webinar, account=acct)
    quote = quote_self_cancel(registrant=registrant)
    assert quote.can_cancel and not quote.within_policy
    assert quote.refund_amount == 0


def test_a_series_registrant_counts_from_their_own_session(
    stripe_sandbox, organizer, acct
):
    webinar = factories.WebinarFactory(
        owner=organizer,
        sessions=3,
        registration_type=Webinar.RegistrationType.INDIVIDUAL_SESSION,
    )
    set_policy(webinar, FULL, hours=24)
    last = webinar.sessions.order_by("starts_at").last()
    registrant = pay_registrant(
        sandbox=stripe_sandbox, webinar=webinar, account=acct, session=last
    )
    assert refund_deadline(registrant) == last.starts_at - timedelta(hours=24)


def test_self_cancel_within_the_policy_refunds_automatically(
    client, paid, django_capture_on_commit_callbacks
):
    page = client.get(cancel_url(paid)).content.decode()
    assert "Full refund if you cancel up to 24 hours" in page
    assert "Cancel and get €50.00 back" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = cancel_confirmed(client, paid)
    send_refunds(django_capture_on_commit_callbacks)
    assert response.status_code == 302
    paid.refresh_from_db()
    assert paid.status == Registrant.Status.REFUNDED
    refund = Refund.objects.get()
    assert refund.status == Refund.Status.SUCCEEDED and refund.amount == 5000
    assert len(stripe_refunds(paid.payment)) == 1
    assert EmailLog.objects.filter(registrant=paid, kind="cancelled").exists()
    assert EmailLog.objects.filter(registrant=paid, kind="refund").exists()


def test_cancel_link_used_twice_shows_a_clear_page_and_refunds_once(
    client, paid, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        cancel_confirmed(client, paid)
        again = client.post(cancel_url(paid), {"action": "cancel"})
    send_refunds(django_capture_on_commit_callbacks)
    assert again.status_code == 400
    assert "already cancelled" in again.content.decode()
    page = client.get(cancel_url(paid))
    assert page.status_code == 200
    assert "Your registration is cancelled." in page.content.decode()
    assert Refund.objects.count() == 1
    assert len(stripe_refunds(paid.payment)) == 1


def test_self_cancel_outside_the_policy_cancels_without_refund(
    client, paid, django_capture_on_commit_callbacks
):
    late = paid.webinar.sessions.get().starts_at - timedelta(hours=2)
    with time_machine.travel(late, tick=True):
        page = client.get(cancel_url(paid)).content.decode()
        assert "Cancel without a refund" in page
        with django_capture_on_commit_callbacks(execute=True):
            cancel_confirmed(client, paid)
    paid.refresh_from_db()
    assert paid.status == Registrant.Status.CANCELLED
    assert not Refund.objects.exists()


def test_refund_request_outside_the_policy_is_answered_in_the_console(
    client, paid, organizer, login, django_capture_on_commit_callbacks
):
    set_policy(paid.webinar, Webinar.RefundPolicy.NONE)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            cancel_url(paid), {"action": "request", "message": "I am ill."}
        )
    assert response.status_code == 302
    request = RefundRequest.objects.get()
    assert request.message == "I am ill."
    paid.refresh_from_db()
    assert paid.status == Registrant.Status.CONFIRMED
    assert (
        "Your refund request was sent" in client.get(cancel_url(paid)).content.decode()
    )
    # Asking twice keeps one open request.
    client.post(cancel_url(paid), {"action": "request", "message": "again"})
    assert RefundRequest.objects.count() == 1

    console = login(organizer)
    answer = reverse(
        "registrations:answer_refund_request", args=[paid.webinar_id, request.pk]
    )
    form = console.get(answer)
    assert "I am ill." in form.content.decode()
    token = form.context["form"].initial["token"]
    bad = console.post(answer, {"decision": "approve_partial", "token": token})
    assert bad.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = console.post(
            answer, {"decision": "approve_partial", "amount": "30", "token": token}
        )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.outcome == RefundRequest.Outcome.APPROVED
    assert request.refund.amount == 3000
    # Stripe is asked in the background, after the organizer's answer.
    assert request.refund.status == Refund.Status.REQUESTED
    send_refunds(django_capture_on_commit_callbacks)
    request.refund.refresh_from_db()
    assert request.refund.status == Refund.Status.SUCCEEDED
    paid.refresh_from_db()
    assert paid.status == Registrant.Status.CANCELLED


def test_a_declined_request_keeps_the_registration(
    client, paid, organizer, login, django_capture_on_commit_callbacks
):
    set_policy(paid.webinar, Webinar.RefundPolicy.NONE)
    request_refund(registrant=paid, message="")
    request = RefundRequest.objects.get()
    console = login(organizer)
    answer = reverse(
        "registrations:answer_refund_request", args=[paid.webinar_id, request.pk]
    )
    console.post(answer, {"decision": "decline", "token": new_refund_token()})
    request.refresh_from_db()
    assert request.outcome == RefundRequest.Outcome.DECLINED
    paid.refresh_from_db()
    assert paid.status == Registrant.Status.CONFIRMED
    assert not Refund.objects.exists()
    # Another organizer's account cannot see it.
    stranger = login(factories.OrganizerFactory(role="admin"))
    assert stranger.get(answer).status_code == 404


def test_cancel_link_after_the_session_shows_a_clear_page(client, paid):
    session = paid.webinar.sessions.get()
    with time_machine.travel(session.ends_at + timedelta(minutes=1), tick=True):
        page = client.get(cancel_url(paid))
        assert page.status_code == 200
        assert "already taken place" in page.content.decode()
        response = client.post(cancel_url(paid), {"action": "cancel"})
        assert response.status_code == 400
        assert "already taken place" in response.content.decode()
    paid.refresh_from_db()
    assert paid.status == Registrant.Status.CONFIRMED


def test_unknown_cancel_token_is_a_404(client):
    assert client.get("/cancel/not-a-real-token/").status_code == 404
    assert (
        client.post("/cancel/not-a-real-token/", {"action": "cancel"}).status_code
        == 404
    )


def test_bad_self_cancel_action_is_refused(client, paid):
    response = client.post(cancel_url(paid), {"action": "explode"})
    assert response.status_code == 400
    paid.refresh_from_db()
    assert paid.status == Registrant.Status.CONFIRMED


def test_refund_policy_is_edited_in_the_console(login, organizer, webinar):
    client = login(organizer)
    url = reverse("registrations:refund_policy", args=[webinar.pk])
    assert client.get(url).status_code == 200
    bad = client.post(
        url,
        {"refund_policy": PERCENT, "refund_hours_before": 12, "refund_percent": 0},
    )
    assert bad.status_code == 400
    response = client.post(
        url,
        {"refund_policy": PERCENT, "refund_hours_before": 12, "refund_percent": 80},
    )
    assert response.status_code == 302
    webinar.refresh_from_db()
    assert (webinar.refund_policy, webinar.refund_hours_before) == (PERCENT, 12)
    assert webinar.refund_percent == 80
    detail = client.get(webinar.get_absolute_url()).content.decode()
    assert "80% refunded if you cancel up to 12 hours" in detail
    stranger = login(factories.OrganizerFactory(role="admin"))
    assert stranger.get(url).status_code == 404


def test_seed_demo_gives_the_demo_webinar_its_policy_idempotently():
    call_command("seed_demo")
    call_command("seed_demo")
    webinar = Webinar.objects.get(title="Project management for beginners")
    assert webinar.refund_policy == FULL
    assert webinar.refund_hours_before == 24


def test_one_tap_does_not_cancel_the_confirmation_shows_session_and_refund(
    client, paid
):
    page = client.get(cancel_url(paid)).text
    assert "<h2>When</h2>" in page and "(Europe/Paris, UTC+0" in page

    first = client.post(cancel_url(paid), {"action": "cancel"})

    paid.refresh_from_db()
    assert paid.status == Registrant.Status.CONFIRMED
    assert not Refund.objects.exists()
    assert "Cancel your registration?" in first.text
    assert "You get €50.00 back" in first.text
    assert "(Europe/Paris, UTC+0" in first.text
    assert "Yes, cancel my registration" in first.text
    assert 'href="?kept=1"' in first.text


def test_keep_my_registration_changes_nothing_and_says_so(client, paid):
    client.post(cancel_url(paid), {"action": "cancel"})

    page = client.get(cancel_url(paid) + "?kept=1").text

    assert "Your registration is kept. Nothing has changed." in page
    paid.refresh_from_db()
    assert paid.status == Registrant.Status.CONFIRMED


def test_a_confirmation_for_another_amount_asks_again(
    client, paid, django_capture_on_commit_callbacks
):
    # Confirmed seeing €50.00 back; the deadline has passed since.
    late = paid.webinar.sessions.get().starts_at - timedelta(hours=2)
    with time_machine.travel(late, tick=True):
        response = client.post(
            cancel_url(paid), {"action": "cancel", "confirm": "on", "refund": "5000"}
        )
    assert response.status_code == 400
    assert "The refund has changed since" in response.text
    assert "You get no refund" in response.text
    paid.refresh_from_db()
    assert paid.status == Registrant.Status.CONFIRMED


def test_a_long_refund_request_is_refused_beside_it_and_kept(client, paid):
    set_policy(paid.webinar, Webinar.RefundPolicy.NONE)
    message = "Please. " * 250 + "ill"  # 2,003 characters

    response = client.post(cancel_url(paid), {"action": "request", "message": message})

    assert response.status_code == 400
    page = response.content.decode()
    assert (
        '<ul class="errorlist" id="id_message_error"><li>Ensure this value has at'
        " most 2000 characters (it has 2003).</li></ul>" in page
    )
    assert 'aria-describedby="id_message_error"' in page
    assert f">\n{message}</textarea>" in page
    assert "maxlength" not in page
    assert "Choose what to do." not in page
    assert not RefundRequest.objects.exists()
