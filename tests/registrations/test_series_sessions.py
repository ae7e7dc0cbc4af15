"""Individual-session series: several sessions in one registration and checkout."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from payments.models import Payment, Refund
from registrations.capacity import seats_taken
from registrations.emails.context import describe_session
from registrations.emails.outbox import queue_email
from registrations.emails.sending import send_due_emails
from registrations.models import EmailLog, RefundShare, Registrant, SeatHold
from registrations.refunds.ledger import (
    RefundError,
    new_refund_token,
    share_summary,
)
from registrations.refunds.organizer_actions import Action, perform_action, plan_action
from registrations.refunds.self_service import self_cancel
from registrations.registration import WebinarFull
from registrations.series import start_series_registration
from tests import factories
from tests.registrations.checkout_support import (
    cancel_path,
    form_data,
    make_paid_webinar,
    register,
    send_refunds,
    session_id_of,
    success_path,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def series(organizer, stripe_sandbox):
    """An individual-session series of two sessions at 50.00 EUR each."""
    webinar = make_paid_webinar(
        owner=organizer,
        stripe_account=stripe_sandbox.demo_account,
        registration_type="individual_session",
        sessions=0,
    )
    start = timezone.now() + timedelta(days=7)
    for day in (0, 1):
        factories.SessionFactory(
            webinar=webinar,
            starts_at=start + timedelta(days=day),
            ends_at=start + timedelta(days=day, hours=1),
        )
    return webinar


def _sessions(webinar):
    return list(webinar.sessions.order_by("starts_at"))


def _buy_both(client, webinar, stripe_sandbox):
    """Register for both sessions, pay, land on the success page."""
    first, second = _sessions(webinar)
    checkout_url = register(client, webinar, session=[first.pk, second.pk])["Location"]
    session_id = session_id_of(checkout_url)
    stripe_sandbox.pay(session_id)
    return client.get(success_path(webinar, session_id))


def test_two_sessions_are_held_in_one_checkout_with_one_line_per_session(
    client, series, stripe_sandbox
):
    first, second = _sessions(series)

    response = register(client, series, session=[first.pk, second.pk])

    assert response.status_code == 303
    registrants = list(Registrant.objects.order_by("session__starts_at"))
    assert [r.session_id for r in registrants] == [first.pk, second.pk]
    assert {r.status for r in registrants} == {Registrant.Status.PENDING}
    assert [r.amount for r in registrants] == [5000, 5000]
    payment = Payment.objects.get()
    assert payment.amount == 10000
    assert {r.payment_id for r in registrants} == {payment.pk}
    assert SeatHold.objects.filter(session=first).count() == 1
    assert SeatHold.objects.filter(session=second).count() == 1
    checkout = stripe_sandbox.object(payment.checkout_session_id)
    assert checkout["amount_total"] == 10000
    assert seats_taken(webinar=series, session=first) == 1
    assert seats_taken(webinar=series, session=second) == 1


def test_paying_confirms_every_session_and_the_page_lists_them(
    client, series, stripe_sandbox
):
    series.refund_policy = "full_until"
    series.save()
    response = _buy_both(client, series, stripe_sandbox)

    assert response.status_code == 200
    registrants = list(Registrant.objects.order_by("session__starts_at"))
    assert {r.status for r in registrants} == {Registrant.Status.CONFIRMED}
    assert Payment.objects.get().status == Payment.Status.PAID
    assert SeatHold.objects.filter(consumed_at__isnull=False).count() == 2
    # One confirmation per session, each with that session's own links.
    for registrant in registrants:
        assert list(registrant.emails.values_list("kind", "session_key")) == [
            ("confirmation", 0)
        ]
    bought = response.text.split('id="bought-sessions"')[1].split("</ul>")[0]
    assert bought.count("<li>") == 2
    assert 'id="several-sessions"' in response.text
    # One link would cancel one session only: each email carries its own.
    assert 'id="cancel-link"' not in response.text


def test_each_confirmation_names_the_other_sessions_of_the_order(
    client, series, stripe_sandbox
):
    _buy_both(client, series, stripe_sandbox)
    mail.outbox.clear()
    send_due_emails()

    first, second = Registrant.objects.order_by("session__starts_at")
    assert len(mail.outbox) == 2
    for registrant, other in ((first, second), (second, first)):
        message = next(m for m in mail.outbox if registrant.join_token in m.body)
        listed = message.body.split("Also in this order")[1].split("\n\n")[0]
        # The other session only: its own is above, with its links.
        assert describe_session(other.session, series, "en", None) in listed
        assert describe_session(registrant.session, series, "en", None) not in listed
        assert listed.count("\n- ") == 1
        html = message.alternatives[0][0]
        assert "Also in this order" in html


def test_the_organizer_hears_of_a_checkout_of_two_sessions_once(
    client, series, stripe_sandbox
):
    series.notify_paid_registrations = True
    series.save()
    _buy_both(client, series, stripe_sandbox)
    mail.outbox.clear()
    send_due_emails()

    owner = series.owner.email
    notices = [m for m in mail.outbox if owner in m.to]
    assert len(notices) == 1, [m.subject for m in notices]
    body = notices[0].body
    assert "Amount paid: €100.00" in body
    for session in _sessions(series):
        assert describe_session(session, series, "en", None) in body
    assert (
        EmailLog.objects.filter(kind=EmailLog.Kind.NEW_PAID_REGISTRATION).count() == 1
    )


def test_a_single_session_confirmation_lists_no_order(series):
    first, _ = _sessions(series)
    registrant = factories.RegistrantFactory(webinar=series, session=first)
    queue_email(registrant=registrant, kind="confirmation")
    mail.outbox.clear()
    send_due_emails()

    assert len(mail.outbox) == 1
    assert "Also in this order" not in mail.outbox[0].body


def test_one_full_session_refuses_the_whole_registration(series):
    first, second = _sessions(series)
    series.registration_limit = 1
    series.save()
    factories.RegistrantFactory(webinar=series, session=second, source="paid")

    with pytest.raises(WebinarFull) as refused:
        start_series_registration(
            webinar=series,
            first_name="Ada",
            last_name="Lovelace",
            email="ada@example.com",
            answers={},
            base_url="http://testserver/",
            sessions=[first, second],
        )

    assert "is full" in refused.value.message
    assert not Registrant.objects.filter(email="ada@example.com").exists()
    assert not Payment.objects.exists()
    assert not SeatHold.objects.exists()
    assert seats_taken(webinar=series, session=first) == 0


def test_the_page_names_the_full_session_when_it_fills_before_the_post(client, series):
    first, second = _sessions(series)
    series.registration_limit = 1
    series.save()
    factories.RegistrantFactory(webinar=series, session=second, source="paid")

    response = register(client, series, session=[first.pk, second.pk])

    assert response.status_code == 200
    assert "is full" in response.text
    assert not Registrant.objects.filter(email="ada@example.com").exists()


def test_no_session_ticked_is_a_form_error(client, series):
    response = register(client, series)

    assert response.status_code == 200
    assert "Choose at least one session." in response.text
    assert not Registrant.objects.exists()


def test_one_session_still_registers_as_before(client, series, stripe_sandbox):
    first, _second = _sessions(series)

    register(client, series, session=first.pk)

    registrant = Registrant.objects.get()
    assert registrant.session == first
    assert registrant.payment.amount == 5000


def test_a_free_series_confirms_every_session_chosen(client, organizer):
    webinar = factories.WebinarFactory(
        owner=organizer,
        account=organizer.account,
        registration_type="individual_session",
        sessions=2,
    )
    ids = list(webinar.sessions.values_list("pk", flat=True))

    response = register(client, webinar, session=ids)

    assert response.status_code == 303
    registrants = Registrant.objects.all()
    assert registrants.count() == 2
    assert {r.status for r in registrants} == {Registrant.Status.CONFIRMED}
    assert {r.payment_id for r in registrants} == {None}
    assert EmailLog.objects.filter(kind="confirmation").count() == 2


def test_abandoning_the_checkout_releases_every_session(client, series, stripe_sandbox):
    first, second = _sessions(series)
    checkout_url = register(client, series, session=[first.pk, second.pk])["Location"]

    client.get(cancel_path(checkout_url, stripe_sandbox))

    assert {r.status for r in Registrant.objects.all()} == {Registrant.Status.EXPIRED}
    assert not SeatHold.objects.filter(released_at__isnull=True).exists()
    assert seats_taken(webinar=series, session=first) == 0
    assert seats_taken(webinar=series, session=second) == 0


def test_cancelling_one_session_refunds_only_its_share(
    client, series, stripe_sandbox, django_capture_on_commit_callbacks
):
    _buy_both(client, series, stripe_sandbox)
    first, second = Registrant.objects.order_by("session__starts_at")

    refund = perform_action(
        registrant=first,
        action=Action.CANCEL_FULL,
        amount=None,
        token=new_refund_token(),
        requested_by=None,
    )
    send_refunds(django_capture_on_commit_callbacks)

    refund.refresh_from_db()
    assert refund.amount == 5000
    assert refund.status == Refund.Status.SUCCEEDED
    assert RefundShare.objects.get(refund=refund).registrant == first
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Registrant.Status.REFUNDED
    assert second.status == Registrant.Status.CONFIRMED
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.PAID
    assert payment.amount_refunded == 5000
    assert share_summary(second).refundable == 5000
    assert share_summary(first).refundable == 0
    assert seats_taken(webinar=series, session=first.session) == 0
    assert seats_taken(webinar=series, session=second.session) == 1
    # The refund email goes to the cancelled session's registrant only.
    assert first.emails.filter(kind="refund").count() == 1
    assert not second.emails.filter(kind="refund").exists()


def test_a_partial_refund_never_exceeds_the_share(client, series, stripe_sandbox):
    _buy_both(client, series, stripe_sandbox)
    first = Registrant.objects.order_by("session__starts_at").first()

    with pytest.raises(RefundError):
        plan_action(registrant=first, action=Action.REFUND_PARTIAL, amount=5001)
    plan = plan_action(registrant=first, action=Action.REFUND_PARTIAL, amount=5000)

    assert plan.refund_amount == 5000


def test_refunding_both_shares_refunds_the_payment_in_full(
    client, series, stripe_sandbox, django_capture_on_commit_callbacks
):
    _buy_both(client, series, stripe_sandbox)
    for registrant in Registrant.objects.order_by("pk"):
        perform_action(
            registrant=registrant,
            action=Action.CANCEL_FULL,
            amount=None,
            token=new_refund_token(),
            requested_by=None,
        )
    send_refunds(django_capture_on_commit_callbacks)

    payment = Payment.objects.get()
    assert payment.amount_refunded == 10000
    assert payment.status == Payment.Status.REFUNDED
    assert {r.status for r in Registrant.objects.all()} == {Registrant.Status.REFUNDED}


def test_the_registrant_cancels_one_session_for_its_share(
    client, series, stripe_sandbox, django_capture_on_commit_callbacks
):
    series.refund_policy = "percent_until"
    series.refund_percent = 50
    series.save()
    _buy_both(client, series, stripe_sandbox)
    first, second = Registrant.objects.order_by("session__starts_at")

    refund = self_cancel(registrant=second)

    # Half of this session's price, not half of the whole payment.
    assert refund is not None and refund.amount == 2500
    first.refresh_from_db()
    assert first.status == Registrant.Status.CONFIRMED


def test_cancelling_a_session_refunds_its_registrants_share(
    client, series, stripe_sandbox, django_capture_on_commit_callbacks
):
    from registrations.refunds.cancellation import cancel_webinar

    _buy_both(client, series, stripe_sandbox)
    first, second = Registrant.objects.order_by("session__starts_at")

    cancel_webinar(webinar=series, session=first.session)

    refund = Refund.objects.get()
    assert refund.amount == 5000
    assert refund.share.registrant == first
    second.refresh_from_db()
    assert second.status == Registrant.Status.CONFIRMED


def test_cancelling_the_whole_series_refunds_every_share_once(
    client, series, stripe_sandbox
):
    from registrations.refunds.cancellation import cancel_webinar

    _buy_both(client, series, stripe_sandbox)

    cancel_webinar(webinar=series)

    assert sorted(Refund.objects.values_list("amount", flat=True)) == [5000, 5000]
    assert {r.status for r in Registrant.objects.all()} == {Registrant.Status.CANCELLED}


def test_a_payment_for_a_session_cancelled_meanwhile_refunds_only_that_share(
    client, series, stripe_sandbox, django_capture_on_commit_callbacks
):
    first, second = _sessions(series)
    checkout_url = register(client, series, session=[first.pk, second.pk])["Location"]
    session_id = session_id_of(checkout_url)
    stripe_sandbox.pay(session_id)
    first.cancelled_at = timezone.now()
    first.save(update_fields=["cancelled_at"])

    with django_capture_on_commit_callbacks(execute=True):
        client.get(success_path(series, session_id))

    early, late = Registrant.objects.order_by("session__starts_at")
    assert early.status == Registrant.Status.CANCELLED
    assert late.status == Registrant.Status.CONFIRMED
    refund = Refund.objects.get()
    assert refund.amount == 5000
    assert refund.share.registrant == early


def test_the_page_states_the_total_of_the_sessions_posted(client, series):
    first, second = _sessions(series)

    # A form error brings the page back: the total follows the boxes ticked.
    response = register(client, series, email="", session=[first.pk, second.pk])

    total = response.text.split('id="price-total"')[1].split("</p>")[0]
    assert " hidden" not in total.split(">")[0]
    assert "100.00" in total and "2 ×" in total


def test_the_total_is_hidden_until_a_session_is_ticked(client, series):
    response = client.get(series.get_registration_url())

    total = response.text.split('id="price-total"')[1].split(">")[0]
    assert " hidden" in total


def test_the_console_shows_each_session_its_share_of_the_payment(
    client, series, stripe_sandbox, django_capture_on_commit_callbacks
):
    from registrations.console_rows import money_of, with_refunds

    _buy_both(client, series, stripe_sandbox)
    first, _second = Registrant.objects.order_by("session__starts_at")
    perform_action(
        registrant=first,
        action=Action.CANCEL_FULL,
        amount=None,
        token=new_refund_token(),
        requested_by=None,
    )
    send_refunds(django_capture_on_commit_callbacks)

    rows = with_refunds(Registrant.objects.order_by("session__starts_at"))
    money = [money_of(row) for row in rows]
    assert [(m.gross, m.refunded, m.state) for m in money] == [
        (5000, 5000, "refunded"),
        (5000, 0, ""),
    ]


@pytest.mark.parametrize(
    ("language", "written"),
    [
        ("en", "Tuesday, 4 June 2030, 11:00\u202fam (Europe/Paris, UTC+02:00)"),
        ("fr", "mardi 4 juin 2030, 11:00 (Europe/Paris, UTC+02:00)"),
    ],
)
def test_checkout_lines_write_each_session_as_the_registrants_pages_do(
    client, organizer, stripe_sandbox, stripe_sdk, language, written
):
    with time_machine.travel(datetime(2030, 6, 1, 8, 0, tzinfo=UTC), tick=False):
        webinar = make_paid_webinar(
            owner=organizer,
            stripe_account=stripe_sandbox.demo_account,
            registration_type="individual_session",
            sessions=0,
            timezone="Europe/Paris",
        )
        start = datetime(2030, 6, 4, 9, 0, tzinfo=UTC)
        one, two = (
            factories.SessionFactory(
                webinar=webinar,
                starts_at=start + timedelta(days=day),
                ends_at=start + timedelta(days=day, hours=1),
            )
            for day in (0, 1)
        )
        response = client.post(
            webinar.get_registration_url(),
            form_data(session=[one.pk, two.pk]),
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert response.status_code == 303

    lines = stripe_sdk.checkout.sessions.line_items.list(
        session_id_of(response["Location"]),
        options={"stripe_account": stripe_sandbox.demo_account},
    )
    names = [item.description for item in lines.data]
    assert names[0] == f"{webinar.title} – {written}"
    assert len(names) == 2
