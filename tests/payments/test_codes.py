import csv
import io
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from payments import codes
from payments.errors import PaymentsError
from payments.models import DiscountCode, PriceChange
from tests.factories import (
    DiscountCodeFactory,
    OrganizerFactory,
    PriceFactory,
    PriceTierFactory,
    WebinarFactory,
)

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def url(name: str, webinar, *args) -> str:
    return reverse(f"payments:{name}", args=[webinar.pk, *args])


def paris(moment: datetime) -> str:
    return moment.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def priced(webinar):
    return PriceFactory(webinar=webinar, amount=10000, enabled=True)


@pytest.fixture
def owner_client(webinar, login):
    return login(webinar.owner)


def code_data(**overrides) -> dict:
    data = {
        "code": "SPRING-24",
        "amount": "50.00",
        "max_uses": "",
        "valid_from": "",
        "valid_until": "",
        "active": "on",
    }
    data.update(overrides)
    return data


# -- creating and editing ------------------------------------------------------------


def test_organizer_creates_a_discounted_code(webinar, priced, owner_client):
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(hours=1)
    response = owner_client.post(
        url("pricing_code_add", webinar),
        code_data(
            max_uses="10",
            valid_from=paris(start),
            valid_until=paris(start + timedelta(days=1)),
        ),
    )
    assert response.status_code == 302
    code = DiscountCode.objects.get()
    assert (code.code, code.amount, code.max_uses, code.active) == (
        "SPRING-24",
        5000,
        10,
        True,
    )
    assert code.valid_from == start
    assert code.valid_until == start + timedelta(days=1)
    assert "Discount code SPRING-24 created at US$50.00." in [
        c.text for c in PriceChange.objects.all()
    ]


