"""The return pages tell each registrant where their registration stands now.

The paid return page (Checkout's success URL) and the free done page are
reopened later from the browser's history: they show the registrant's state as
it is then, who cancelled and what was refunded, in English and French.
"""

import re

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import translation

from payments.models import Payment, Refund
from payments.money import format_money
from registrations.models import Registrant
from registrations.refunds.cancellation import RefundMode, cancel_webinar
from registrations.refunds.ledger import new_refund_token
from registrations.refunds.organizer_actions import perform_action
from registrations.refunds.self_service import self_cancel
from registrations.settlement import refund_automatically
from registrations.tokens import DONE_SALT, done_token
from tests import factories
from tests.registrations.checkout_support import register, send_refunds, success_path
from tests.registrations.refund_support import pay_registrant
from webinars.models import Webinar

pytestmark = pytest.mark.django_db

TEXTS = {
    "en": {
        "organizer": "The organizer cancelled your registration",
        "registrant": "You cancelled your registration",
        "webinar": "The organizer cancelled this webinar",
        "refunded": "Your payment was refunded",
        "seat": "We could not give you a seat",
        "registered": "You're registered",
        "denied": "Registration not approved",
        "released": "Your registration is cancelled and its seat has been released.",
        "done": "Refunded to you: {}.",
        "pending": "Being refunded to you: {}.",
        "none": "No refund has been made.",
    },
    "fr": {
        "organizer": "L’organisateur a annulé votre inscription",
        "registrant": "Vous avez annulé votre inscription",
        "webinar": "L’organisateur a annulé ce webinaire",
        "refunded": "Votre paiement a été remboursé",
        "seat": "Nous n’avons pas pu vous attribuer de place",
        "registered": "Votre inscription est confirmée",
        "denied": "Inscription non approuvée",
        "released": "Votre inscription est annulée et sa place a été libérée.",
        "done": "Remboursé\u00a0: {}.",
        "pending": "Remboursement en cours\u00a0: {}.",
        "none": "Aucun remboursement n’a été effectué.",
    },
}
LANGUAGES = pytest.mark.parametrize("language", ["en", "fr"])


def text_of(client: Client, path: str, language: str) -> str:
    """The page's text, its tags and whitespace runs taken out."""
    response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    body = response.text.split("<main", 1)[1]
    text = re.sub(r"<[^>]+>", " ", body).replace("&#x27;", "'")
    return re.sub(r"[ \n]+", " ", text)


def paid_page(registrant: Registrant, language: str) -> str:
    registrant.refresh_from_db()
    path = success_path(registrant.webinar, registrant.payment.checkout_session_id)
    return text_of(Client(), path, language)


def set_status(registrant: Registrant, status: str) -> None:
    """Save a new status as the product does (the seat counters follow)."""
    registrant.status = status
    registrant.save(update_fields=["status"])


def money(amount: int, language: str) -> str:
    with translation.override(language):
        return format_money(amount, "EUR")


def organizer_action(registrant, action, capture, amount=None):
    with capture(execute=False):
        perform_action(
            registrant=registrant,
            action=action,
            amount=amount,
            token=new_refund_token(),
            requested_by=None,
        )


@LANGUAGES
def test_cancelled_by_the_organizer_with_a_full_refund(
    paid, language, django_capture_on_commit_callbacks
):
    organizer_action(paid, "cancel_full", django_capture_on_commit_callbacks)
    words = TEXTS[language]

    page = paid_page(paid, language)
    assert words["organizer"] in page
    assert words["pending"].format(money(5000, language)) in page
    assert words["seat"] not in page and words["registered"] not in page

    send_refunds(django_capture_on_commit_callbacks)
    assert Registrant.objects.get(pk=paid.pk).status == Registrant.Status.REFUNDED
    page = paid_page(paid, language)
    assert words["organizer"] in page
    assert words["done"].format(money(5000, language)) in page
    assert words["pending"].format(money(5000, language)) not in page
    assert words["seat"] not in page


