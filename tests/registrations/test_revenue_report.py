"""Issue 15: the account-wide revenue report, by currency and month, with its CSV."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from payments.models import Payment
from tests import factories

pytestmark = pytest.mark.django_db


def pay(webinar, n, amount, currency, paid_at, refunded=0, fee=None):
    return Payment.objects.create(
        account=webinar.account,
        webinar=webinar,
        stripe_account_id="acct_test",
        checkout_session_id=f"cs_rev_{n}",
        amount=amount,
        currency=currency,
        amount_refunded=refunded,
        stripe_fee=fee,
        stripe_fee_currency=currency if fee is not None else "",
        status=Payment.Status.PAID,
        paid_at=paid_at,
    )


@pytest.fixture
def sales(organizer):
    mine = factories.WebinarFactory(owner=organizer, title="Mine")
    other = factories.WebinarFactory(
        owner=factories.OrganizerFactory(account=organizer.account), title="Other"
    )
    pay(
        mine, 1, 10000, "EUR", datetime(2026, 11, 3, tzinfo=UTC), refunded=2500, fee=320
    )
    pay(mine, 2, 5000, "EUR", datetime(2026, 11, 20, tzinfo=UTC), fee=170)
    pay(mine, 3, 4000, "EUR", datetime(2026, 12, 1, tzinfo=UTC))
    pay(mine, 4, 3000, "USD", datetime(2026, 12, 1, tzinfo=UTC))
    pay(other, 5, 99900, "EUR", datetime(2026, 12, 1, tzinfo=UTC))
    return mine, other


def test_report_by_currency_and_month(login, organizer, sales):
    page = login(organizer).get(reverse("registrations:revenue")).content.decode()
    assert "November 2026" in page and "December 2026" in page
    assert "€150.00" in page  # gross November
    assert "€25.00" in page and "€4.90" in page  # refunds, Stripe fees
    assert "€120.10" in page  # net November
    assert "US$30.00" in page
    assert "€999.00" not in page  # another organizer's webinar
    assert '<svg class="chart" role="img"' in page


def test_admin_sees_every_webinar(login, admin, sales):
    page = login(admin).get(reverse("registrations:revenue")).content.decode()
    assert "€1,039.00" in page  # December EUR: 40.00 + 999.00


def test_csv_uses_major_units_and_says_so(login, organizer, sales):
    response = login(organizer).get(reverse("registrations:revenue_csv"))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    november = next(
        r for r in rows if (r["month_utc"], r["currency"]) == ("2026-11", "EUR")
    )
    assert november["gross_major_units"] == "150.00"
    assert november["refunded_major_units"] == "25.00"
    assert november["stripe_fees_major_units"] == "4.90"
    assert november["net_major_units"] == "120.10"
    assert {(r["month_utc"], r["currency"]) for r in rows} == {
        ("2026-11", "EUR"),
        ("2026-12", "EUR"),
        ("2026-12", "USD"),
    }


def test_empty_report(login, organizer):
    page = login(organizer).get(reverse("registrations:revenue")).content.decode()
    assert "No payment yet" in page


def test_report_needs_a_login(client):
    assert client.get(reverse("registrations:revenue")).status_code == 302


def test_chart_months_are_abbreviated_as_each_language_does(login, organizer, sales):
    client = login(organizer)
    english = client.get(
        reverse("registrations:revenue"), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert 'class="axis">Dec 2026</text>' in english
    french = client.get(
        reverse("registrations:revenue"), HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert 'class="axis">déc. 2026</text>' in french
    assert 'class="axis">nov. 2026</text>' in french
    assert "Déc 2026" not in french
    assert "Frais de plateforme" in french and "Commission" not in french
