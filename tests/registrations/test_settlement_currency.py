"""The Stripe fee in the currency the charge settled in, and reports by it."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from payments.models import Payment
from registrations.refunds.reports import webinar_report
from tests.registrations.checkout_support import (
    make_paid_webinar,
    register,
    session_id_of,
    success_path,
)
from tests.registrations.refund_support import pay_registrant
from tests.registrations.test_refund_actions import review

pytestmark = pytest.mark.django_db

# EUR 50.00 settles as USD 54.00 at the sandbox's fixed rate; its fee is
# 2.9% + 30 of that (187), plus 10% GST on the fee for an Australian account.
RATE = Decimal("1.08")
FEE_USD = 187 + 19


@pytest.fixture
def usd_account(stripe_sandbox):
    """An Australian account that settles every currency in US dollars."""
    return stripe_sandbox.create_account(
        country="AU", default_currency="usd", settlement_currency="usd"
    )


def test_fee_is_stored_in_the_settlement_currency_with_tax_and_rate(
    client, organizer, stripe_sandbox, usd_account, settings
):
    settings.STRIPE_APPLICATION_FEE_PERCENT = 2
    webinar = make_paid_webinar(owner=organizer, stripe_account=usd_account)
    session_id = session_id_of(register(client, webinar)["Location"])
    stripe_sandbox.pay(session_id)
    client.get(success_path(webinar, session_id))

    payment = Payment.objects.get()
    assert payment.status == Payment.Status.PAID
    assert (payment.amount, payment.currency) == (5000, "EUR")
    assert payment.stripe_fee == FEE_USD
    assert payment.stripe_fee_currency == "USD"
    assert payment.exchange_rate == RATE
    # The platform's fee is the charge's, in EUR, and not part of Stripe's fee.
    assert payment.application_fee == 100


def test_fee_in_the_charge_currency_has_no_rate(client, paid_webinar, stripe_sandbox):
    session_id = session_id_of(register(client, paid_webinar)["Location"])
    stripe_sandbox.pay(session_id)
    client.get(success_path(paid_webinar, session_id))

    payment = Payment.objects.get()
    assert payment.stripe_fee == 175
    assert (payment.stripe_fee_currency, payment.exchange_rate) == ("EUR", None)


@pytest.fixture
def mixed_sales(stripe_sandbox, webinar, usd_account):
    """EUR 50.00 settled in USD, and USD 25.00, both on one USD account."""
    sales = {"EUR": 5000, "USD": 2500}
    return [
        pay_registrant(
            sandbox=stripe_sandbox,
            webinar=webinar,
            account=usd_account,
            amount=amount,
            currency=currency,
        )
        for currency, amount in sales.items()
    ]


def test_report_nets_per_settlement_currency_never_adding_two(webinar, mixed_sales):
    _euros, dollars = mixed_sales

    (usd,) = webinar_report(webinar)

    dollar_fee = dollars.payment.stripe_fee
    assert dollars.payment.stripe_fee_currency == "USD"
    assert usd.currency == "USD"
    assert usd.payments == 2
    assert usd.gross == 5400 + 2500
    assert usd.stripe_fees == FEE_USD + dollar_fee
    assert usd.net == 5400 + 2500 - FEE_USD - dollar_fee
    assert usd.converted_from == {"EUR"}


def test_report_page_and_csv_show_the_settlement_currency_and_rate(
    login, organizer, webinar, mixed_sales
):
    euros, _dollars = mixed_sales
    client = login(organizer)

    page = client.get(reverse("registrations:report", args=[webinar.pk])).text
    assert "US$79.00" in page
    assert "USD: includes payments in EUR" in page

    response = client.get(reverse("registrations:report_csv", args=[webinar.pk]))
    rows = list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    )
    row = next(row for row in rows if row["email"] == euros.email)
    assert (row["currency"], row["amount_major_units"]) == ("EUR", "50.00")
    assert (row["settlement_currency"], row["exchange_rate"]) == ("USD", "1.08")
    assert row["stripe_fee_major_units"] == "2.06"
    assert row["net_major_units"] == "51.94"


def test_refund_confirmation_shows_the_fee_in_its_settlement_currency(
    login, organizer, webinar, mixed_sales
):
    euros, _dollars = mixed_sales
    client = login(organizer)

    page = review(client, euros, action="cancel_partial", amount="12.50").text

    assert "€50.00" in page
    assert "US$2.06" in page