@LANGUAGES
def test_cancelled_by_the_organizer_with_part_refunded(
    paid, language, django_capture_on_commit_callbacks
):
    organizer_action(
        paid, "cancel_partial", django_capture_on_commit_callbacks, amount=1250
    )
    send_refunds(django_capture_on_commit_callbacks)
    words = TEXTS[language]

    page = paid_page(paid, language)
    assert words["organizer"] in page
    assert words["done"].format(money(1250, language)) in page
    assert words["seat"] not in page


@LANGUAGES
def test_cancelled_by_the_organizer_without_refund(
    paid, language, django_capture_on_commit_callbacks
):
    organizer_action(paid, "cancel_only", django_capture_on_commit_callbacks)
    words = TEXTS[language]

    page = paid_page(paid, language)
    assert words["organizer"] in page
    assert words["released"] in page
    assert words["none"] in page
    assert words["seat"] not in page


@LANGUAGES
def test_cancelled_by_the_registrant_with_and_without_refund(
    stripe_sandbox, webinar, acct, language, django_capture_on_commit_callbacks
):
    words = TEXTS[language]
    Webinar.objects.filter(pk=webinar.pk).update(
        refund_policy=Webinar.RefundPolicy.FULL_UNTIL, refund_hours_before=1
    )
    refunded = pay_registrant(sandbox=stripe_sandbox, webinar=webinar, account=acct)
    with django_capture_on_commit_callbacks(execute=False):
        self_cancel(registrant=refunded)
    send_refunds(django_capture_on_commit_callbacks)

    page = paid_page(refunded, language)
    assert words["registrant"] in page
    assert words["done"].format(money(5000, language)) in page
    assert words["organizer"] not in page and words["seat"] not in page

    Webinar.objects.filter(pk=webinar.pk).update(
        refund_policy=Webinar.RefundPolicy.NONE
    )
    kept = pay_registrant(sandbox=stripe_sandbox, webinar=webinar, account=acct)
    self_cancel(registrant=kept)

    page = paid_page(kept, language)
    assert words["registrant"] in page
    assert words["none"] in page


