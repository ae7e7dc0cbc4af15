import html
import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from payments.connect.account_sync import handle_deauthorized
from payments.models import CURRENCIES, Price, PriceChange, PriceTier
from tests.factories import (
    AccountFactory,
    DiscountCodeFactory,
    OrganizerFactory,
    PriceFactory,
    PriceTierFactory,
    StripeConnectionFactory,
    WebinarFactory,
    WebinarMemberFactory,
)

pytestmark = pytest.mark.django_db


def url(name: str, webinar, *args) -> str:
    return reverse(f"payments:{name}", args=[webinar.pk, *args])


def paris(moment) -> str:
    import zoneinfo

    return moment.astimezone(zoneinfo.ZoneInfo("Europe/Paris")).strftime(
        "%Y-%m-%dT%H:%M"
    )


@pytest.fixture
def connected(account):
    return StripeConnectionFactory(account=account)


@pytest.fixture
def priced(webinar):
    return PriceFactory(webinar=webinar, amount=10000, enabled=False)


# -- who may see it ----------------------------------------------------------------


def _member(kind: str, webinar):
    account = webinar.account
    if kind == "admin":
        return OrganizerFactory(account=account, role="admin")
    if kind == "owner":
        return webinar.owner
    if kind == "co_organizer":
        member = OrganizerFactory(account=account)
        WebinarMemberFactory(
            webinar=webinar, organizer=member, role="co_organizer", email="c@x.org"
        )
        return member
    if kind == "panelist":
        member = OrganizerFactory(account=account)
        WebinarMemberFactory(
            webinar=webinar, organizer=member, role="panelist", email="p@x.org"
        )
        return member
    if kind == "other_organizer":
        return OrganizerFactory(account=account)
    if kind == "other_account_admin":
        return OrganizerFactory(account=AccountFactory(), role="admin")
    raise AssertionError(kind)


ALLOWED = ["admin", "owner", "co_organizer"]
DENIED = ["other_organizer", "panelist", "other_account_admin"]


@pytest.mark.parametrize("kind", ALLOWED + DENIED)
def test_payment_pages_are_only_for_owner_co_organizers_and_admins(
    kind, webinar, priced, client
):
    member = _member(kind, webinar)
    code = DiscountCodeFactory(webinar=webinar, code="ROLE")
    tier = PriceTierFactory(price=priced)
    client.force_login(member.user)
    gets = [
        url("pricing", webinar),
        url("pricing_preview", webinar),
        url("pricing_codes_csv", webinar),
        url("pricing_code_edit", webinar, code.pk),
    ]
    posts = [
        (url("pricing_price", webinar), {"amount": "90.00", "currency": "USD"}),
        (url("pricing_switch", webinar), {"enabled": "0", "confirmed": "1"}),
        (url("pricing_code_deactivate", webinar, code.pk), {}),
        (url("pricing_tier_remove", webinar, tier.pk), {}),
    ]
    for target in gets:
        status = client.get(target).status_code
        assert status == (200 if kind in ALLOWED else 404), target
    for target, data in posts:
        status = client.post(target, data).status_code
        assert status == (302 if kind in ALLOWED else 404), target
    priced.refresh_from_db()
    assert (priced.amount == 9000) is (kind in ALLOWED)


def test_anonymous_visitors_are_sent_to_login(webinar, client):
    response = client.get(url("pricing", webinar))
    assert response.status_code == 302
    assert "login" in response["Location"]
    response = client.post(url("pricing_price", webinar), {"amount": "1"})
    assert response.status_code == 302
    assert not Price.objects.exists()


def test_console_page_shows_the_price_panel(webinar, priced, login):
    response = login(webinar.owner).get(reverse("webinars:detail", args=[webinar.pk]))
    body = response.content.decode()
    assert "US$100.00" in body
    assert url("pricing", webinar) in body
    assert url("pricing_preview", webinar) in body


def test_payment_section_query_count_is_bounded(
    webinar, priced, connected, login, django_assert_max_num_queries
):
    for index in range(30):
        DiscountCodeFactory(webinar=webinar, code=f"Q{index}")
    for day in (1, 2, 3):
        PriceTierFactory(
            price=priced,
            amount=9000 - day * 1000,
            ends_at=timezone.now() + timedelta(days=day),
        )
    PriceChange.objects.create(
        price=priced, changed_by=webinar.owner.user, description="x"
    )
    client = login(webinar.owner)
    with django_assert_max_num_queries(10):
        response = client.get(url("pricing", webinar))
    assert response.status_code == 200