def test_zero_code_gives_free_registration(webinar, priced, owner_client):
    owner_client.post(
        url("pricing_code_add", webinar), code_data(code="FREE", amount="0")
    )
    assert DiscountCode.objects.get(code="FREE").amount == 0
    body = owner_client.get(url("pricing", webinar)).content.decode()
    assert "FREE" in body and "Free" in body


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"code": "two words"}, "without spaces"),
        ({"code": "x" * 41}, "at most 40 characters"),
        ({"code": "bad!"}, "letters, digits, hyphens"),
        ({"code": ""}, "This field is required"),
        ({"amount": "100.01"}, "cannot be above the regular price (US$100.00)"),
        ({"amount": "-1"}, "cannot be negative"),
        ({"amount": "0.20"}, "Enter 0 (free) or at least US$0.50"),
        ({"amount": "1.234"}, "Use at most 2 decimals"),
        ({"amount": "ten"}, "Enter an amount such as 49.00"),
        ({"max_uses": "0"}, "Maximum uses must be at least 1"),
        ({"max_uses": "-3"}, "Maximum uses must be at least 1"),
        ({"max_uses": "many"}, "Enter a whole number"),
        (
            {"valid_from": "2031-01-02T10:00", "valid_until": "2031-01-01T10:00"},
            "“Valid until” must be after “valid from”",
        ),
        (
            {"valid_from": "2031-01-02T10:00", "valid_until": "2031-01-02T10:00"},
            "“Valid until” must be after “valid from”",
        ),
        ({"valid_from": "tomorrow"}, "Enter a valid date/time"),
    ],
)
def test_bad_codes_get_a_message_beside_the_field(
    overrides, message, webinar, priced, owner_client
):
    response = owner_client.post(
        url("pricing_code_add", webinar), code_data(**overrides)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not DiscountCode.objects.exists()


def test_duplicate_code_differing_only_in_case_is_refused(
    webinar, priced, owner_client
):
    DiscountCodeFactory(webinar=webinar, code="Spring")
    response = owner_client.post(
        url("pricing_code_add", webinar), code_data(code="sPRING")
    )
    assert response.status_code == 400
    assert "already exists for this webinar" in response.content.decode()
    assert DiscountCode.objects.count() == 1


def test_same_code_on_another_webinar_is_fine(webinar, priced, owner_client, organizer):
    DiscountCodeFactory(webinar=WebinarFactory(owner=organizer), code="SPRING")
    response = owner_client.post(
        url("pricing_code_add", webinar), code_data(code="spring")
    )
    assert response.status_code == 302


def test_code_needs_a_regular_price(webinar, owner_client):
    response = owner_client.post(url("pricing_code_add", webinar), code_data())
    assert response.status_code == 400
    assert "Set the regular price before creating discount codes" in (
        response.content.decode()
    )


def test_editing_a_code_keeps_its_uses(webinar, priced, owner_client):
    code = DiscountCodeFactory(webinar=webinar, code="EDIT", max_uses=5, uses=3)
    page = owner_client.get(url("pricing_code_edit", webinar, code.pk))
    assert 'value="50.00"' in page.content.decode()
    response = owner_client.post(
        url("pricing_code_edit", webinar, code.pk),
        code_data(code="Edit2", amount="40", max_uses="3"),
    )
    assert response.status_code == 302
    code.refresh_from_db()
    assert (code.code, code.amount, code.max_uses, code.uses) == ("Edit2", 4000, 3, 3)


def test_max_uses_cannot_go_below_uses_so_far(webinar, priced, owner_client):
    code = DiscountCodeFactory(webinar=webinar, code="USED", max_uses=5, uses=3)
    response = owner_client.post(
        url("pricing_code_edit", webinar, code.pk), code_data(code="USED", max_uses="2")
    )
    assert response.status_code == 400
    assert "cannot be below the uses so far (3)" in response.content.decode()
    code.refresh_from_db()
    assert code.max_uses == 5


def test_renaming_onto_another_code_in_other_case_is_refused(
    webinar, priced, owner_client
):
    DiscountCodeFactory(webinar=webinar, code="TAKEN")
    code = DiscountCodeFactory(webinar=webinar, code="MINE")
    response = owner_client.post(
        url("pricing_code_edit", webinar, code.pk), code_data(code="taken")
    )
    assert response.status_code == 400
    assert "already exists" in response.content.decode()


def test_deactivating_a_code_stops_it(webinar, priced, owner_client):
    code = DiscountCodeFactory(webinar=webinar, code="STOP", uses=2)
    response = owner_client.post(url("pricing_code_deactivate", webinar, code.pk))
    assert response.status_code == 302
    code.refresh_from_db()
    assert (code.active, code.uses) == (False, 2)
    assert "Discount code STOP deactivated." in [
        c.text for c in PriceChange.objects.all()
    ]


def test_another_webinars_code_is_a_404(webinar, priced, owner_client):
    other = WebinarFactory(owner=OrganizerFactory(account=webinar.account))
    code = DiscountCodeFactory(webinar=other)
    assert (
        owner_client.get(url("pricing_code_edit", webinar, code.pk)).status_code == 404
    )
    response = owner_client.post(url("pricing_code_deactivate", webinar, code.pk))
    assert response.status_code == 404
    code.refresh_from_db()
    assert code.active


def test_create_code_service_refuses_bad_text_directly(webinar, priced):
    for text in ("with space", "é", "a" * 41, ""):
        with pytest.raises(PaymentsError) as error:
            codes.create_code(webinar=webinar, code=text, amount=0, user=None)
        assert error.value.field == "code"


# -- bulk generation -----------------------------------------------------------------


def test_bulk_generation_creates_unique_random_codes(webinar, priced, owner_client):
    DiscountCodeFactory(webinar=webinar, code="EXISTING")
    response = owner_client.post(
        url("pricing_codes_generate", webinar),
        {"count": "50", "prefix": "VIP", "amount": "25", "max_uses": "1"},
    )
    assert response.status_code == 302
    generated = DiscountCode.objects.exclude(code="EXISTING")
    texts = [c.code for c in generated]
    assert len(texts) == 50
    assert len({t.upper() for t in texts}) == 50
    assert all(t.startswith("VIP-") and len(t) == 14 for t in texts)
    assert {(c.amount, c.max_uses, c.active) for c in generated} == {(2500, 1, True)}
    assert "50 discount codes generated at US$25.00." in [
        c.text for c in PriceChange.objects.all()
    ]


def test_bulk_generation_of_a_thousand_codes(webinar, priced):
    generated = codes.generate_codes(
        webinar=webinar, count=1000, amount=0, max_uses=None, user=None
    )
    assert len({c.code for c in generated}) == 1000
    assert DiscountCode.objects.filter(webinar=webinar).count() == 1000


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"count": "0"}, "Generate between 1 and 1000 codes"),
        ({"count": "1001"}, "Generate between 1 and 1000 codes"),
        ({"count": ""}, "This field is required"),
        ({"count": "3", "prefix": "has space"}, "for the prefix"),
        ({"count": "3", "amount": "200"}, "cannot be above the regular price"),
        ({"count": "3", "max_uses": "0"}, "Maximum uses must be at least 1"),
    ],
)
def test_bad_bulk_generation_is_refused(data, message, webinar, priced, owner_client):
    payload = {"amount": "10", "max_uses": "1", **data}
    response = owner_client.post(url("pricing_codes_generate", webinar), payload)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not DiscountCode.objects.exists()


