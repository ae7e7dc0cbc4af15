import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from organizers.models import Account, Organizer
from payments import hooks
from payments.demo import connect_demo_account
from payments.models import DiscountCode, Payment, Price, StripeConnection
from payments.pricing import quote
from tests.factories import (
    DiscountCodeFactory,
    PriceFactory,
    PriceTierFactory,
    SessionFactory,
    StripeConnectionFactory,
    WebinarFactory,
)
from webinars.models import Webinar

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


def preview(client, webinar, **params):
    return client.get(reverse("payments:pricing_preview", args=[webinar.pk]), params)


@pytest.fixture
def paid(webinar):
    StripeConnectionFactory(account=webinar.account)
    return PriceFactory(webinar=webinar, amount=10000, enabled=True)


def test_preview_shows_price_and_tier_end_in_english(webinar, paid, login):
    ends = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    PriceTierFactory(price=paid, amount=8000, ends_at=ends)
    body = preview(login(webinar.owner), webinar, lang="en").content.decode()
    assert "US$80.00" in body
    assert "US$100.00" in body  # the regular price, struck through
    assert "Early-bird price until" in body
    assert 'name="discount_code"' in body  # the code field
    assert "Preview" in body


def test_preview_formats_money_in_french(webinar, paid, login):
    response = preview(login(webinar.owner), webinar, lang="fr")
    assert f"100,00{NBSP}$US" in response.content.decode()
    assert response["Content-Language"] == "fr"


def test_preview_applies_a_code(webinar, paid, login):
    DiscountCodeFactory(webinar=webinar, code="EARLY", amount=5000)
    body = preview(login(webinar.owner), webinar, code="early").content.decode()
    assert "US$50.00" in body
    assert "Price with the code EARLY" in body


def test_preview_shows_the_invalid_code_message(webinar, paid, login):
    body = preview(login(webinar.owner), webinar, code="NOPE").content.decode()
    assert "This discount code is not valid." in body
    assert "US$100.00" in body


def test_preview_works_with_payments_off_and_says_so(webinar, login):
    PriceFactory(webinar=webinar, amount=4900, currency="EUR", enabled=False)
    body = preview(login(webinar.owner), webinar, lang="en").content.decode()
    assert "Payments are off" in body
    assert "€49.00" in body


def test_preview_works_with_stripe_disconnected_and_says_so(webinar, login):
    PriceFactory(webinar=webinar, amount=4900, enabled=True)
    body = preview(login(webinar.owner), webinar).content.decode()
    assert "Stripe is not connected" in body
    assert "US$49.00" in body


def test_preview_of_a_free_webinar(webinar, login):
    body = preview(login(webinar.owner), webinar).content.decode()
    assert "No price is set" in body
    assert "Free" in body


def test_preview_creates_nothing(webinar, paid, login):
    code = DiscountCodeFactory(webinar=webinar, code="ONE", max_uses=1)
    client = login(webinar.owner)
    for lang in ("en", "fr", "de", ""):
        assert preview(client, webinar, lang=lang, code="ONE").status_code == 200
    code.refresh_from_db()
    assert code.uses == 0
    assert not Payment.objects.exists()
    assert not paid.changes.exists()


def test_unknown_language_falls_back(webinar, paid, login):
    body = preview(login(webinar.owner), webinar, lang="xx").content.decode()
    assert "US$100.00" in body


# -- seed_demo -------------------------------------------------------------------------


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_prices_the_beginners_webinar(settings):
    settings.STRIPE_SANDBOX = True
    seed()
    webinar = Webinar.objects.get(title="Project management for beginners")
    price = Price.objects.get(webinar=webinar)
    assert (price.amount, price.currency, price.enabled) == (10000, "USD", True)
    tier = price.tiers.get()
    assert tier.amount == 8000
    assert abs(tier.ends_at - (timezone.now() + timedelta(days=3))) < timedelta(
        minutes=2
    )
    codes = dict(webinar.discount_codes.values_list("code", "amount"))
    assert codes == {"FREE": 0, "EARLY": 5000}
    connection = StripeConnection.objects.get(
        account=webinar.account, disconnected_at__isnull=True
    )
    assert connection.stripe_account_id == settings.DEMO_STRIPE_ACCOUNT
    assert connection.is_usable


def test_seed_demo_pricing_is_idempotent(settings):
    settings.STRIPE_SANDBOX = True
    seed()
    seed()
    webinar = Webinar.objects.get(title="Project management for beginners")
    assert webinar.price.tiers.count() == 1
    assert DiscountCode.objects.filter(webinar=webinar).count() == 2
    account = Account.objects.get(name="Demo")
    assert StripeConnection.objects.filter(account=account).count() == 1


def test_seed_demo_without_the_sandbox_leaves_payments_off(settings):
    settings.STRIPE_SANDBOX = False
    seed()
    price = Price.objects.get(webinar__title="Project management for beginners")
    assert (price.amount, price.enabled) == (10000, False)
    assert not StripeConnection.objects.exists()


