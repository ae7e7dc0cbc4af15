"""Organizer actions on a registrant: cancel and/or refund, exactly once."""

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.urls import reverse

from payments.models import Payment, Refund
from payments.money import format_money
from registrations.emails.sending import send_due_emails
from registrations.models import EmailLog, RefundRequest, Registrant
from registrations.refunds.ledger import new_refund_token, refundable_amount
from registrations.refunds.stripe_sync import retry_requested_refunds
from tests import factories
from tests.registrations.checkout_support import send_refunds
from tests.registrations.refund_support import (
    refunded_in_stripe,
    stripe_refunds,
)

pytestmark = pytest.mark.django_db


def url(registrant):
    return reverse(
        "registrations:refund_registrant", args=[registrant.webinar_id, registrant.pk]
    )


def review(client, registrant, **data):
    return client.post(url(registrant), {"step": "review", **data})


def confirm(client, registrant, capture, *, token=None, **data):
    """Confirm an action, then do the worker's job: send its refund to Stripe.

    The organizer's answer never waits for Stripe: right after the POST, every
    refund is still requested and the page says it waits for Stripe.
    """
    token = token or new_refund_token()
    with capture(execute=True):
        response = client.post(
            url(registrant), {"step": "confirm", "token": token, **data}
        )
    statuses = set(Refund.objects.values_list("status", flat=True))
    if Refund.Status.REQUESTED in statuses:
        page = client.get(url(registrant)).content.decode()
        assert "Waiting for Stripe" in page
        send_refunds(capture)
    return response


@pytest.fixture
def act(login, organizer, django_capture_on_commit_callbacks):
    """Confirm an organizer action on a registrant (see confirm)."""
    client = login(organizer)

    def _act(registrant, *, token=None, **data):
        return confirm(
            client, registrant, django_capture_on_commit_callbacks, token=token, **data
        )

    return _act


def test_confirmation_shows_paid_refunded_this_refund_and_stripe_fee(
    login, organizer, paid
):
    client = login(organizer)
    response = review(client, paid, action="cancel_partial", amount="12.50")
    assert response.status_code == 200
    page = response.content.decode()
    assert "€50.00" in page  # paid
    assert "€0.00" in page  # already refunded
    assert "€12.50" in page  # this refund
    fee = format_money(paid.payment.stripe_fee, "EUR")
    assert paid.payment.stripe_fee > 0
    assert fee in page
    assert 'name="token"' in page
    assert not Refund.objects.exists()


def test_cancel_with_full_refund_refunds_everything_and_cancels(organizer, paid, act):
    response = act(paid, action="cancel_full")
    assert response.status_code == 302
    paid.refresh_from_db()
    payment = paid.payment
    assert payment.amount_refunded == 5000
    assert payment.status == Payment.Status.REFUNDED
    assert paid.status == Registrant.Status.REFUNDED
    assert paid.cancelled_at is not None
    refund = Refund.objects.get()
    assert refund.status == Refund.Status.SUCCEEDED
    assert refund.stripe_refund_id
    assert refund.requested_by == organizer.user
    assert refunded_in_stripe(payment) == 5000
    kinds = set(EmailLog.objects.filter(registrant=paid).values_list("kind", flat=True))
    assert {"cancelled", "refund"} <= kinds


def test_cancel_with_partial_refund_refunds_the_amount_and_cancels(paid, act):
    act(paid, action="cancel_partial", amount="20")
    paid.refresh_from_db()
    assert paid.status == Registrant.Status.CANCELLED
    assert paid.payment.amount_refunded == 2000
    assert paid.payment.status == Payment.Status.PAID
    assert refunded_in_stripe(paid.payment) == 2000


def test_cancel_without_refund_keeps_the_money(paid, act):
    act(paid, action="cancel_only")
    paid.refresh_from_db()
    assert paid.status == Registrant.Status.CANCELLED
    assert paid.payment.amount_refunded == 0
    assert not Refund.objects.exists()
    assert stripe_refunds(paid.payment) == []
    assert EmailLog.objects.filter(registrant=paid, kind="cancelled").exists()


def test_refund_part_without_cancelling_keeps_the_registration(paid, act):
    act(
        paid,
        action="refund_partial",
        amount="10,00",
    )
    paid.refresh_from_db()
    assert paid.status == Registrant.Status.CONFIRMED
    assert paid.payment.amount_refunded == 1000
    assert not EmailLog.objects.filter(registrant=paid, kind="cancelled").exists()
    assert EmailLog.objects.filter(registrant=paid, kind="refund").exists()


