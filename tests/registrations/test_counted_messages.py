"""Messages that count people or things say one or several, in both languages."""

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from payments.models import Payment
from registrations.models import RefundRequest
from registrations.refunds.reports import refund_warnings
from tests import factories

pytestmark = pytest.mark.django_db


def cancel(client, webinar, **headers):
    url = reverse("registrations:cancel_webinar", args=[webinar.pk])
    return client.post(url, {"mode": "full", "confirm": "yes"}, follow=True, **headers)


def test_cancelling_tells_one_registrant(login, organizer, webinar):
    factories.RegistrantFactory(webinar=webinar)

    page = cancel(login(organizer), webinar).text

    assert (
        "Cancelled. 1 registrant is being told; refunds are sent in the background."
        in page
    )


def test_cancelling_tells_several_registrants_in_french(login, organizer, webinar):
    factories.RegistrantFactory.create_batch(2, webinar=webinar)

    page = cancel(login(organizer), webinar, HTTP_ACCEPT_LANGUAGE="fr").text

    assert "Annulé. 2 inscrits sont prévenus\u00a0;" in page


def test_cancelling_a_webinar_nobody_registered_for_says_so(login, organizer, webinar):
    page = cancel(login(organizer), webinar).text

    assert "Cancelled. No one was registered: there is no one to tell." in page
    assert "0 registrant" not in page


def dispute(webinar) -> Payment:
    return Payment.objects.create(
        account=webinar.account,
        webinar=webinar,
        stripe_account_id="acct_test",
        amount=1000,
        currency="EUR",
        disputed_at=timezone.now(),
    )


def test_dashboard_warnings_count_requests_and_disputes(organizer, webinar):
    first, second = factories.RegistrantFactory.create_batch(2, webinar=webinar)
    RefundRequest.objects.create(registrant=first, message="")
    dispute(webinar)

    one = refund_warnings(organizer)
    RefundRequest.objects.create(registrant=second, message="")
    dispute(webinar)
    with translation.override("fr"):
        several = refund_warnings(organizer)

    assert one == [
        "1 refund request is waiting for your answer.",
        "1 payment is disputed: respond in your Stripe dashboard.",
    ]
    assert several == [
        "2 demandes de remboursement attendent votre réponse.",
        "2 paiements font l’objet d’un litige\u00a0: répondez depuis votre"
        " tableau de bord Stripe.",
    ]
