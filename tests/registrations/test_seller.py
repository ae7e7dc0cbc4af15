"""A start reads its Stripe connection before the capacity lock, once."""

import pytest
from django.db import connection as database
from django.utils import timezone

from registrations import start_sql
from registrations.seller import read_seller
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_free_webinar_read_with_its_price_reads_no_connection(
    webinar, django_assert_num_queries
):
    early = start_sql.webinar_by_key(webinar.registration_key)

    with django_assert_num_queries(0):
        seller = read_seller(early)

    assert not seller.read


def test_a_paid_webinar_s_connection_is_read_early_and_kept(
    webinar, django_assert_num_queries
):
    factories.PriceFactory(webinar=webinar)
    connection = factories.StripeConnectionFactory(account=webinar.account)
    early = start_sql.webinar_by_key(webinar.registration_key)

    seller = read_seller(early)

    assert seller.connection == connection
    with django_assert_num_queries(0):
        assert seller.for_locked(webinar) == connection


def test_payments_turned_on_after_the_early_read_read_the_connection_again(
    webinar,
):
    seller = read_seller(start_sql.webinar_by_key(webinar.registration_key))
    factories.PriceFactory(webinar=webinar)
    connection = factories.StripeConnectionFactory(account=webinar.account)

    assert seller.for_locked(webinar) == connection


def test_a_webinar_moved_to_another_owner_reads_the_connection_again(
    webinar, organizer
):
    factories.PriceFactory(webinar=webinar)
    seller = read_seller(start_sql.webinar_by_key(webinar.registration_key))
    connection = factories.StripeConnectionFactory(account=webinar.account)
    webinar.owner_id = -1  # as the locked row would say after a transfer

    assert seller.connection is None
    assert seller.for_locked(webinar) == connection


def test_a_webinar_read_without_its_price_reads_the_connection_early(
    webinar, django_assert_num_queries
):
    connection = factories.StripeConnectionFactory(account=webinar.account)
    webinar.refresh_from_db()

    with django_assert_num_queries(1):
        seller = read_seller(webinar)

    assert seller.read
    assert seller.connection == connection


@pytest.mark.postgres
def test_the_key_read_of_a_paid_webinar_brings_its_connection(
    webinar, django_assert_num_queries
):
    factories.PriceFactory(webinar=webinar)
    connection = factories.StripeConnectionFactory(account=webinar.account)

    with django_assert_num_queries(1):
        seller = read_seller(start_sql.webinar_by_key(webinar.registration_key))

    assert seller.read
    assert seller.connection == connection


@pytest.mark.postgres
def test_the_key_read_of_a_paid_webinar_without_a_connection_says_none(webinar):
    factories.PriceFactory(webinar=webinar)

    early = start_sql.webinar_by_key(webinar.registration_key)

    assert early.selling_connection is None


@pytest.mark.postgres
@pytest.mark.parametrize("price", ["none", "disabled"])
def test_the_key_read_of_a_free_webinar_never_reads_the_connections(webinar, price):
    if price == "disabled":
        factories.PriceFactory(webinar=webinar, enabled=False)
    factories.StripeConnectionFactory(account=webinar.account)
    sql = f"EXPLAIN (ANALYZE, COSTS OFF) {start_sql._by_key(lateral=True)}"

    with database.cursor() as cursor:
        cursor.execute(sql, [timezone.now(), webinar.registration_key])
        plan = "\n".join(row[0] for row in cursor.fetchall())

    scans = [line for line in plan.splitlines() if "stripeconnection" in line]
    assert scans, plan
    assert all("never executed" in line for line in scans), plan
    early = start_sql.webinar_by_key(webinar.registration_key)
    assert not hasattr(early, "selling_connection")
