from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from payments.pricing import PricingError, quote, release_code_use, reserve_code_use
from tests.factories import (
    DiscountCodeFactory,
    PriceFactory,
    PriceTierFactory,
    WebinarFactory,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2030, 1, 10, 12, 0, tzinfo=UTC)


def test_webinar_without_price_is_free(webinar):
    q = quote(webinar=webinar)
    assert (q.amount, q.paid, q.discount_code, q.tier_ends_at) == (0, False, None, None)
    assert q.currency == "USD"


def test_disabled_payments_make_it_free_but_keep_the_regular_amount(webinar):
    PriceFactory(webinar=webinar, enabled=False, amount=4900, currency="EUR")
    q = quote(webinar=webinar, code="ANYTHING")
    assert (q.amount, q.paid, q.currency, q.regular_amount) == (0, False, "EUR", 4900)


def test_regular_price_applies_without_tiers(webinar):
    PriceFactory(webinar=webinar, amount=10000, currency="GBP")
    q = quote(webinar=webinar)
    assert (q.amount, q.currency, q.paid, q.tier_ends_at) == (10000, "GBP", True, None)


def test_price_of_zero_with_payments_on_is_not_paid(webinar):
    PriceFactory(webinar=webinar, amount=0)
    assert quote(webinar=webinar).paid is False


def test_first_tier_not_yet_past_gives_the_price(webinar):
    price = PriceFactory(webinar=webinar, amount=10000)
    early = PriceTierFactory(price=price, amount=6000, ends_at=T0 + timedelta(days=1))
    PriceTierFactory(price=price, amount=8000, ends_at=T0 + timedelta(days=5))
    q = quote(webinar=webinar, at=T0)
    assert (q.amount, q.tier_ends_at, q.regular_amount) == (6000, early.ends_at, 10000)


def test_tier_boundaries_switch_by_time_alone(webinar):
    price = PriceFactory(webinar=webinar, amount=10000)
    first_end = T0 + timedelta(days=1)
    second_end = T0 + timedelta(days=5)
    PriceTierFactory(price=price, amount=6000, ends_at=first_end)
    PriceTierFactory(price=price, amount=8000, ends_at=second_end)
    one_second = timedelta(seconds=1)
    with time_machine.travel(first_end - one_second, tick=False):
        assert quote(webinar=webinar).amount == 6000
    with time_machine.travel(first_end, tick=False):
        q = quote(webinar=webinar)
        assert (q.amount, q.tier_ends_at) == (8000, second_end)
    with time_machine.travel(second_end - one_second, tick=False):
        assert quote(webinar=webinar).amount == 8000
    with time_machine.travel(second_end, tick=False):
        q = quote(webinar=webinar)
        assert (q.amount, q.tier_ends_at) == (10000, None)


def test_code_gives_its_price_whatever_the_case(webinar):
    PriceFactory(webinar=webinar, amount=10000)
    code = DiscountCodeFactory(webinar=webinar, code="Early-Bird_1", amount=5000)
    q = quote(webinar=webinar, code="  early-BIRD_1 ")
    assert (q.amount, q.paid, q.discount_code) == (5000, True, code)


def test_zero_code_gives_free_registration(webinar):
    PriceFactory(webinar=webinar, amount=10000)
    DiscountCodeFactory(webinar=webinar, code="FREE", amount=0)
    q = quote(webinar=webinar, code="free")
    assert (q.amount, q.paid) == (0, False)
    assert q.discount_code.code == "FREE"


def test_code_never_raises_the_running_tier_price(webinar):
    price = PriceFactory(webinar=webinar, amount=10000)
    tier = PriceTierFactory(price=price, amount=4000, ends_at=T0 + timedelta(days=1))
    DiscountCodeFactory(webinar=webinar, code="HALF", amount=5000)
    q = quote(webinar=webinar, code="HALF", at=T0)
    assert (q.amount, q.tier_ends_at) == (4000, tier.ends_at)


@pytest.mark.parametrize(
    "fields",
    [
        {"active": False},
        {"valid_from": T0 + timedelta(seconds=1)},
        {"valid_until": T0},
        {"max_uses": 2, "uses": 2},
    ],
    ids=["inactive", "not_yet_valid", "expired", "used_up"],
)
def test_unusable_code_gets_the_one_invalid_message(webinar, fields):
    PriceFactory(webinar=webinar)
    DiscountCodeFactory(webinar=webinar, code="X1", **fields)
    with pytest.raises(PricingError) as unknown:
        quote(webinar=webinar, code="NOPE", at=T0)
    with pytest.raises(PricingError) as unusable:
        quote(webinar=webinar, code="X1", at=T0)
    assert unusable.value.message == unknown.value.message


def test_code_valid_inside_its_window(webinar):
    PriceFactory(webinar=webinar)
    DiscountCodeFactory(
        webinar=webinar,
        code="WIN",
        valid_from=T0,
        valid_until=T0 + timedelta(hours=1),
    )
    assert quote(webinar=webinar, code="WIN", at=T0).amount == 5000


def test_code_of_another_webinar_is_invalid(webinar, organizer):
    PriceFactory(webinar=webinar)
    other = WebinarFactory(owner=organizer)
    DiscountCodeFactory(webinar=other, code="OTHER")
    with pytest.raises(PricingError):
        quote(webinar=webinar, code="OTHER")


def test_quote_is_frozen(webinar):
    q = quote(webinar=webinar)
    with pytest.raises(AttributeError):
        q.amount = 1


def test_reserving_counts_a_use_and_releasing_gives_it_back(webinar):
    PriceFactory(webinar=webinar)
    code = DiscountCodeFactory(webinar=webinar, code="ONE", max_uses=1)
    reserve_code_use(code=code)
    assert code.uses == 1
    # The held last use makes the code unavailable to anyone else.
    with pytest.raises(PricingError):
        quote(webinar=webinar, code="ONE")
    with pytest.raises(PricingError):
        reserve_code_use(code=code)
    release_code_use(code=code)
    assert code.uses == 0
    assert quote(webinar=webinar, code="ONE").discount_code == code


def test_releasing_never_goes_below_zero(webinar):
    code = DiscountCodeFactory(webinar=webinar)
    release_code_use(code=code)
    assert code.uses == 0


def test_reserving_an_inactive_or_expired_code_fails(webinar):
    inactive = DiscountCodeFactory(webinar=webinar, active=False)
    expired = DiscountCodeFactory(
        webinar=webinar, valid_until=datetime(2000, 1, 1, tzinfo=UTC)
    )
    for code in (inactive, expired):
        with pytest.raises(PricingError):
            reserve_code_use(code=code)
        code.refresh_from_db()
        assert code.uses == 0


def test_unlimited_code_counts_every_use(webinar):
    code = DiscountCodeFactory(webinar=webinar, max_uses=None)
    for _ in range(3):
        reserve_code_use(code=code)
    assert code.uses == 3