def test_free_registrant_can_be_cancelled(webinar, act):
    registrant = factories.RegistrantFactory(webinar=webinar)
    act(registrant, action="cancel_only")
    registrant.refresh_from_db()
    assert registrant.status == Registrant.Status.CANCELLED


def test_submitting_the_same_confirmation_twice_refunds_once(paid, act):
    token = new_refund_token()
    for _ in range(2):
        response = act(paid, token=token, action="refund_partial", amount="15")
        assert response.status_code == 302
    assert Refund.objects.count() == 1
    assert len(stripe_refunds(paid.payment)) == 1
    paid.payment.refresh_from_db()
    assert paid.payment.amount_refunded == 1500


def test_stripe_down_leaves_the_refund_requested_and_a_retry_sends_it_once(
    paid, stripe_sandbox, django_capture_on_commit_callbacks, act
):
    # The SDK makes three attempts (two retries): all answer 500.
    stripe_sandbox.inject_fault("500", count=3)
    response = act(paid, action="cancel_full")
    assert response.status_code == 302
    refund = Refund.objects.get()
    assert refund.status == Refund.Status.REQUESTED
    paid.refresh_from_db()
    assert paid.status == Registrant.Status.CANCELLED
    # Nothing more fits while the refund is in flight.
    assert refundable_amount(paid.payment) == 0

    with django_capture_on_commit_callbacks(execute=True):
        assert retry_requested_refunds(older_than=timedelta(0)) == 0
        assert retry_requested_refunds(older_than=timedelta(0)) == 0
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    assert len(stripe_refunds(paid.payment)) == 1
    paid.refresh_from_db()
    assert paid.status == Registrant.Status.REFUNDED


def test_a_lost_answer_is_replayed_by_the_idempotency_key(
    paid, stripe_sandbox, settings, act
):
    settings.STRIPE_TIMEOUT = (3.0, 0.5)
    stripe_sandbox.inject_fault("timeout", count=1, delay=1.5)
    act(paid, action="refund_partial", amount="5")
    refund = Refund.objects.get()
    assert refund.status == Refund.Status.SUCCEEDED
    assert len(stripe_refunds(paid.payment)) == 1
    assert refunded_in_stripe(paid.payment) == 500


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("50.01", "At most €50.00 can be refunded."),
        ("0", "The amount must be more than zero."),
        ("-5", "The amount cannot be negative."),
        ("abc", "Enter an amount such as 49.00."),
        ("1.005", "Use at most 2 decimals for EUR."),
        ("", "Enter the amount to refund."),
    ],
)
def test_bad_amounts_are_refused_with_a_message(
    login, organizer, paid, amount, message
):
    client = login(organizer)
    response = review(client, paid, action="cancel_partial", amount=amount)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Refund.objects.exists()


def test_a_forged_amount_at_confirmation_is_checked_again(paid, act):
    response = act(paid, action="refund_partial", amount="999")
    assert response.status_code == 302
    assert not Refund.objects.exists()


def test_unpaid_registrant_cannot_be_refunded(login, organizer, webinar, acct):
    payment = Payment.objects.create(
        account=webinar.account,
        webinar=webinar,
        stripe_account_id=acct,
        amount=5000,
        currency="EUR",
        status=Payment.Status.OPEN,
    )
    registrant = factories.RegistrantFactory(
        webinar=webinar,
        status=Registrant.Status.PENDING,
        source=Registrant.Source.PAID,
        payment=payment,
    )
    client = login(organizer)
    response = review(client, registrant, action="refund_partial", amount="10")
    assert response.status_code == 400
    assert "has not paid" in response.content.decode()


def test_fully_refunded_payment_cannot_be_refunded_again(login, organizer, paid, act):
    client = login(organizer)
    act(paid, action="refund_partial", amount="50")
    response = review(client, paid, action="refund_partial", amount="1")
    assert response.status_code == 400
    assert "already fully refunded" in response.content.decode()
    response = review(client, paid, action="cancel_full")
    assert response.status_code == 400
    assert Refund.objects.count() == 1


def test_cancelled_registrant_cannot_be_cancelled_again(login, organizer, paid, act):
    client = login(organizer)
    act(paid, action="cancel_only")
    response = review(client, paid, action="cancel_full")
    assert response.status_code == 400
    assert "already cancelled" in response.content.decode()


