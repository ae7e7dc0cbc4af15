"""Per-webinar report: gross, refunded, Stripe fees and net by currency; CSV."""

import csv
import io

import pytest
from django.urls import reverse

from registrations.refunds.reports import report_rows, webinar_report
from tests import factories
from tests.registrations.refund_support import pay_registrant, refund_part

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales(stripe_sandbox, webinar, acct, django_capture_on_commit_callbacks):
    first = pay_registrant(
        sandbox=stripe_sandbox, webinar=webinar, account=acct, amount=5000
    )
    second = pay_registrant(
        sandbox=stripe_sandbox, webinar=webinar, account=acct, amount=3000
    )
    dollars = pay_registrant(
        sandbox=stripe_sandbox,
        webinar=webinar,
        account=acct,
        amount=2500,
        currency="USD",
    )
    refund_part(second, amount=1000, capture=django_capture_on_commit_callbacks)
    return [first, second, dollars]


def test_report_totals_each_currency(webinar, sales):
    first, second, dollars = sales
    eur, usd = webinar_report(webinar)
    eur_fees = first.payment.stripe_fee + second.payment.stripe_fee
    assert (eur.currency, eur.payments, eur.gross, eur.refunded) == (
        "EUR",
        2,
        8000,
        1000,
    )
    assert eur.stripe_fees == eur_fees
    assert eur.net == 8000 - 1000 - eur_fees
    assert (usd.currency, usd.gross, usd.refunded) == ("USD", 2500, 0)
    assert usd.net == 2500 - dollars.payment.stripe_fee


def test_report_page_and_csv_export(login, organizer, webinar, sales):
    client = login(organizer)
    page = client.get(reverse("registrations:report", args=[webinar.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "€80.00" in text and "€10.00" in text and "$25.00" in text
    detail = client.get(webinar.get_absolute_url()).content.decode()
    assert reverse("registrations:report", args=[webinar.pk]) in detail

    response = client.get(reverse("registrations:report_csv", args=[webinar.pk]))
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:3] == ["paid_at", "first_name", "last_name"]
    assert len(rows) == 4
    second = next(row for row in rows[1:] if row[3] == sales[1].email)
    assert (second[5], second[6], second[7]) == ("EUR", "30.00", "10.00")


def test_csv_neutralises_formulas_in_names(login, organizer, webinar, sales):
    registrant = sales[0]
    registrant.first_name = "=HYPERLINK(1)"
    registrant.save()
    client = login(organizer)
    response = client.get(reverse("registrations:report_csv", args=[webinar.pk]))
    assert "'=HYPERLINK(1)" in b"".join(response.streaming_content).decode()


def test_reports_of_another_account_are_404(login, webinar):
    stranger = login(factories.OrganizerFactory(role="admin"))
    assert (
        stranger.get(reverse("registrations:report", args=[webinar.pk])).status_code
        == 404
    )
    url = reverse("registrations:report_csv", args=[webinar.pk])
    assert stranger.get(url).status_code == 404


def test_empty_report_says_so(login, organizer, webinar):
    page = login(organizer).get(reverse("registrations:report", args=[webinar.pk]))
    assert "No payments yet." in page.content.decode()


def test_the_csv_reads_the_payments_as_it_writes_them(
    webinar, sales, django_assert_num_queries
):
    """Streamed: nothing is read before the first row is asked for, and the
    payments come with their registrants 500 at a time (2 queries a chunk)."""
    rows = report_rows(webinar)
    with django_assert_num_queries(0):
        assert next(rows)[0] == "paid_at"
    with django_assert_num_queries(2):
        body = list(rows)
    assert sorted(row[3] for row in body) == sorted(sale.email for sale in sales)