# -- CSV export ----------------------------------------------------------------------


def test_csv_export_streams_every_code(webinar, priced, owner_client):
    DiscountCodeFactory(
        webinar=webinar,
        code="BETA",
        amount=0,
        max_uses=3,
        uses=1,
        valid_until=datetime(2031, 1, 1, 12, 0, tzinfo=UTC),
    )
    DiscountCodeFactory(webinar=webinar, code="ALPHA", amount=123456, active=False)
    response = owner_client.get(url("pricing_codes_csv", webinar))
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert text.splitlines()[0] == (
        "code,price_major_units,currency,max_uses,uses,valid_from,valid_until,active,"
        "status,held_by_open_checkouts"
    )
    assert [row[:8] for row in rows[1:]] == [
        ["ALPHA", "1234.56", "USD", "", "0", "", "", "no"],
        ["BETA", "0.00", "USD", "3", "1", "", "2031-01-01T13:00:00+01:00", "yes"],
    ]
    assert [row[8:] for row in rows[1:]] == [["inactive", "0"], ["active", "0"]]


def test_csv_export_has_only_this_webinars_codes(webinar, priced, owner_client):
    DiscountCodeFactory(webinar=WebinarFactory(owner=webinar.owner), code="ELSEWHERE")
    response = owner_client.get(url("pricing_codes_csv", webinar))
    assert "ELSEWHERE" not in b"".join(response.streaming_content).decode()


# -- the code-check endpoint ---------------------------------------------------------


@pytest.fixture
def fresh_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"code-check-{id(settings)}",
        }
    }


def check(client, webinar, code: str, **extra):
    return client.get(
        reverse("payments:code_check", args=[webinar.registration_key]),
        {"code": code},
        **extra,
    )


def test_code_check_gives_the_price_with_the_code(webinar, priced, client, fresh_cache):
    DiscountCodeFactory(webinar=webinar, code="EARLY", amount=5000)
    response = check(client, webinar, "early")
    assert response.status_code == 200
    assert response.json() == {
        "valid": True,
        "amount": 5000,
        "currency": "USD",
        "display": "US$50.00",
        "message": "With this code the price is US$50.00.",
        "tier_ends": False,
    }