def test_demo_connection_is_not_duplicated_when_one_exists(settings):
    settings.STRIPE_SANDBOX = True
    seed()
    account = Account.objects.get(name="Demo")
    admin = Organizer.objects.get(account=account, role="admin")
    connect_demo_account(account=account, admin=admin)
    assert StripeConnection.objects.filter(account=account).count() == 1


def test_a_series_is_priced_per_session(organizer, login):
    series = WebinarFactory(
        owner=organizer, sessions=2, registration_type="individual_session"
    )
    PriceFactory(webinar=series, amount=2000)
    # The quote is what one registration for one chosen session costs.
    assert quote(webinar=series).amount == 2000


def test_submitting_the_preview_form_registers_no_one(webinar, paid, login):
    response = login(webinar.owner).post(
        reverse("payments:pricing_preview", args=[webinar.pk]),
        {"first_name": "A", "last_name": "B", "email": "a@b.org"},
    )
    assert response.status_code == 200
    assert "registering is disabled" in response.content.decode()
    assert not Payment.objects.exists()


def test_preview_uses_the_registration_page_template(webinar, paid, login):
    response = preview(login(webinar.owner), webinar)
    names = [t.name for t in response.templates]
    assert "registrations/register.html" in names
    assert "registrations/_price.html" in names


@pytest.mark.parametrize("registration_type", ["all_sessions", "individual_session"])
def test_preview_shows_session_times_in_the_webinars_time_zone(
    organizer, login, registration_type
):
    webinar = WebinarFactory(
        owner=organizer,
        sessions=0,
        timezone="America/New_York",
        registration_type=registration_type,
    )
    # 15:30 UTC on a winter day is 10:30 in New York (UTC-05:00).
    starts = timezone.now().replace(
        year=timezone.now().year + 1, month=1, day=15, hour=15, minute=30, second=0
    )
    for week in range(2):
        SessionFactory(
            webinar=webinar,
            starts_at=starts + timedelta(days=7 * week),
            ends_at=starts + timedelta(days=7 * week, hours=1),
        )
    body = preview(login(organizer), webinar, lang="en").content.decode()
    assert "10:30" in body
    assert "15:30" not in body
    assert "America/New_York" in body


def test_preview_shows_the_registration_pages_own_form(webinar, paid, login):
    body = preview(login(webinar.owner), webinar).content.decode()
    # Attributes only the registrations app's RegistrationForm sets.
    assert 'autocomplete="given-name"' in body
    assert 'autocomplete="email"' in body


def test_preview_fails_loudly_without_a_registration_form(webinar, paid, login):
    saved = list(hooks.registration_form_factory)
    for factory in saved:
        hooks.registration_form_factory.unregister(factory)
    try:
        with pytest.raises(RuntimeError, match="registration_form_factory"):
            preview(login(webinar.owner), webinar)
    finally:
        for factory in saved:
            hooks.registration_form_factory.register(factory)


CLOSED_BANNER = "Registration is closed: no session is still to come."


def test_preview_says_registration_is_closed_when_every_session_is_over(
    webinar, paid, login
):
    over = timezone.now().replace(microsecond=0) - timedelta(days=2)
    webinar.sessions.update(starts_at=over, ends_at=over + timedelta(hours=1))
    body = preview(login(webinar.owner), webinar).content.decode()
    assert CLOSED_BANNER in body


def test_preview_says_registration_is_closed_for_a_cancelled_webinar(
    webinar, paid, login
):
    Webinar.objects.filter(pk=webinar.pk).update(cancelled_at=timezone.now())
    body = preview(login(webinar.owner), webinar).content.decode()
    assert CLOSED_BANNER in body


def test_preview_of_an_on_demand_webinar_is_open_without_sessions(organizer, login):
    on_demand = WebinarFactory(owner=organizer, kind=Webinar.Kind.ON_DEMAND, sessions=0)
    body = preview(login(organizer), on_demand).content.decode()
    assert CLOSED_BANNER not in body


def test_preview_with_a_session_to_come_has_no_closed_banner(webinar, paid, login):
    body = preview(login(webinar.owner), webinar).content.decode()
    assert CLOSED_BANNER not in body


@pytest.mark.parametrize(
    ("policy", "stated"),
    [
        (Webinar.RefundPolicy.FULL_UNTIL, "Full refund if you cancel up to 24 hours"),
        (Webinar.RefundPolicy.NONE, "No refund on cancellation."),
    ],
)
def test_preview_states_the_refund_policy_the_page_states(
    client, webinar, paid, login, policy, stated
):
    webinar.refund_policy = policy
    webinar.refund_hours_before = 24
    webinar.refund_percent = 100
    webinar.save()

    previewed = preview(login(webinar.owner), webinar, lang="en").content.decode()
    client.logout()
    public = client.get(webinar.get_registration_url()).content.decode()

    for page in (previewed, public):
        assert stated in page
        assert "the recording is yours" not in page
