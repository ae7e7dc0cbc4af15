"""Every email kind, in English and French, delivered to a real SMTP server."""

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
import time_machine
from django.utils import timezone

from payments.models import Payment, Refund
from payments.money import format_money
from registrations.emails import outbox, sending
from registrations.emails.calendar import ics_for
from registrations.emails.reminders import attended_ids
from registrations.hooks import watch_link_providers
from registrations.models import EmailLog, JoinRecord, RefundRequest, RefundShare
from tests import factories

Kind = EmailLog.Kind
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _pinned_clock():
    # Reminders read the clock ("starts in 30 minutes"): no test depends on today.
    with time_machine.travel(datetime(2030, 6, 3, 9, 0, tzinfo=UTC)):
        yield


@pytest.fixture
def paid_registrant(webinar):
    payment = Payment.objects.create(
        account=webinar.account,
        webinar=webinar,
        stripe_account_id="acct_1TesseraDemo0001",
        checkout_session_id="cs_test_emails",
        amount=4900,
        currency="eur",
        status=Payment.Status.PAID,
    )
    return factories.RegistrantFactory(
        webinar=webinar,
        email="ada@example.com",
        first_name="Ada",
        last_name="Lovelace",
        amount=4900,
        currency="eur",
        source="paid",
        payment=payment,
    )


def send_one(registrant, kind: str, **kwargs) -> EmailLog:
    log = outbox.queue_email(registrant=registrant, kind=kind, **kwargs)
    sending.send_due_emails()
    log.refresh_from_db()
    return log