def test_a_code_above_the_early_bird_price_says_it_lowers_nothing(
    webinar, priced, client, fresh_cache
):
    PriceTierFactory(
        price=priced, amount=3000, ends_at=timezone.now() + timedelta(days=2)
    )
    DiscountCodeFactory(webinar=webinar, code="PARTNER", amount=5000)
    answer = check(client, webinar, "partner").json()
    assert (answer["valid"], answer["amount"], answer["tier_ends"]) == (
        True,
        3000,
        True,
    )
    assert answer["message"] == (
        "This code gives no lower price than the current one: you pay US$30.00."
    )


def test_code_check_speaks_the_registrants_language(
    webinar, priced, client, fresh_cache
):
    DiscountCodeFactory(webinar=webinar, code="EARLY", amount=5000)
    response = check(client, webinar, "EARLY", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.json()["display"] == "50,00\xa0$US"


def test_code_check_for_a_zero_code(webinar, priced, client, fresh_cache):
    DiscountCodeFactory(webinar=webinar, code="FREE", amount=0)
    data = check(client, webinar, "FREE").json()
    assert (data["valid"], data["amount"], data["message"]) == (
        True,
        0,
        "This code gives free registration.",
    )


def test_code_check_says_the_same_for_every_invalid_code(
    webinar, priced, client, fresh_cache, organizer
):
    DiscountCodeFactory(webinar=webinar, code="OFF", active=False)
    DiscountCodeFactory(webinar=webinar, code="OLD", valid_until=timezone.now())
    DiscountCodeFactory(webinar=webinar, code="GONE", max_uses=1, uses=1)
    DiscountCodeFactory(
        webinar=webinar, code="LATER", valid_from=timezone.now() + timedelta(days=1)
    )
    DiscountCodeFactory(webinar=WebinarFactory(owner=organizer), code="OTHER")
    answers = [
        check(client, webinar, text).json()
        for text in ("NOPE", "OFF", "OLD", "GONE", "LATER", "OTHER", "", "x" * 500)
    ]
    assert all(a == answers[0] for a in answers)
    assert answers[0] == {
        "valid": False,
        "amount": 10000,
        "currency": "USD",
        "display": "US$100.00",
        "message": "This discount code is not valid.",
        "tier_ends": False,
    }


def test_code_check_on_a_free_webinar(webinar, client, fresh_cache):
    data = check(client, webinar, "ANY").json()
    assert (data["valid"], data["amount"]) == (False, 0)
    assert data["message"] == "Registration is free; no code is needed."


def test_code_check_with_an_unknown_key_is_a_404(client, fresh_cache):
    response = client.get("/register/not-a-key/code/", {"code": "X"})
    assert response.status_code == 404
    assert response.json()["valid"] is False


def test_code_check_is_rate_limited_per_client(webinar, priced, client, fresh_cache):
    with time_machine.travel(datetime(2030, 5, 1, 12, 0, 5, tzinfo=UTC), tick=False):
        for _ in range(20):
            assert (
                check(client, webinar, "X", REMOTE_ADDR="10.0.0.1").status_code == 200
            )
        limited = check(client, webinar, "X", REMOTE_ADDR="10.0.0.1")
        assert limited.status_code == 429
        assert limited.json()["valid"] is False
        # Another client is not affected.
        assert check(client, webinar, "X", REMOTE_ADDR="10.0.0.2").status_code == 200
    with time_machine.travel(datetime(2030, 5, 1, 12, 1, 5, tzinfo=UTC), tick=False):
        assert check(client, webinar, "X", REMOTE_ADDR="10.0.0.1").status_code == 200


def test_code_check_only_answers_get(webinar, priced, client, fresh_cache):
    url_ = reverse("payments:code_check", args=[webinar.registration_key])
    assert client.post(url_, {"code": "X"}).status_code == 405


def test_code_check_follows_the_pages_language_parameter(
    webinar, priced, client, fresh_cache
):
    DiscountCodeFactory(webinar=webinar, code="EARLY", amount=5000)
    response = client.get(
        reverse("payments:code_check", args=[webinar.registration_key]),
        {"code": "EARLY", "lang": "fr"},
    )
    assert response.json()["display"] == "50,00\xa0$US"
