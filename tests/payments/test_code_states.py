"""Issue 15: discount code statuses tell the truth; generated codes are clean."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from payments.models import DiscountCode, Payment
from tests.factories import (
    DiscountCodeFactory,
    PriceFactory,
    RegistrantFactory,
)

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
State = DiscountCode.State


def held_by_checkout(code, status=Payment.Status.OPEN):
    payment = Payment.objects.create(
        account=code.webinar.account,
        webinar=code.webinar,
        stripe_account_id="acct_test",
        amount=code.amount or 100,
        currency="USD",
        status=status,
    )
    RegistrantFactory(
        webinar=code.webinar,
        status="pending_payment",
        source="paid",
        discount_code=code,
        payment=payment,
    )


@time_machine.travel(NOW, tick=False)
def test_each_state(webinar):
    def state(**fields):
        code = DiscountCodeFactory(webinar=webinar, **fields)
        held = DiscountCode.objects.with_held().get(pk=code.pk).held
        return code.state(at=NOW, held=held)

    hour = timedelta(hours=1)
    assert state(code="A") == State.ACTIVE
    assert state(code="B", active=False) == State.INACTIVE
    assert state(code="C", valid_from=NOW + hour) == State.SCHEDULED
    assert state(code="D", valid_until=NOW - hour) == State.EXPIRED
    assert state(code="E", valid_from=NOW - 2 * hour, valid_until=NOW) == (
        State.EXPIRED
    )
    assert state(code="F", max_uses=2, uses=2) == State.USED_UP
    held = DiscountCodeFactory(webinar=webinar, code="G", max_uses=1, uses=1)
    held_by_checkout(held)
    assert held.state(
        at=NOW, held=DiscountCode.objects.with_held().get(pk=held.pk).held
    ) == (State.HELD)
    paid = DiscountCodeFactory(webinar=webinar, code="H", max_uses=1, uses=1)
    held_by_checkout(paid, status=Payment.Status.PAID)
    assert DiscountCode.objects.with_held().get(pk=paid.pk).held == 0


@time_machine.travel(NOW, tick=False)
def test_payment_section_shows_the_true_states(webinar, login):
    PriceFactory(webinar=webinar, amount=10000, enabled=True)
    DiscountCodeFactory(webinar=webinar, code="LATER", valid_from=NOW + timedelta(1))
    DiscountCodeFactory(webinar=webinar, code="OLD", valid_until=NOW - timedelta(1))
    DiscountCodeFactory(webinar=webinar, code="GONE", max_uses=1, uses=1)
    body = (
        login(webinar.owner)
        .get(reverse("payments:pricing", args=[webinar.pk]))
        .content.decode()
    )
    for label in ("Scheduled", "Expired", "Used up"):
        assert f">{label}</span>" in body
    assert ">Active</span>" not in body
    csv = (
        login(webinar.owner)
        .get(reverse("payments:pricing_codes_csv", args=[webinar.pk]))
        .getvalue()
        .decode()
    )
    assert "GONE," in csv and ",used_up,0" in csv
    assert ",scheduled,0" in csv and ",expired,0" in csv


@pytest.mark.parametrize("prefix", ["VIP-", "VIP", " VIP- ", "VIP_"])
def test_generated_codes_have_one_separator(webinar, login, prefix):
    PriceFactory(webinar=webinar, amount=10000, enabled=True)
    login(webinar.owner).post(
        reverse("payments:pricing_codes_generate", args=[webinar.pk]),
        {"count": "3", "prefix": prefix, "amount": "25", "max_uses": "1"},
    )
    texts = list(DiscountCode.objects.values_list("code", flat=True))
    assert len(texts) == 3
    assert all(t.startswith("VIP-") and t[4] not in "-_" for t in texts), texts