def bodies(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def test_confirmation_carries_join_link_cancel_link_amount_and_invitation(
    smtp, paid_registrant, settings
):
    log = send_one(paid_registrant, Kind.CONFIRMATION)

    assert log.status == EmailLog.Status.SENT
    (message,) = smtp.to("ada@example.com")
    text, html = bodies(message)
    join = f"{settings.SITE_URL}/join/{paid_registrant.join_token}/"
    cancel = f"{settings.SITE_URL}/cancel/{paid_registrant.cancel_token}/"
    for body in (text, html):
        assert join in body
        assert cancel in body
        assert "Do not share this link" in body
        assert "€49.00" in body
    assert '<html lang="en">' in html
    assert message["Message-ID"] == log.message_id
    assert message["Date"]
    assert message["List-Unsubscribe"] is None
    (invite,) = [
        part
        for part in message.iter_attachments()
        if part.get_content_type() == "text/calendar"
    ]
    assert invite.get_param("method") == "REQUEST"
    assert "METHOD:REQUEST" in invite.get_content()
    assert f"UID:tessera-r{paid_registrant.pk}-s" in invite.get_content()


def test_confirmation_is_from_the_organizer_name_with_reply_to_their_address(
    smtp, paid_registrant, settings
):
    settings.DEFAULT_FROM_EMAIL = "Tessera <noreply@tessera.example>"
    owner = paid_registrant.webinar.owner
    send_one(paid_registrant, Kind.CONFIRMATION)

    (message,) = smtp.messages
    assert message["From"].addresses[0].addr_spec == "noreply@tessera.example"
    assert message["From"].addresses[0].display_name == owner.user.get_full_name()
    assert message["Reply-To"] == owner.email


def test_french_registrant_gets_french_email_declared_as_french(smtp, paid_registrant):
    paid_registrant.language = "fr"
    paid_registrant.save()
    send_one(paid_registrant, Kind.CONFIRMATION)

    (message,) = smtp.messages
    text, html = bodies(message)
    assert '<html lang="fr">' in html
    # Amounts and dates are formatted for French readers whatever the catalogue.
    assert "49,00\xa0€" in text or "49,00 €" in text
    assert any(
        day in text
        for day in ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi")
        + ("dimanche",)
    )


REGISTRANT_KINDS = [
    Kind.CONFIRMATION,
    Kind.AWAITING_APPROVAL,
    Kind.APPROVED,
    Kind.DENIED,
    Kind.REMINDER,
    Kind.FOLLOWUP_ATTENDED,
    Kind.FOLLOWUP_ABSENT,
    Kind.CANCELLED,
    Kind.REFUND,
    Kind.AUTO_REFUNDED,
]
STATUS_FOR = {
    Kind.AWAITING_APPROVAL: "awaiting_approval",
    Kind.DENIED: "denied",
    Kind.CANCELLED: "cancelled",
    Kind.REFUND: "refunded",
    Kind.AUTO_REFUNDED: "refunded",
}


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("kind", REGISTRANT_KINDS)
def test_every_registrant_email_is_delivered_in_the_registrants_language(
    smtp, paid_registrant, kind, language
):
    paid_registrant.language = language
    paid_registrant.status = STATUS_FOR.get(kind, "confirmed")
    paid_registrant.save()
    session = paid_registrant.webinar.sessions.get()
    kwargs = {}
    if kind == Kind.REMINDER:
        session.starts_at = timezone.now() + timedelta(minutes=30)
        session.ends_at = session.starts_at + timedelta(hours=1)
        session.save()
        kwargs = {"session": session, "variant": 60}
    elif kind in (Kind.FOLLOWUP_ATTENDED, Kind.FOLLOWUP_ABSENT):
        kwargs = {"session": session}

    log = send_one(paid_registrant, kind, **kwargs)

    assert log.status == EmailLog.Status.SENT, log.last_error
    (message,) = smtp.to("ada@example.com")
    text, html = bodies(message)
    assert f'<html lang="{language}">' in html
    assert paid_registrant.webinar.title in message["Subject"]
    assert "Ada" in text
    assert message["Message-ID"] == log.message_id
    unsubscribable = kind in (
        Kind.REMINDER,
        Kind.FOLLOWUP_ATTENDED,
        Kind.FOLLOWUP_ABSENT,
    )
    assert (message["List-Unsubscribe"] is not None) == unsubscribable
    calendars = [
        part.get_param("method")
        for part in message.iter_attachments()
        if part.get_content_type() == "text/calendar"
    ]
    expected = {
        Kind.CONFIRMATION: ["REQUEST"],
        Kind.APPROVED: ["REQUEST"],
        Kind.CANCELLED: ["CANCEL"],
    }.get(kind, [])
    assert calendars == expected


ORGANIZER_KINDS = [
    Kind.NEW_PAID_REGISTRATION,
    Kind.LIMIT_REACHED,
    Kind.ORGANIZER_AUTO_REFUNDED,
    Kind.DELIVERY_FAILED,
    Kind.REFUND_FAILED,
    Kind.REFUND_REQUEST,
    Kind.DISPUTE_OPENED,
    Kind.DISPUTE_CLOSED,
]


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("kind", ORGANIZER_KINDS)
def test_organizer_notifications_go_to_the_webinar_owner(
    smtp, paid_registrant, kind, language, settings
):
    settings.LANGUAGE_CODE = language
    paid_registrant.webinar.notify_paid_registrations = True
    paid_registrant.webinar.save()
    owner_email = paid_registrant.webinar.owner.email

    log = send_one(paid_registrant, kind)

    assert log.status == EmailLog.Status.SENT, log.last_error
    (message,) = smtp.to(owner_email)
    text, html = bodies(message)
    assert f'<html lang="{language}">' in html
    assert "ada@example.com" in text or kind == Kind.LIMIT_REACHED
    assert message["Auto-Submitted"] == "auto-generated"
    # A reply reaches the registrant only where the email is about their
    # request or payment; never a bounce's address or a bank dispute.
    replies = {Kind.NEW_PAID_REGISTRATION, Kind.REFUND_REQUEST}
    assert message["Reply-To"] == ("ada@example.com" if kind in replies else None)


def test_each_failed_refund_gets_its_own_organizer_notice_with_stripes_reason(
    smtp, paid_registrant
):
    failed = [
        Refund.objects.create(
            payment=paid_registrant.payment,
            amount=amount,
            idempotency_key=f"refund-failed-{amount}",
            status=Refund.Status.FAILED,
            failure_reason=f"declined {amount}",
        )
        for amount in (1000, 2000)
    ]
    for refund in failed:
        outbox.notify_organizer(
            registrant=paid_registrant, kind=Kind.REFUND_FAILED, variant=refund.pk
        )
    sending.send_due_emails()

    messages = smtp.to(paid_registrant.webinar.owner.email)
    assert [m["Subject"] for m in messages] == [
        f"A refund failed: {paid_registrant.webinar.title}"
    ] * 2
    texts = [bodies(m)[0] for m in messages]
    assert "€10.00" in texts[0] and "declined 1000" in texts[0]
    assert "€20.00" in texts[1] and "declined 2000" in texts[1]
    refunds_page = f"/console/webinars/{paid_registrant.webinar_id}/refunds/"
    assert all(refunds_page in text for text in texts)


def test_refund_request_notice_quotes_the_registrants_message(smtp, paid_registrant):
    request = RefundRequest.objects.create(
        registrant=paid_registrant, message="I am ill, sorry."
    )
    outbox.notify_organizer(
        registrant=paid_registrant, kind=Kind.REFUND_REQUEST, variant=request.pk
    )
    sending.send_due_emails()

    (message,) = smtp.to(paid_registrant.webinar.owner.email)
    assert message["Subject"] == f"Refund request: {paid_registrant.webinar.title}"
    # Answering the email answers the registrant.
    assert message["Reply-To"] == "ada@example.com"
    text, html = bodies(message)
    assert "I am ill, sorry." in text
    assert "ada@example.com asks for a refund" in text


def test_a_dispute_opened_then_closed_tells_the_organizer_twice(smtp, paid_registrant):
    payment = paid_registrant.payment
    payment.dispute_reason = "fraudulent"
    payment.dispute_status = "needs_response"
    payment.save()
    outbox.notify_organizer(registrant=paid_registrant, kind=Kind.DISPUTE_OPENED)
    sending.send_due_emails()
    payment.dispute_status = "lost"
    payment.save()
    outbox.notify_organizer(registrant=paid_registrant, kind=Kind.DISPUTE_CLOSED)
    # A duplicate webhook queues nothing more.
    outbox.notify_organizer(registrant=paid_registrant, kind=Kind.DISPUTE_CLOSED)
    sending.send_due_emails()

    title = paid_registrant.webinar.title
    opened, closed = smtp.to(paid_registrant.webinar.owner.email)
    assert opened["Subject"] == f"Payment disputed: {title}"
    assert "(reason: fraudulent)" in bodies(opened)[0]
    assert closed["Subject"] == f"Dispute closed (lost): {title}"
    assert "is closed: lost." in bodies(closed)[0]
    assert set(paid_registrant.emails.values_list("kind", "status")) == {
        (Kind.DISPUTE_OPENED, EmailLog.Status.SENT),
        (Kind.DISPUTE_CLOSED, EmailLog.Status.SENT),
    }


def test_a_notice_about_a_payment_without_registrant_is_not_queued():
    assert outbox.notify_organizer(registrant=None, kind=Kind.DISPUTE_OPENED) is None
    assert not EmailLog.objects.exists()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_refund_email_states_the_amount_once(smtp, paid_registrant, language):
    """The symbol names the currency: "€15.00", never "€15.00 (EUR)"."""
    paid_registrant.language = language
    paid_registrant.save(update_fields=["language"])
    refund = Refund.objects.create(
        payment=paid_registrant.payment,
        amount=1500,
        idempotency_key="refund-test-1",
        status=Refund.Status.SUCCEEDED,
    )
    send_one(paid_registrant, Kind.REFUND, variant=refund.pk)

    amount = format_money(1500, "EUR", language)
    title = paid_registrant.webinar.title
    said = {
        "en": f"A refund of {amount} for {title} is on its way",
        "fr": f"Un remboursement de {amount} pour {title} est en cours",
    }[language]
    for body in bodies(smtp.messages[0]):
        assert said in body
        assert "(EUR)" not in body and "EUR" not in body


def test_automatic_refund_email_states_the_amount_once(smtp, paid_registrant):
    paid_registrant.status = "refunded"
    paid_registrant.save()
    send_one(paid_registrant, Kind.AUTO_REFUNDED)

    for body in bodies(smtp.to("ada@example.com")[0]):
        assert "Your payment of €49.00 is refunded in full." in body
        assert "EUR" not in body


def test_denied_email_tells_the_payment_is_refunded(smtp, paid_registrant):
    paid_registrant.status = "denied"
    paid_registrant.save()
    send_one(paid_registrant, Kind.DENIED)

    text, _html = bodies(smtp.messages[0])
    assert "€49.00 is refunded in full" in text


def test_followup_carries_the_personal_watch_link_from_the_recordings_hook(
    smtp, paid_registrant
):
    session = paid_registrant.webinar.sessions.get()

    def provider(registrant, for_session, memo):
        return f"https://watch.example/{registrant.pk}/{for_session.pk}/"

    watch_link_providers.register(provider)
    try:
        send_one(paid_registrant, Kind.FOLLOWUP_ATTENDED, session=session)
    finally:
        watch_link_providers.unregister(provider)

    text, html = bodies(smtp.messages[0])
    link = f"https://watch.example/{paid_registrant.pk}/{session.pk}/"
    assert link in text
    assert link in html


def test_followup_uses_the_webinars_own_text(smtp, paid_registrant):
    webinar = paid_registrant.webinar
    webinar.followup_absent_text = "Here are the slides we promised."
    webinar.save()
    send_one(paid_registrant, Kind.FOLLOWUP_ABSENT, session=webinar.sessions.get())

    text, html = bodies(smtp.messages[0])
    assert "Here are the slides we promised." in text
    assert "Here are the slides we promised." in html


def test_paid_confirmation_tells_the_organizer_when_opted_in(smtp, paid_registrant):
    paid_registrant.webinar.notify_paid_registrations = True
    paid_registrant.webinar.save()

    outbox.queue_email(registrant=paid_registrant, kind=Kind.CONFIRMATION)
    sending.send_due_emails()

    assert len(smtp.to(paid_registrant.webinar.owner.email)) == 1
    assert len(smtp.to("ada@example.com")) == 1


def test_paid_confirmation_does_not_tell_the_organizer_by_default(
    smtp, paid_registrant
):
    outbox.queue_email(registrant=paid_registrant, kind=Kind.CONFIRMATION)
    sending.send_due_emails()

    assert smtp.to(paid_registrant.webinar.owner.email) == []


def test_filling_the_last_seat_tells_the_organizer_the_limit_is_reached(smtp, webinar):
    webinar.registration_limit = 2
    webinar.save()
    first = factories.RegistrantFactory(webinar=webinar)
    outbox.queue_email(registrant=first, kind=Kind.CONFIRMATION)
    assert not EmailLog.objects.filter(kind=Kind.LIMIT_REACHED).exists()

    second = factories.RegistrantFactory(webinar=webinar)
    outbox.queue_email(registrant=second, kind=Kind.CONFIRMATION)
    sending.send_due_emails()

    (notice,) = smtp.to(webinar.owner.email)
    assert "limit of 2 is reached" in notice.get_body(("plain",)).get_content()


def test_automatic_refund_tells_registrant_and_organizer(smtp, paid_registrant):
    paid_registrant.status = "refunded"
    paid_registrant.save()

    outbox.queue_email(registrant=paid_registrant, kind=Kind.AUTO_REFUNDED)
    sending.send_due_emails()

    assert len(smtp.to("ada@example.com")) == 1
    assert len(smtp.to(paid_registrant.webinar.owner.email)) == 1


def test_cancellation_carries_a_cancel_invitation_with_the_same_uid(
    smtp, paid_registrant
):
    session = paid_registrant.webinar.sessions.get()
    request = ics_for(paid_registrant).decode()
    paid_registrant.status = "cancelled"
    paid_registrant.save()

    send_one(paid_registrant, Kind.CANCELLED)

    (part,) = list(smtp.messages[0].iter_attachments())
    cancel = part.get_content()
    uid = f"UID:tessera-r{paid_registrant.pk}-s{session.pk}@"
    assert uid in request
    assert uid in cancel
    assert "METHOD:CANCEL" in cancel
    assert "STATUS:CANCELLED" in cancel


def test_attendance_is_read_from_join_records(paid_registrant):
    session = paid_registrant.webinar.sessions.get()
    JoinRecord.objects.create(registrant=paid_registrant, session=session)
    assert attended_ids(session, [paid_registrant.pk]) == {paid_registrant.pk}


@pytest.mark.parametrize(
    ("starts_at", "language", "when"),
    [
        # Paris is UTC+2 in June, UTC+1 in January: the offset is the start's.
        (
            datetime(2030, 6, 10, 9, 0, tzinfo=UTC),
            "en",
            "11:00\u202fam – 12:00\u202fpm",
        ),
        (
            datetime(2031, 1, 13, 9, 0, tzinfo=UTC),
            "en",
            "10:00\u202fam – 11:00\u202fam",
        ),
        (datetime(2030, 6, 10, 9, 0, tzinfo=UTC), "fr", "11:00 – 12:00"),
        (datetime(2031, 1, 13, 9, 0, tzinfo=UTC), "fr", "10:00 – 11:00"),
    ],
)
def test_the_session_time_names_the_zone_and_its_offset_at_the_start(
    smtp, paid_registrant, starts_at, language, when
):
    session = paid_registrant.webinar.sessions.get()
    session.starts_at, session.ends_at = starts_at, starts_at + timedelta(hours=1)
    session.save()
    paid_registrant.language = language
    paid_registrant.save()
    send_one(paid_registrant, Kind.CONFIRMATION)

    (message,) = smtp.messages
    offset = "+02:00" if starts_at.month == 6 else "+01:00"
    for body in bodies(message):
        assert f"{when} (Europe/Paris, UTC{offset})" in body


def test_new_paid_registration_lists_answers_with_french_colons(
    smtp, paid_registrant, settings
):
    settings.LANGUAGE_CODE = "fr"
    paid_registrant.webinar.notify_paid_registrations = True
    paid_registrant.webinar.save()
    paid_registrant.answers = {"gone": "Acme"}
    paid_registrant.save()

    send_one(paid_registrant, Kind.NEW_PAID_REGISTRATION)

    (message,) = smtp.messages
    assert message["Reply-To"] == paid_registrant.email
    for body in bodies(message):
        assert "Question supprimée\u00a0: Acme" in body


@pytest.mark.parametrize(
    ("language", "footer"),
    [
        ("en", "Sent on behalf of {name}. Reply to this email to reach them."),
        ("fr", "Expéditeur\u00a0: {name}. Répondez à cet e-mail pour lui écrire."),
    ],
)
def test_footer_names_the_organizer_in_the_registrants_language(
    smtp, paid_registrant, language, footer
):
    paid_registrant.language = language
    paid_registrant.save()
    name = paid_registrant.webinar.owner.user.get_full_name()

    send_one(paid_registrant, Kind.CONFIRMATION)

    (message,) = smtp.messages
    for body in bodies(message):
        assert footer.format(name=name) in body


def refund(payment: Payment, amount: int, **fields) -> Refund:
    """A refund Stripe made, counted on the payment as stripe_sync does."""
    made = Refund.objects.create(
        payment=payment,
        amount=amount,
        status=Refund.Status.SUCCEEDED,
        idempotency_key=f"test-refund-{payment.pk}-{Refund.objects.count()}",
        **fields,
    )
    payment.amount_refunded += amount
    payment.save(update_fields=["amount_refunded"])
    return made


@pytest.mark.parametrize(
    ("language", "line"),
    [
        ("en", "Amount paid: {paid} · Refunded: {refunded}"),
        ("fr", "Montant payé\u00a0: {paid} · Remboursé\u00a0: {refunded}"),
    ],
)
def test_resent_confirmation_states_a_partial_refund(
    smtp, paid_registrant, language, line
):
    paid_registrant.language = language
    paid_registrant.save()
    refund(paid_registrant.payment, 1000)

    outbox.resend_confirmation(registrant=paid_registrant)
    sending.send_due_emails()

    (message,) = smtp.messages
    expected = line.format(
        paid=format_money(4900, "eur", language),
        refunded=format_money(1000, "eur", language),
    )
    for body in bodies(message):
        assert expected in body


def test_confirmation_without_a_refund_states_the_amount_paid_alone(
    smtp, paid_registrant
):
    send_one(paid_registrant, Kind.CONFIRMATION)

    (message,) = smtp.messages
    for body in bodies(message):
        assert "Amount paid: €49.00" in body
        assert "Refunded" not in body


def test_confirmation_of_a_shared_payment_states_only_its_own_share_refunded(
    smtp, paid_registrant
):
    payment = paid_registrant.payment
    payment.amount = 9800
    payment.save(update_fields=["amount"])
    other = factories.RegistrantFactory(
        webinar=paid_registrant.webinar,
        amount=4900,
        currency="eur",
        source="paid",
        payment=payment,
    )
    RefundShare.objects.create(refund=refund(payment, 1500), registrant=other)
    RefundShare.objects.create(refund=refund(payment, 700), registrant=paid_registrant)

    send_one(paid_registrant, Kind.CONFIRMATION)

    (message,) = smtp.to("ada@example.com")
    text, _html = bodies(message)
    assert "Amount paid: €49.00 · Refunded: €7.00" in text