def test_registrant_of_another_webinar_is_a_404(login, organizer, paid):
    other = factories.WebinarFactory(owner=organizer)
    client = login(organizer)
    response = client.get(
        reverse("registrations:refund_registrant", args=[other.pk, paid.pk])
    )
    assert response.status_code == 404


def test_organizer_of_another_account_gets_a_404(login, paid):
    stranger = factories.OrganizerFactory(role="admin")
    client = login(stranger)
    assert client.get(url(paid)).status_code == 404
    response = client.post(
        url(paid),
        {"step": "confirm", "action": "cancel_full", "token": "x" * 32},
    )
    assert response.status_code == 404
    assert not Refund.objects.exists()


def test_a_malformed_token_is_refused(login, organizer, paid):
    client = login(organizer)
    response = client.post(
        url(paid), {"step": "confirm", "action": "cancel_full", "token": "short"}
    )
    assert response.status_code == 302
    assert not Refund.objects.exists()
    paid.refresh_from_db()
    assert paid.status == Registrant.Status.CONFIRMED


def test_failed_refund_mail_and_refund_page(
    login, organizer, paid, stripe_sandbox, act
):
    stripe_sandbox.dispute(paid.payment.charge_id)
    client = login(organizer)
    act(paid, action="refund_partial", amount="5")
    refund = Refund.objects.get()
    assert refund.status == Refund.Status.FAILED
    assert "disputed" in refund.failure_reason
    assert refundable_amount(paid.payment) == 5000
    send_due_emails()
    assert any("A refund failed" in m.subject for m in mail.outbox)
    page = client.get(url(paid)).content.decode()
    assert "charge_disputed" in page


def status_url(registrant):
    return reverse(
        "registrations:refund_status", args=[registrant.webinar_id, registrant.pk]
    )


def test_refund_status_says_waiting_until_stripe_answers(
    login, organizer, paid, django_capture_on_commit_callbacks
):
    client = login(organizer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            url(paid),
            {"step": "confirm", "token": new_refund_token(), "action": "cancel_full"},
        )
    waiting = client.get(status_url(paid)).json()
    assert waiting["waiting"] is True
    assert "Waiting for Stripe" in waiting["html"]

    send_refunds(django_capture_on_commit_callbacks)

    answered = client.get(status_url(paid)).json()
    assert answered["waiting"] is False
    assert "Waiting for Stripe" not in answered["html"]
    assert "Succeeded" in answered["html"]


class LiveRegions(HTMLParser):
    """Collect the live regions of a page: (id, tag) of each."""

    ROLES = {"status", "alert", "log", "marquee", "timer"}

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        live = attrs.get("aria-live") not in (None, "off")
        if live or attrs.get("role") in self.ROLES:
            self.found.append((attrs.get("id", ""), tag))


def test_only_the_banner_announces_a_refund_update(
    login, organizer, paid, django_capture_on_commit_callbacks
):
    client = login(organizer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url(paid),
            {"step": "confirm", "token": new_refund_token(), "action": "cancel_full"},
        )
    waiting_page = client.get(response.url).text
    assert "waiting for Stripe" in waiting_page
    # The script replaces the banner, the summary and the rows: one live region.
    assert LiveRegions(waiting_page).found == [("refund-banner", "div")]
    assert 'id="refund-status" data-url' in waiting_page

    send_refunds(django_capture_on_commit_callbacks)
    answer = client.get(response.url.replace(url(paid), status_url(paid))).json()
    assert answer["banner"].strip().startswith("<ul")
    assert "Refunded" in answer["banner"]
    for part in ("html", "state", "banner"):
        assert LiveRegions(answer[part]).found == [], part


def test_refund_status_of_another_account_is_a_404(login, paid):
    stranger = factories.OrganizerFactory(role="admin")
    assert login(stranger).get(status_url(paid)).status_code == 404


def confirm_partial(client, paid, action: str, on_commit):
    """Confirm a partial refund of 12.50 (`action`), its on-commit work run."""
    with on_commit(execute=True):
        return client.post(
            url(paid),
            {
                "step": "confirm",
                "token": new_refund_token(),
                "action": action,
                "amount": "12.50",
            },
        )


