"""Issue 15: the dashboard answers "how are my webinars doing" at a glance."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from payments.models import Payment
from registrations.capacity import seats_by_session
from registrations.models import EmailLog, Registrant, WaitlistEntry
from registrations.refunds.organizer_actions import cancel_registrant
from tests import factories
from tests.seat_counters import recount_seat_counters
from tests.waitlist.support import a_confirmed, full_webinar, line_up
from webinars.models import Webinar

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def sale(webinar, n, amount, currency, refunded=0):
    payment = Payment.objects.create(
        account=webinar.account,
        webinar=webinar,
        stripe_account_id="acct_test",
        checkout_session_id=f"cs_d_{webinar.pk}_{n}",
        amount=amount,
        currency=currency,
        amount_refunded=refunded,
        status=Payment.Status.PAID,
        paid_at=NOW - timedelta(days=3),
    )
    return Registrant.objects.create(
        webinar=webinar,
        email=f"b{n}@example.com",
        first_name="B",
        last_name=str(n),
        status=Registrant.Status.CONFIRMED,
        source=Registrant.Source.PAID,
        amount=amount,
        currency=currency,
        payment=payment,
    )


def row_of(html: str, title: str) -> str:
    start = html.index(f">{title}</a>")
    return html[start : html.index("</tr>", start)]


@time_machine.travel(NOW, tick=False)
def test_rows_show_status_sold_revenue_and_price(login, organizer):
    factories.StripeConnectionFactory(account=organizer.account)
    selling = factories.WebinarFactory(owner=organizer, title="Selling")
    factories.PriceFactory(webinar=selling, amount=5000, currency="EUR", enabled=True)
    sale(selling, 1, 5000, "EUR")
    sale(selling, 2, 5000, "EUR", refunded=2000)
    sale(selling, 3, 3000, "USD")
    full = factories.WebinarFactory(owner=organizer, title="Tiny", registration_limit=1)
    factories.RegistrantFactory(webinar=full)
    over = factories.WebinarFactory(owner=organizer, title="Past", sessions=0)
    factories.SessionFactory(
        webinar=over,
        starts_at=NOW - timedelta(days=2),
        ends_at=NOW - timedelta(days=2, hours=-1),
    )
    draft = factories.WebinarFactory(owner=organizer, title="Unscheduled", sessions=0)
    gone = factories.WebinarFactory(owner=organizer, title="Gone")
    gone.cancelled_at = NOW
    gone.save(update_fields=["cancelled_at"])
    assert draft and gone

    html = login(organizer).get(reverse("webinars:dashboard")).content.decode()

    selling_row = row_of(html, "Selling")
    assert "On sale" in selling_row
    assert "3 / 100" in selling_row
    assert "€80.00" in selling_row and "US$30.00" in selling_row
    assert "€50.00" in selling_row  # the price
    assert "Full" in row_of(html, "Tiny") and "1 / 1" in row_of(html, "Tiny")
    assert "Over" in row_of(html, "Past")
    assert "Draft" in row_of(html, "Unscheduled")
    cancelled = row_of(html, "Gone")
    assert "Cancelled" in cancelled and "Not sold" in cancelled


@time_machine.travel(NOW, tick=False)
def test_series_capacity_reads_per_session_on_the_dashboard_and_webinar_page(
    login, organizer
):
    series = factories.WebinarFactory(
        owner=organizer,
        title="Weekly clinic",
        registration_type=Webinar.RegistrationType.INDIVIDUAL_SESSION,
        sessions=4,
    )
    for session in series.sessions.all():
        factories.RegistrantFactory(webinar=series, session=session)
    client = login(organizer)

    row = row_of(client.get(reverse("webinars:dashboard")).text, "Weekly clinic")
    assert "4 / 100 per session" in row
    assert "400" not in row
    page = client.get(series.get_absolute_url()).text
    assert "Registration limit: 100 per session" in page
    assert "4 seats taken across the sessions; each session has 100 seats." in page
    assert "of 100 seats taken" not in page

    french = client.get(reverse("webinars:dashboard"), HTTP_ACCEPT_LANGUAGE="fr")
    assert "4 / 100 par session" in row_of(french.text, "Weekly clinic")


def series_of(organizer, title, *starts):
    """A series sold by session, limit 2, one one-hour session at each start."""
    series = factories.WebinarFactory(
        owner=organizer,
        title=title,
        registration_type=Webinar.RegistrationType.INDIVIDUAL_SESSION,
        registration_limit=2,
        sessions=0,
    )
    return [
        factories.SessionFactory(
            webinar=series, starts_at=start, ends_at=start + timedelta(hours=1)
        )
        for start in starts
    ]


def fill(session, seats=2):
    for _n in range(seats):
        factories.RegistrantFactory(webinar=session.webinar, session=session)


@time_machine.travel(NOW, tick=False)
def test_series_is_full_only_when_every_session_still_sold_is_full(login, organizer):
    # Seats of a past session fill nothing: the next one is still on sale.
    past, nxt = series_of(organizer, "Past sold out", NOW - 2 * DAY, NOW + DAY)
    fill(past)
    # One session full, the other with two seats left: 2 sold of 2 x 2.
    full_one, free_one = series_of(organizer, "Half full", NOW + DAY, NOW + 2 * DAY)
    fill(full_one)
    # Every session still to come at its limit; the past one had seats left.
    past_free, *to_come = series_of(
        organizer, "Sold out", NOW - 2 * DAY, NOW + DAY, NOW + 2 * DAY
    )
    for session in to_come:
        fill(session)
    # A session under way is still sold (as the registration page sells it).
    running, later = series_of(
        organizer, "Under way", NOW - timedelta(minutes=30), NOW + DAY
    )
    fill(later)
    # Every session past, each at its limit: over, not full.
    done = series_of(organizer, "Done", NOW - 3 * DAY, NOW - 2 * DAY)
    for session in done:
        fill(session)
    assert nxt and free_one and past_free and running

    html = login(organizer).get(reverse("webinars:dashboard")).text

    assert "On sale" in row_of(html, "Past sold out")
    assert "On sale" in row_of(html, "Half full")
    assert "Full" in row_of(html, "Sold out")
    assert "4 / 2 per session" in row_of(html, "Sold out")
    assert "On sale" in row_of(html, "Under way")
    done_row = row_of(html, "Done")
    assert "Over" in done_row and "Full" not in done_row


@time_machine.travel(NOW, tick=False)
def test_a_seat_offered_to_the_waitlist_is_taken_on_the_dashboard(
    login, organizer, django_capture_on_commit_callbacks
):
    webinar = full_webinar(owner=organizer, title="Offered")
    (entry,) = line_up(webinar, 1)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_registrant(a_confirmed(webinar), email=False)
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.OFFERED

    row = row_of(login(organizer).get(reverse("webinars:dashboard")).text, "Offered")

    # One confirmed, one seat held for the offer: as the registration page
    # counts them, none left to sell.
    assert seats_by_session(webinar) == {None: 2}
    assert "2 / 2" in row
    assert "Full" in row


@time_machine.travel(NOW, tick=False)
def test_a_session_offered_to_the_waitlist_is_taken_on_the_dashboard(
    login, organizer, django_capture_on_commit_callbacks
):
    (session,) = series_of(organizer, "Offered session", NOW + DAY)
    fill(session)
    session.webinar.waitlist_enabled = True
    session.webinar.save(update_fields=["waitlist_enabled"])
    line_up(session.webinar, 1, session=session)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_registrant(
            Registrant.objects.filter(session=session).first(), email=False
        )

    html = login(organizer).get(reverse("webinars:dashboard")).text

    row = row_of(html, "Offered session")
    assert "2 / 2 per session" in row
    assert "Full" in row


@time_machine.travel(NOW, tick=False)
def test_price_is_what_a_registrant_pays_now_with_the_regular_price(login, organizer):
    factories.StripeConnectionFactory(account=organizer.account)
    early = factories.WebinarFactory(owner=organizer, title="Early")
    price = factories.PriceFactory(
        webinar=early, amount=5000, currency="EUR", enabled=True
    )
    factories.PriceTierFactory(price=price, amount=3000, ends_at=NOW - DAY)
    # 9 December, 23:59 in Paris: the running tier.
    ends = datetime(2026, 12, 9, 22, 59, tzinfo=UTC)
    factories.PriceTierFactory(price=price, amount=4000, ends_at=ends)
    factories.PriceTierFactory(price=price, amount=4500, ends_at=ends + timedelta(2))
    plain = factories.WebinarFactory(owner=organizer, title="Plain")
    factories.PriceFactory(webinar=plain, amount=2000, currency="EUR", enabled=True)
    client = login(organizer)

    html = client.get(reverse("webinars:dashboard")).content.decode()
    row = row_of(html, "Early")
    assert "€40.00" in row and "€30.00" not in row and "€45.00" not in row
    assert "early-bird price until" in row
    assert '<time datetime="2026-12-09T23:59:00+01:00">Dec. 9, 2026, 11:59 p.m.' in row
    assert "Regular price: €50.00" in row
    plain_row = row_of(html, "Plain")
    assert "€20.00" in plain_row
    assert "early-bird" not in plain_row and "Regular price" not in plain_row

    french = client.get(reverse("webinars:dashboard"), HTTP_ACCEPT_LANGUAGE="fr")
    row = row_of(french.content.decode(), "Early")
    assert '40,00\u00a0€ <span class="muted">tarif de prévente jusqu’au' in row
    assert "Prix normal\u00a0: 50,00\u00a0€" in row

    # Once every tier is past, the regular price and nothing else.
    with time_machine.travel(ends + timedelta(3), tick=False):
        row = row_of(client.get(reverse("webinars:dashboard")).text, "Early")
    assert "€50.00" in row and "early-bird" not in row


@time_machine.travel(NOW, tick=False)
def test_price_that_cannot_be_taken_is_flagged(login, organizer):
    webinar = factories.WebinarFactory(owner=organizer, title="No Stripe")
    factories.PriceFactory(webinar=webinar, amount=5000, currency="EUR", enabled=True)
    html = login(organizer).get(reverse("webinars:dashboard")).content.decode()
    assert "Cannot take payments" in row_of(html, "No Stripe")
    assert "Needs your attention" in html


@time_machine.travel(NOW, tick=False)
def test_failed_emails_are_a_warning(login, organizer, webinar):
    registrant = factories.RegistrantFactory(webinar=webinar)
    EmailLog.objects.create(
        registrant=registrant,
        kind=EmailLog.Kind.CONFIRMATION,
        status=EmailLog.Status.FAILED,
    )
    html = login(organizer).get(reverse("webinars:dashboard")).content.decode()
    assert "1 email could not be delivered" in html


@time_machine.travel(NOW, tick=False)
def test_cancelled_webinar_page_looks_cancelled(login, organizer, webinar):
    factories.PriceFactory(webinar=webinar, amount=5000, currency="EUR", enabled=True)
    webinar.cancelled_at = timezone.now()
    webinar.save(update_fields=["cancelled_at"])
    client = login(organizer)
    html = client.get(webinar.get_absolute_url()).content.decode()
    assert "This webinar was cancelled on" in html
    assert "Payments on" not in html
    assert reverse("webinars:sessions_add", args=[webinar.pk]) not in html
    assert reverse("webinars:edit", args=[webinar.pk]) not in html
    assert client.get(reverse("webinars:edit", args=[webinar.pk])).status_code == 302
    section = client.get(reverse("payments:pricing", args=[webinar.pk])).content
    assert b"Turn payments" not in section


@time_machine.travel(NOW, tick=False)
def test_dashboard_query_count_is_pinned(login, organizer):
    """51 webinars and 1,000 registrants cost as many queries as 2 webinars."""
    factories.StripeConnectionFactory(account=organizer.account)
    client = login(organizer)

    def add_webinars(count, registrants_each):
        for _n in range(count):
            webinar = factories.WebinarFactory(owner=organizer)
            price = factories.PriceFactory(webinar=webinar, amount=1000, enabled=True)
            # An early bird running: its price is read with every other tier.
            factories.PriceTierFactory(price=price, amount=800, ends_at=NOW + DAY)
            Registrant.objects.bulk_create(
                Registrant(
                    webinar=webinar,
                    email=f"w{webinar.pk}r{i}@example.com",
                    first_name="R",
                    last_name=str(i),
                    status=Registrant.Status.CONFIRMED,
                    source=Registrant.Source.FREE,
                    join_token=f"j-{webinar.pk}-{i}",
                    cancel_token=f"c-{webinar.pk}-{i}",
                )
                for i in range(registrants_each)
            )
        recount_seat_counters()

    def count() -> int:
        client.get(reverse("webinars:dashboard"))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("webinars:dashboard")).status_code == 200
        return len(queries)

    add_webinars(2, 10)
    small = count()
    add_webinars(49, 20)
    assert Registrant.objects.count() == 1000
    assert count() == small == DASHBOARD_QUERIES


DASHBOARD_QUERIES = 18
