"""A start reads its Stripe connection before the capacity lock, once."""

import pytest

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