@LANGUAGES
def test_the_webinar_cancelled_by_the_organizer(
    paid, language, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        cancel_webinar(webinar=paid.webinar, mode=RefundMode.FULL)

    page = paid_page(paid, language)
    assert TEXTS[language]["webinar"] in page
    assert TEXTS[language]["pending"].format(money(5000, language)) in page


@LANGUAGES
def test_refunded_in_full_from_the_stripe_dashboard(paid, language):
    # What stripe_sync records of a refund made outside Tessera.
    Refund.objects.create(
        payment=paid.payment,
        amount=5000,
        reason_kind=Refund.ReasonKind.STRIPE_DASHBOARD,
        status=Refund.Status.SUCCEEDED,
        external=True,
        idempotency_key="dashboard-1",
    )
    Payment.objects.filter(pk=paid.payment_id).update(
        status=Payment.Status.REFUNDED, amount_refunded=5000
    )
    set_status(paid, Registrant.Status.REFUNDED)

    page = paid_page(paid, language)
    assert TEXTS[language]["refunded"] in page
    assert TEXTS[language]["done"].format(money(5000, language)) in page
    assert TEXTS[language]["seat"] not in page


@LANGUAGES
def test_a_registration_ended_before_who_was_recorded_reads_its_refunds(paid, language):
    Refund.objects.create(
        payment=paid.payment,
        amount=5000,
        reason_kind=Refund.ReasonKind.REGISTRANT_CANCELLED,
        status=Refund.Status.PENDING,
        idempotency_key="self-1",
    )
    set_status(paid, Registrant.Status.CANCELLED)

    assert TEXTS[language]["registrant"] in paid_page(paid, language)


@LANGUAGES
def test_a_payment_that_got_no_seat_keeps_its_own_message(
    stripe_sandbox, webinar, acct, language, django_capture_on_commit_callbacks
):
    registrant = pay_registrant(
        sandbox=stripe_sandbox,
        webinar=webinar,
        account=acct,
        status=Registrant.Status.PENDING,
    )
    with django_capture_on_commit_callbacks(execute=False):
        refund_automatically(
            registrant.payment,
            [registrant],
            amount=5000,
            reason_kind=Refund.ReasonKind.SOLD_OUT,
        )
    registrant.refresh_from_db()
    assert registrant.cancelled_by == Registrant.CancelledBy.AUTOMATIC

    page = paid_page(registrant, language)
    assert TEXTS[language]["seat"] in page
    assert TEXTS[language]["organizer"] not in page
    assert TEXTS[language]["released"] not in page


@LANGUAGES
@pytest.mark.parametrize(
    ("status", "heading"), [("confirmed", "registered"), ("denied", "denied")]
)
def test_confirmed_and_denied_pages_stay_as_they_were(paid, language, status, heading):
    set_status(paid, status)

    page = paid_page(paid, language)
    assert TEXTS[language][heading] in page
    assert TEXTS[language]["released"] not in page


# --- The free registration's done page ----------------------------------------


def done_page_of(client: Client, webinar, email: str) -> str:
    """Register `email` for free; return the done page's path."""
    response = register(client, webinar, email=email)
    assert response.status_code == 303
    return response["Location"]


@LANGUAGES
def test_done_page_says_the_registrant_cancelled(webinar, language):
    client = Client()
    path = done_page_of(client, webinar, "ada@example.com")
    assert TEXTS[language]["registered"] in text_of(client, path, language)

    self_cancel(registrant=Registrant.objects.get())

    page = text_of(client, path, language)
    assert TEXTS[language]["registrant"] in page
    assert TEXTS[language]["registered"] not in page
    # A free registration has no payment: no refund sentence.
    assert TEXTS[language]["none"] not in page


@LANGUAGES
def test_done_page_says_the_organizer_cancelled(
    webinar, language, django_capture_on_commit_callbacks
):
    client = Client()
    path = done_page_of(client, webinar, "ada@example.com")

    organizer_action(
        Registrant.objects.get(), "cancel_only", django_capture_on_commit_callbacks
    )

    page = text_of(client, path, language)
    assert TEXTS[language]["organizer"] in page
    assert TEXTS[language]["registered"] not in page


@LANGUAGES
def test_an_address_already_registered_still_learns_nothing(webinar, language):
    owner = Client()
    own_path = done_page_of(owner, webinar, "ada@example.com")
    visitor = Client()
    again_path = done_page_of(visitor, webinar, "ada@example.com")

    # The two tokens have the same shape: nothing in them tells them apart.
    tokens = [path.split("?r=", 1)[1] for path in (own_path, again_path)]
    values = [signing.loads(token, salt=DONE_SALT) for token in tokens]
    assert [len(v) for v in values] == [4, 4]
    assert [type(item) for item in values[0]] == [type(item) for item in values[1]]
    assert text_of(owner, own_path, language) == text_of(visitor, again_path, language)

    self_cancel(registrant=Registrant.objects.get())

    # The owner's page follows their registration; the visitor's does not.
    assert TEXTS[language]["registrant"] in text_of(owner, own_path, language)
    page = text_of(visitor, again_path, language)
    assert TEXTS[language]["registered"] in page
    assert TEXTS[language]["registrant"] not in page


def test_a_done_token_of_another_webinar_names_no_registrant(webinar, organizer):
    other = factories.WebinarFactory(owner=organizer, account=organizer.account)
    registrant = factories.RegistrantFactory(webinar=other)
    token = done_token(
        webinar_id=webinar.pk, status="confirmed", registrant_id=registrant.pk
    )
    set_status(registrant, Registrant.Status.CANCELLED)

    path = reverse("registrations:done", args=[webinar.registration_key])
    page = text_of(Client(), f"{path}?r={token}", "en")
    assert TEXTS["en"]["registered"] in page


def test_a_done_token_from_before_keeps_working(webinar):
    token = signing.dumps([webinar.pk, "confirmed"], salt=DONE_SALT)
    path = reverse("registrations:done", args=[webinar.registration_key])

    assert TEXTS["en"]["registered"] in text_of(Client(), f"{path}?r={token}", "en")
