"""A start's webinar row kept a moment by key (registrations.key_rows).

On PostgreSQL the starts of a sale read their webinar once per process and
half second. A row kept while another process changed the webinar, its price
or its Stripe connection (here: an UPDATE without the signals, as another
process's save looks from this one) never decides a start on its own.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from organizers import plain_sql
from payments.connect.connections import USABLE_SQL
from payments.models import Price, StripeConnection
from registrations import key_rows
from registrations.models import Registrant
from tests.registrations.checkout_support import make_paid_webinar, register

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

# The page's notice, or the refusal beside the form: neither holds a seat.
UNAVAILABLE = "Registration is temporarily unavailable"


@pytest.fixture
def paid(organizer, stripe_sandbox):
    return make_paid_webinar(
        owner=organizer, stripe_account=stripe_sandbox.demo_account
    )


@pytest.fixture
def clock(monkeypatch):
    """The keeper's clock, moved by hand."""
    now = [1000.0]
    monkeypatch.setattr(key_rows, "clock", lambda: now[0])
    return now


def key_reads(client, webinar, email: str) -> tuple[int, object]:
    """Start a registration; return how many statements read by key, and the answer."""
    with CaptureQueriesContext(connection) as queries:
        response = register(client, webinar, email=email)
    statements = [plain_sql.readable(q["sql"]) for q in queries.captured_queries]
    reads = [sql for sql in statements if "registration_key =" in sql]
    return len(reads), response


def test_the_next_start_reads_no_webinar_row(client, paid, clock):
    first, answer = key_reads(client, paid, "first@example.com")
    second, again = key_reads(client, paid, "second@example.com")

    assert (first, second) == (1, 0)
    assert answer.status_code == again.status_code == 303
    assert Registrant.objects.filter(webinar=paid).count() == 2


def test_the_row_is_read_again_after_half_a_second(client, paid, clock, settings):
    settings.REGISTRATION_KEY_ROW_SECONDS = 0.5
    key_reads(client, paid, "first@example.com")
    clock[0] += 0.49
    kept, _ = key_reads(client, paid, "second@example.com")
    clock[0] += 0.02
    read, _ = key_reads(client, paid, "third@example.com")

    assert (kept, read) == (0, 1)


def test_none_is_kept_when_the_setting_is_zero(client, paid, clock, settings):
    settings.REGISTRATION_KEY_ROW_SECONDS = 0
    reads = [key_reads(client, paid, f"r{n}@example.com")[0] for n in range(3)]

    assert reads == [1, 1, 1]


def test_a_webinar_saved_here_is_read_again_at_once(client, paid, clock):
    key_reads(client, paid, "first@example.com")
    paid.title = "Renamed"
    paid.save()

    read, _ = key_reads(client, paid, "second@example.com")

    assert read == 1


def test_a_price_changed_elsewhere_is_the_one_charged(client, paid, clock):
    key_reads(client, paid, "first@example.com")
    Price.objects.filter(webinar=paid).update(amount=7700)

    kept, answer = key_reads(client, paid, "second@example.com")

    assert kept == 0  # the row kept still says 50.00
    assert answer.status_code == 303
    registrant = Registrant.objects.get(email="second@example.com")
    assert registrant.amount == registrant.payment.amount == 7700


def test_a_full_webinar_elsewhere_sells_no_seat(client, paid, clock):
    key_reads(client, paid, "first@example.com")
    type(paid).objects.filter(pk=paid.pk).update(registration_limit=1)

    kept, answer = key_reads(client, paid, "second@example.com")

    assert kept == 0
    assert answer.status_code == 200
    assert not Registrant.objects.filter(email="second@example.com").exists()


@pytest.mark.parametrize(
    "change",
    [
        {"disconnected_at": timezone.now()},
        {"charges_enabled": False},
        {"details_submitted": False},
    ],
    ids=["disconnected", "charges disabled", "details missing"],
)
def test_a_connection_that_stopped_selling_elsewhere_sells_nothing(
    client, paid, clock, change
):
    key_reads(client, paid, "first@example.com")
    StripeConnection.objects.filter(account=paid.account).update(**change)

    kept, answer = key_reads(client, paid, "second@example.com")

    assert kept == 0
    assert answer.status_code == 200
    assert UNAVAILABLE in answer.content.decode()
    assert not Registrant.objects.filter(email="second@example.com").exists()


def test_a_code_start_reads_the_connection_again(client, paid, clock):
    """Any start the lock decides reads the connection again after a kept row."""
    from tests import factories

    factories.DiscountCodeFactory(webinar=paid, code="SAVE10", amount=1000)
    key_reads(client, paid, "first@example.com")
    StripeConnection.objects.filter(account=paid.account).update(charges_enabled=False)

    with CaptureQueriesContext(connection) as queries:
        answer = register(
            client, paid, email="second@example.com", discount_code="SAVE10"
        )

    assert answer.status_code == 200
    assert UNAVAILABLE in answer.content.decode()
    statements = [plain_sql.readable(q["sql"]) for q in queries.captured_queries]
    assert any("stripeconnection" in sql for sql in statements)


@pytest.mark.parametrize("disconnected", [False, True])
@pytest.mark.parametrize("charges", [False, True])
@pytest.mark.parametrize("details", [False, True])
def test_the_sql_of_a_usable_connection_is_the_model_s(
    organizer, disconnected, charges, details
):
    from tests import factories

    link = factories.StripeConnectionFactory(
        account=organizer.account,
        charges_enabled=charges,
        details_submitted=details,
        disconnected_at=timezone.now() if disconnected else None,
    )
    table = StripeConnection._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {USABLE_SQL.format(c='c')} FROM {table} c WHERE c.id = %s",  # noqa: S608
            [link.pk],
        )
        (usable,) = cursor.fetchone()

    assert usable is link.is_usable