def test_page_after_a_refund_says_what_its_rows_say(
    login, organizer, paid, django_capture_on_commit_callbacks
):
    """Stripe answers before the page is read: nothing on it still waits."""
    client = login(organizer)
    response = confirm_partial(
        client, paid, "cancel_partial", django_capture_on_commit_callbacks
    )
    refund = Refund.objects.get()
    assert response["Location"] == f"{url(paid)}?refund={refund.pk}"
    send_refunds(django_capture_on_commit_callbacks)

    page = client.get(response["Location"]).content.decode()
    assert "Refunded €12.50." in page
    assert "Succeeded" in page
    assert "waiting for Stripe" not in page.lower()
    assert "Refunds in progress" not in page
    assert '<th scope="row">Already refunded</th><td>€12.50</td>' in page
    assert '<th scope="row">Still refundable</th><td>€37.50</td>' in page


def test_refund_status_moves_banner_summary_and_rows_together(
    login, organizer, paid, django_capture_on_commit_callbacks
):
    client = login(organizer)
    response = confirm_partial(
        client, paid, "refund_partial", django_capture_on_commit_callbacks
    )
    refund = Refund.objects.get()
    page = client.get(response["Location"]).content.decode()
    polled = f"{status_url(paid)}?refund={refund.pk}"
    assert f'data-url="{polled}"' in page

    waiting = client.get(polled).json()
    assert "Refund of €12.50 requested: waiting" in waiting["banner"]
    assert "Refunds in progress" in waiting["state"]
    assert "Requested" in waiting["html"]

    send_refunds(django_capture_on_commit_callbacks)

    answered = client.get(polled).json()
    assert answered["waiting"] is False
    assert "Refunded €12.50." in answered["banner"]
    assert "waiting" not in answered["banner"].lower()
    assert "Refunds in progress" not in answered["state"]
    assert "<td>€12.50</td>" in answered["state"]  # already refunded
    assert "Succeeded" in answered["html"]
    # Without ?refund= the status says nothing of a refund it was not sent with.
    assert client.get(status_url(paid)).json()["banner"].strip() == ""
    # A refund id that is no number says nothing either, and is no error.
    for odd in ("²", "٣", "-1", "1e3", "9" * 30):
        banner = client.get(f"{status_url(paid)}?refund={odd}").json()["banner"]
        assert banner.strip() == ""
        assert client.get(f"{url(paid)}?refund={odd}").status_code == 200


def test_answered_request_page_says_where_its_refund_stands(
    login, organizer, paid, django_capture_on_commit_callbacks
):
    asked = RefundRequest.objects.create(registrant=paid, message="Ill")
    client = login(organizer)
    answer = reverse(
        "registrations:answer_refund_request", args=[paid.webinar_id, asked.pk]
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            answer, {"decision": "approve_full", "token": new_refund_token()}
        )
    refund = Refund.objects.get()
    overview = reverse("registrations:refunds_overview", args=[paid.webinar_id])
    assert response["Location"] == f"{overview}?refund={refund.pk}"
    send_refunds(django_capture_on_commit_callbacks)

    page = client.get(response["Location"]).content.decode()
    assert "Refunded €50.00." in page
    assert "waiting for Stripe" not in page.lower()
    # A refund of another webinar is not shown.
    other = factories.WebinarFactory(owner=organizer)
    elsewhere = reverse("registrations:refunds_overview", args=[other.pk])
    assert "Refunded €50.00." not in client.get(f"{elsewhere}?refund={refund.pk}").text


def test_refund_pages_show_the_webinar_tabs_and_lead_back_to_registrants(
    login, organizer, webinar
):
    registrant = factories.RegistrantFactory(webinar=webinar)
    client = login(organizer)
    registrants = reverse("registrations:registrants", args=[webinar.pk])
    pricing = reverse("payments:pricing", args=[webinar.pk])

    for page in (
        client.get(url(registrant)).text,
        review(client, registrant, action="cancel_only").text,
    ):
        assert 'aria-label="Webinar sections"' in page
        assert f'<a href="{registrants}" aria-current="page">' in page
        assert f'› <a href="{registrants}">Registrants</a> ›' in page

    overview = client.get(reverse("registrations:refunds_overview", args=[webinar.pk]))
    assert 'aria-label="Webinar sections"' in overview.text
    assert f'<a href="{pricing}" aria-current="page">' in overview.text


def test_a_cancelled_registration_is_offered_only_a_refund(login, organizer, paid, act):
    act(paid, action="cancel_partial", amount="5")
    client = login(organizer)

    page = client.get(url(paid)).content.decode()
    refused = review(client, paid, action="cancel_full")

    assert 'value="refund_partial"' in page
    assert 'value="cancel_full"' not in page
    assert 'value="cancel_partial"' not in page
    assert 'value="cancel_only"' not in page
    assert "already cancelled" in refused.content.decode()
    assert paid.payment.refunds.count() == 1
