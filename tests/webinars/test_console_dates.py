"""The console's one rule for dates: the locale's format, always with the zone.

Every console page that shows a moment is opened in English and French; none
may show a numeric date (``12/01/2026``) and each shows the zone label
(``Europe/Paris, UTC+01:00``, or ``UTC, UTC+00:00`` on account-wide pages).
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from api.tokens import create_token
from payments import price_changes
from payments.models import Payment, Refund
from registrations.models import EmailLog, RefundRequest, Registrant
from tests import factories

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
NUMERIC_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b")
PARIS = re.compile(r"Europe/Paris, UTC\+01:00")
UTC_LABEL = re.compile(r"UTC, UTC\+00:00")


@pytest.fixture
def world():
    with time_machine.travel(NOW, tick=False):
        admin = factories.OrganizerFactory(role="admin")
        webinar = factories.WebinarFactory(
            owner=admin, account=admin.account, timezone="Europe/Paris"
        )
        factories.StripeConnectionFactory(account=admin.account)
        price = factories.PriceFactory(webinar=webinar, amount=5000, currency="EUR")
        factories.PriceTierFactory(price=price, amount=4000)
        factories.DiscountCodeFactory(
            webinar=webinar, valid_until=NOW + timedelta(days=3)
        )
        price_changes.set_price(
            webinar=webinar, amount=6000, currency="EUR", user=admin.user
        )
        payment = Payment.objects.create(
            account=admin.account,
            webinar=webinar,
            stripe_account_id="acct_dates",
            checkout_session_id="cs_dates",
            amount=6000,
            currency="EUR",
            status=Payment.Status.PAID,
            paid_at=NOW,
        )
        registrant = factories.RegistrantFactory(
            webinar=webinar,
            source=Registrant.Source.PAID,
            amount=6000,
            currency="EUR",
            payment=payment,
        )
        Refund.objects.create(
            payment=payment,
            amount=1000,
            reason_kind=Refund.ReasonKind.DENIED,
            idempotency_key="dates",
        )
        RefundRequest.objects.create(registrant=registrant, message="Please")
        EmailLog.objects.create(
            registrant=registrant,
            kind=EmailLog.Kind.REMINDER,
            session=webinar.sessions.first(),
            status=EmailLog.Status.SENT,
            sent_at=NOW,
        )
        create_token(creator=admin, name="CRM", scope="read")
    return admin, webinar, registrant


def console_pages(webinar, registrant) -> dict[str, tuple[str, re.Pattern[str]]]:
    session = webinar.sessions.first()
    return {
        "dashboard": (reverse("webinars:dashboard"), PARIS),
        "webinar page": (webinar.get_absolute_url(), PARIS),
        "payments section": (reverse("payments:pricing", args=[webinar.pk]), PARIS),
        "registrant page": (
            reverse(
                "registrations:registrant_detail", args=[webinar.pk, registrant.pk]
            ),
            PARIS,
        ),
        "email history": (
            reverse("registrations:email_history", args=[webinar.pk, registrant.pk]),
            PARIS,
        ),
        "refunds overview": (
            reverse("registrations:refunds_overview", args=[webinar.pk]),
            PARIS,
        ),
        "registrant refund page": (
            reverse(
                "registrations:refund_registrant", args=[webinar.pk, registrant.pk]
            ),
            PARIS,
        ),
        "cancel session": (
            reverse("registrations:cancel_session", args=[webinar.pk, session.pk]),
            PARIS,
        ),
        "Stripe settings": (reverse("payments:stripe_settings"), UTC_LABEL),
        "API tokens": (reverse("api:tokens"), UTC_LABEL),
    }


@pytest.mark.parametrize("language", ["en", "fr"])
def test_console_dates_are_worded_by_locale_and_zoned(world, client, language):
    admin, webinar, registrant = world
    client.force_login(admin.user)
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        for name, (path, zone) in console_pages(webinar, registrant).items():
            response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200, name
            page = response.content.decode()
            assert response.headers["Content-Language"] == language, name
            assert not NUMERIC_DATE.search(page), (name, NUMERIC_DATE.search(page))
            assert zone.search(page), name