# -- accept payments on/off --------------------------------------------------------


def test_payments_on_needs_a_usable_stripe_connection(webinar, priced, login):
    client = login(webinar.owner)
    response = client.post(
        url("pricing_switch", webinar), {"enabled": "1"}, follow=True
    )
    assert "connected Stripe account" in response.content.decode()
    priced.refresh_from_db()
    assert priced.enabled is False


def test_payments_on_is_refused_when_charges_are_disabled(webinar, priced, login):
    StripeConnectionFactory(account=webinar.account, charges_enabled=False)
    login(webinar.owner).post(url("pricing_switch", webinar), {"enabled": "1"})
    priced.refresh_from_db()
    assert priced.enabled is False


def test_payments_on_and_off_keep_the_price_and_write_history(
    webinar, priced, connected, login
):
    client = login(webinar.owner)
    client.post(url("pricing_switch", webinar), {"enabled": "1"})
    priced.refresh_from_db()
    assert priced.enabled is True
    asked = client.post(url("pricing_switch", webinar), {"enabled": "0"})
    assert "anyone who registers gets a seat without paying" in asked.text
    priced.refresh_from_db()
    assert priced.enabled is True
    client.post(url("pricing_switch", webinar), {"enabled": "0", "confirmed": "1"})
    priced.refresh_from_db()
    assert (priced.enabled, priced.amount) == (False, 10000)
    descriptions = [change.text for change in priced.changes.all()]
    assert descriptions == ["Payments turned off.", "Payments turned on."]
    assert {c.changed_by for c in priced.changes.all()} == {webinar.owner.user}


def test_page_opens_after_stripe_deauthorizes_the_account(webinar, connected, login):
    """The history line Stripe's deauthorization writes has no author."""
    PriceFactory(webinar=webinar, amount=10000, enabled=True)
    handle_deauthorized(stripe_account_id=connected.stripe_account_id)
    price = Price.objects.get(webinar=webinar)
    assert price.changes.filter(changed_by=None).exists()
    page = login(webinar.owner).get(url("pricing", webinar))
    assert page.status_code == 200
    assert "Stripe or system" in page.content.decode()


def test_a_history_line_whose_author_was_deleted_still_renders(webinar, priced, login):
    author = OrganizerFactory(account=webinar.account).user
    PriceChange.objects.create(price=priced, changed_by=author, description="Set.")
    author.delete()
    page = login(webinar.owner).get(url("pricing", webinar))
    assert page.status_code == 200
    assert "Stripe or system" in page.content.decode()


def test_payments_on_needs_a_price(webinar, connected, login):
    response = login(webinar.owner).post(
        url("pricing_switch", webinar), {"enabled": "1"}, follow=True
    )
    assert "Enter an amount between" in response.content.decode()
    assert not Price.objects.filter(enabled=True).exists()


def test_bad_switch_value_is_refused(webinar, login):
    response = login(webinar.owner).post(
        url("pricing_switch", webinar), {"enabled": "x"}
    )
    assert response.status_code == 302
    assert not Price.objects.filter(enabled=True).exists()


# -- price ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "currency", "expected"),
    [
        ("49.00", "USD", 4900),
        ("49,00", "EUR", 4900),
        ("1 200,50", "EUR", 120050),
        ("1,200.50", "GBP", 120050),
        ("1\u202f200,50", "SEK", 120050),
        ("25", "DKK", 2500),
    ],
)
def test_price_is_entered_as_people_write_money(
    text, currency, expected, webinar, login
):
    response = login(webinar.owner).post(
        url("pricing_price", webinar), {"amount": text, "currency": currency}
    )
    assert response.status_code == 302
    price = Price.objects.get(webinar=webinar)
    assert (price.amount, price.currency, price.enabled) == (expected, currency, False)


