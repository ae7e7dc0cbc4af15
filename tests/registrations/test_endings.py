"""Every way a registration can end tells the registrant, once, in their language."""

from datetime import timedelta

import pytest
from django.utils import timezone

from payments.models import Payment
from registrations.approval import deny_registrant
from registrations.checkout import release_expired_holds_task
from registrations.emails import content, sending
from registrations.models import ORGANIZER_KINDS, EmailLog, Registrant, SeatHold
from registrations.refunds.cancellation import cancel_webinar
from tests import factories
from tests.registrations.checkout_support import (
    cancel_path,
    register,
    session_id_of,
    success_path,
)
from tests.registrations.refund_support import pay_registrant, refund_part
from tests.sandbox_fixtures import ASYNC_CARD

pytestmark = pytest.mark.django_db


def registrant_kinds(registrant: Registrant) -> list[str]:
    """The kinds of the emails queued for the registrant (organizer notices aside)."""
    return sorted(
        kind
        for kind in registrant.emails.values_list("kind", flat=True)
        if kind not in ORGANIZER_KINDS
    )


def sent_to(smtp, address: str):
    sending.send_due_emails()
    return smtp.to(address)


def body(message) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def fail_async_payment(client, webinar, sandbox, **overrides) -> Registrant:
    session_id = session_id_of(register(client, webinar, **overrides)["Location"])
    sandbox.pay(session_id, card=ASYNC_CARD)
    client.get(success_path(webinar, session_id))
    payment = Payment.objects.get(checkout_session_id=session_id)
    sandbox.settle_payment(payment.payment_intent_id, outcome="failed")
    client.get(success_path(webinar, session_id))
    client.get(success_path(webinar, session_id))
    return Registrant.objects.get(payment=payment)


def test_a_failed_delayed_payment_sends_one_payment_failed_email(
    client, paid_webinar, stripe_sandbox, smtp, settings
):
    registrant = fail_async_payment(client, paid_webinar, stripe_sandbox)

    assert registrant.status == Registrant.Status.EXPIRED
    assert registrant_kinds(registrant) == ["payment_failed"]
    (message,) = sent_to(smtp, "ada@example.com")
    subject = f"Your payment did not go through: {paid_webinar.title}"
    assert message["Subject"] == subject
    text, html = body(message)
    url = settings.SITE_URL + paid_webinar.get_registration_url()
    for part in (text, html):
        assert "You have not been charged" in part
        assert url in part


def test_the_payment_failed_email_is_in_the_registrants_language(
    client, paid_webinar, stripe_sandbox, smtp
):
    registrant = fail_async_payment(client, paid_webinar, stripe_sandbox)
    Registrant.objects.filter(pk=registrant.pk).update(language="fr")

    (message,) = sent_to(smtp, "ada@example.com")

    text, html = body(message)
    assert '<html lang="fr">' in html
    assert "Bonjour" in text


def test_an_expired_checkout_webhook_sends_one_checkout_expired_email(
    client, paid_webinar, stripe_sandbox, webhooks
):
    session_id = session_id_of(register(client, paid_webinar)["Location"])
    stripe_sandbox.expire(session_id)

    assert webhooks.deliver(webhooks.collect() * 2) == [200, 200]

    registrant = Registrant.objects.get()
    assert registrant_kinds(registrant) == ["checkout_expired"]


def test_a_hold_running_out_sends_one_email_even_when_stripe_expires_it_later(
    client, paid_webinar, stripe_sandbox, webhooks, smtp
):
    session_id = session_id_of(register(client, paid_webinar)["Location"])
    SeatHold.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert release_expired_holds_task() == 1
    stripe_sandbox.expire(session_id)
    webhooks.deliver(webhooks.collect())

    registrant = Registrant.objects.get()
    assert registrant_kinds(registrant) == ["checkout_expired"]
    (message,) = sent_to(smtp, "ada@example.com")
    assert message["Subject"] == f"Your seat is no longer held: {paid_webinar.title}"
    assert "was not completed in time" in body(message)[0]


def test_leaving_checkout_yourself_sends_no_email(
    client, paid_webinar, stripe_sandbox, webhooks, django_capture_on_commit_callbacks
):
    checkout_url = register(client, paid_webinar)["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        client.get(cancel_path(checkout_url, stripe_sandbox))
    webhooks.deliver(webhooks.collect())

    assert registrant_kinds(Registrant.objects.get()) == []


def test_no_expiry_email_once_the_registrant_registered_again(
    client, paid_webinar, stripe_sandbox, webhooks
):
    first = session_id_of(register(client, paid_webinar)["Location"])
    SeatHold.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    register(client, paid_webinar)

    release_expired_holds_task()
    stripe_sandbox.expire(first)
    webhooks.deliver(webhooks.collect())

    for registrant in Registrant.objects.all():
        assert registrant_kinds(registrant) == []


def test_a_denied_registrant_gets_one_email(webinar):
    registrant = factories.RegistrantFactory(
        webinar=webinar, status=Registrant.Status.AWAITING
    )

    deny_registrant(registrant=registrant)
    deny_registrant(registrant=registrant)

    assert registrant_kinds(registrant) == ["denied"]


def test_a_refund_sends_one_refund_email(
    stripe_sandbox, webinar, acct, django_capture_on_commit_callbacks
):
    registrant = pay_registrant(sandbox=stripe_sandbox, webinar=webinar, account=acct)

    refund_part(registrant, amount=1000, capture=django_capture_on_commit_callbacks)

    assert registrant_kinds(registrant) == ["refund"]


def test_the_organizer_cancelling_the_webinar_sends_one_email_that_says_so(
    webinar, smtp, django_capture_on_commit_callbacks
):
    registrant = factories.RegistrantFactory(
        webinar=webinar, email="free@example.com", status=Registrant.Status.CONFIRMED
    )

    with django_capture_on_commit_callbacks(execute=True):
        cancel_webinar(webinar=webinar)

    assert registrant_kinds(registrant) == ["cancelled"]
    (message,) = sent_to(smtp, "free@example.com")
    assert f"The organizer cancelled {webinar.title}" in body(message)[0]


def test_an_automatic_refund_sends_one_email(
    client,
    paid_webinar,
    stripe_sandbox,
    webhooks,
    django_capture_on_commit_callbacks,
):
    session_id = session_id_of(register(client, paid_webinar)["Location"])
    paid_webinar.cancelled_at = timezone.now()
    paid_webinar.save(update_fields=["cancelled_at"])
    stripe_sandbox.pay(session_id)

    with django_capture_on_commit_callbacks(execute=True):
        webhooks.deliver(webhooks.collect() * 2)
        client.get(success_path(paid_webinar, session_id))

    assert registrant_kinds(Registrant.objects.get()) == ["auto_refunded"]


@pytest.mark.parametrize("kind", [EmailLog.Kind.PAYMENT_FAILED, "checkout_expired"])
def test_the_new_kinds_render_in_both_languages(webinar, kind):
    registrant = factories.RegistrantFactory(webinar=webinar, first_name="Ada")
    for language in ("en", "fr"):
        registrant.language = language
        message = content.render_email(registrant=registrant, kind=kind)
        assert "Ada" in message.text and "Ada" in message.html
        assert webinar.title in message.subject