@pytest.mark.parametrize(
    ("text", "currency", "message"),
    [
        ("-5", "USD", "cannot be negative"),
        ("", "USD", "This field is required"),
        ("abc", "USD", "Enter an amount such as 49.00"),
        ("49.001", "USD", "Use at most 2 decimals for USD"),
        ("0.49", "USD", "Enter an amount between US$0.50 and US$999,999.99"),
        ("9.99", "MXN", "Enter an amount between MX$10.00 and MX$999,999.99"),
        ("2.49", "DKK", "between DKK2.50"),
        ("1000000", "USD", "and US$999,999.99"),
        ("10", "JPY", "Select a valid choice"),
    ],
)
def test_bad_prices_get_a_message_beside_the_field(
    text, currency, message, webinar, login
):
    response = login(webinar.owner).post(
        url("pricing_price", webinar), {"amount": text, "currency": currency}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Price.objects.filter(amount__gt=0).exists()


def test_price_change_is_recorded_with_who_and_what(webinar, priced, login):
    login(webinar.owner).post(
        url("pricing_price", webinar), {"amount": "90", "currency": "USD"}
    )
    change = priced.changes.get()
    assert change.changed_by == webinar.owner.user
    assert change.text == "Price changed from US$100.00 to US$90.00."
    body = login(webinar.owner).get(url("pricing", webinar)).content.decode()
    assert "Price changed from US$100.00 to US$90.00." in body


def test_price_cannot_drop_to_or_below_a_tier(webinar, priced, login):
    PriceTierFactory(price=priced, amount=8000)
    response = login(webinar.owner).post(
        url("pricing_price", webinar), {"amount": "80", "currency": "USD"}
    )
    assert response.status_code == 400
    assert "would not be cheaper" in response.content.decode()
    priced.refresh_from_db()
    assert priced.amount == 10000


def test_series_says_the_price_is_per_session(organizer, login):
    series = WebinarFactory(
        owner=organizer, sessions=3, registration_type="individual_session"
    )
    PriceFactory(webinar=series)
    body = login(organizer).get(url("pricing", series)).content.decode()
    assert "this price applies to each session chosen" in body
    preview = login(organizer).get(url("pricing_preview", series)).content.decode()
    assert "per session" in preview


# -- tiers ---------------------------------------------------------------------------


def test_tier_is_added_in_the_webinars_time_zone(webinar, priced, login):
    ends = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    response = login(webinar.owner).post(
        url("pricing_tier_add", webinar), {"amount": "80.00", "ends_at": paris(ends)}
    )
    assert response.status_code == 302
    tier = PriceTier.objects.get()
    assert (tier.amount, tier.ends_at) == (8000, ends)
    assert "Early-bird price US$80.00 added" in priced.changes.get().text


@pytest.mark.parametrize(
    ("amount", "ends_in", "message"),
    [
        ("80", timedelta(minutes=-5), "must end in the future"),
        ("80", timedelta(days=30), "before the webinar&#x27;s last session ends"),
        ("100", timedelta(days=2), "cheaper than the regular price"),
        ("120", timedelta(days=2), "cheaper than the regular price"),
        ("0.10", timedelta(days=2), "Enter an amount between"),
        ("abc", timedelta(days=2), "Enter an amount such as 49.00"),
    ],
)
def test_bad_tiers_are_refused(amount, ends_in, message, webinar, priced, login):
    ends = timezone.now() + ends_in
    response = login(webinar.owner).post(
        url("pricing_tier_add", webinar), {"amount": amount, "ends_at": paris(ends)}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not PriceTier.objects.exists()


def test_tiers_must_get_dearer_over_time(webinar, priced, login):
    now = timezone.now()
    PriceTierFactory(price=priced, amount=7000, ends_at=now + timedelta(days=2))
    client = login(webinar.owner)
    # Ends later but cheaper than the earlier tier: out of order.
    later = client.post(
        url("pricing_tier_add", webinar),
        {"amount": "60", "ends_at": paris(now + timedelta(days=4))},
    )
    assert later.status_code == 400
    assert "cost more than the tier ending earlier" in later.content.decode()
    # Ends earlier but not cheaper than the later tier.
    earlier = client.post(
        url("pricing_tier_add", webinar),
        {"amount": "70", "ends_at": paris(now + timedelta(days=1))},
    )
    assert earlier.status_code == 400
    assert "cheaper than the tier ending later" in earlier.content.decode()
    assert PriceTier.objects.count() == 1
    good = client.post(
        url("pricing_tier_add", webinar),
        {"amount": "50", "ends_at": paris(now + timedelta(days=1))},
    )
    assert good.status_code == 302
    assert PriceTier.objects.count() == 2


def test_tier_needs_a_regular_price_first(webinar, login):
    response = login(webinar.owner).post(
        url("pricing_tier_add", webinar),
        {"amount": "10", "ends_at": paris(timezone.now() + timedelta(days=1))},
    )
    assert response.status_code == 400
    assert "Set the regular price first" in response.content.decode()


def test_tier_with_a_missing_date_is_refused(webinar, priced, login):
    response = login(webinar.owner).post(
        url("pricing_tier_add", webinar), {"amount": "50", "ends_at": "soon"}
    )
    assert response.status_code == 400
    assert "Enter a valid date/time" in response.content.decode()


def test_removing_a_tier_is_recorded(webinar, priced, login):
    tier = PriceTierFactory(price=priced)
    response = login(webinar.owner).post(url("pricing_tier_remove", webinar, tier.pk))
    assert response.status_code == 302
    assert not PriceTier.objects.exists()
    assert "removed" in priced.changes.get().text


def test_removing_another_webinars_tier_is_a_404(webinar, priced, login, organizer):
    other = PriceFactory(webinar=WebinarFactory(owner=organizer))
    tier = PriceTierFactory(price=other)
    response = login(webinar.owner).post(url("pricing_tier_remove", webinar, tier.pk))
    assert response.status_code == 404
    assert PriceTier.objects.filter(pk=tier.pk).exists()


# -- the hint under the price: the chosen currency's limits ------------------------


def price_hint(body: str) -> str:
    """Return the text of the help under the regular price field."""
    start = body.index('<span class="helptext" id="price_amount_helptext">')
    return body[body.index(">", start) + 1 : body.index("</span>", start)]


def test_the_price_hint_states_the_saved_currencys_limits(webinar, login):
    PriceFactory(webinar=webinar, amount=10000, currency="EUR", enabled=False)

    body = login(webinar.owner).get(url("pricing", webinar)).content.decode()

    assert price_hint(body) == (
        "For example 49.00 or 1 200,50. "
        "Between €0.50 and €999,999.99 (Stripe&#x27;s limits)."
    )
    # Named by the amount's aria-describedby.
    assert 'aria-describedby="price_amount_helptext"' in body
    assert "US$" not in price_hint(body)


def test_the_price_hint_is_in_the_organizers_language(webinar, login):
    PriceFactory(webinar=webinar, amount=10000, currency="DKK", enabled=False)

    response = login(webinar.owner).get(
        url("pricing", webinar), HTTP_ACCEPT_LANGUAGE="fr"
    )

    assert price_hint(response.content.decode()) == (
        "Par exemple 49,00 ou 1 200,50. "
        "Entre 2,50\u00a0DKK et 999\u202f999,99\u00a0DKK (limites de Stripe)."
    )


def test_without_a_price_the_hint_states_the_default_currencys_limits(webinar, login):
    body = login(webinar.owner).get(url("pricing", webinar)).content.decode()

    assert "Between US$0.50 and US$999,999.99" in price_hint(body)


def test_a_refused_price_names_the_chosen_currencys_limits_twice(
    webinar, priced, login
):
    """Saved in US dollars, refused in pesos: the hint follows the pesos."""
    response = login(webinar.owner).post(
        url("pricing_price", webinar), {"amount": "9.99", "currency": "MXN"}
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert "Between MX$10.00 and MX$999,999.99" in price_hint(body)
    assert "Enter an amount between MX$10.00 and MX$999,999.99." in body
    assert '<option value="MXN" selected>' in body
    assert "US$" not in price_hint(body)


def test_a_currency_posted_that_is_not_sold_keeps_the_saved_ones_hint(
    webinar, priced, login
):
    response = login(webinar.owner).post(
        url("pricing_price", webinar), {"amount": "10", "currency": "JPY"}
    )

    assert response.status_code == 400
    assert "Between US$0.50" in price_hint(response.content.decode())


def test_the_currency_select_carries_every_currencys_hint_for_the_script(
    webinar, priced, login
):
    body = (
        login(webinar.owner)
        .get(url("pricing", webinar), HTTP_ACCEPT_LANGUAGE="fr")
        .content.decode()
    )

    select = body[body.index('<select name="currency"') :]
    select = select[: select.index(">")]
    attribute = select[select.index('data-amount-help="') + 18 :]
    hints = json.loads(html.unescape(attribute[: attribute.index('"')]))
    assert sorted(hints) == sorted(CURRENCIES)
    assert hints["SEK"] == (
        "Par exemple 49,00 ou 1 200,50. "
        "Entre 3,00\u00a0SEK et 999\u202f999,99\u00a0SEK (limites de Stripe)."
    )
    assert 'data-amount-help-for="price_amount_helptext"' in select
    assert "js/price-limits.js" in body
