"""Saving a price offers to turn payments on, or says why registration stays free."""

import pytest
from django.urls import reverse
from django.utils import timezone

from payments import price_changes
from payments.errors import PaymentsError
from payments.models import Price
from tests.factories import PriceFactory, StripeConnectionFactory

pytestmark = pytest.mark.django_db

BOX = 'name="turn_payments_on"'


def url(name: str, webinar) -> str:
    return reverse(f"payments:{name}", args=[webinar.pk])


def save_price(client, webinar, *, ticked: bool, amount: str = "49.00"):
    data = {"amount": amount, "currency": "USD"}
    if ticked:
        data["turn_payments_on"] = "on"
    return client.post(url("pricing_price", webinar), data, follow=True)


@pytest.fixture
def connected(account):
    return StripeConnectionFactory(account=account)


def test_price_form_offers_payments_on_ticked_when_stripe_can_charge(
    webinar, connected, login
):
    page = login(webinar.owner).get(url("pricing", webinar)).text
    box = page[page.index(BOX) - 80 : page.index(BOX) + 120]
    assert 'type="checkbox"' in box
    assert "checked" in box
    assert "Turn payments on: registrants pay this price" in page
    assert "A price alone sells nothing" not in page


def test_saving_a_price_ticked_turns_payments_on_in_the_same_save(
    webinar, connected, login
):
    response = save_price(login(webinar.owner), webinar, ticked=True)
    price = Price.objects.get(webinar=webinar)
    assert (price.amount, price.enabled) == (4900, True)
    assert "Price saved. Payments are on: registrants pay this price." in response.text
    assert "Registrants pay by card through Stripe Checkout." in response.text
    assert [change.text for change in price.changes.order_by("pk")] == [
        "Price set to US$49.00.",
        "Payments turned on.",
    ]


def test_unticking_the_box_saves_the_price_and_says_payments_are_still_off(
    webinar, connected, login
):
    response = save_price(login(webinar.owner), webinar, ticked=False)
    price = Price.objects.get(webinar=webinar)
    assert (price.amount, price.enabled) == (4900, False)
    assert "Payments are still off: registration stays free" in response.text


def test_without_stripe_the_price_is_saved_and_the_message_links_to_connect(
    webinar, login
):
    client = login(webinar.owner)
    page = client.get(url("pricing", webinar)).text
    assert BOX not in page
    assert "A price alone sells nothing" in page

    # A box posted anyway (a form from before a disconnection) is ignored.
    response = save_price(client, webinar, ticked=True)

    price = Price.objects.get(webinar=webinar)
    assert (price.amount, price.enabled) == (4900, False)
    settings_link = (
        f'<a href="{reverse("payments:stripe_settings")}">'
        "Connect Stripe in the Payments settings</a>"
    )
    assert (
        "Price saved, but registration stays free until Stripe is connected. "
        + settings_link
    ) in response.text


def test_a_connection_that_cannot_charge_is_named_in_the_message(webinar, login):
    StripeConnectionFactory(account=webinar.account, charges_enabled=False)
    response = save_price(login(webinar.owner), webinar, ticked=True)
    assert not Price.objects.get(webinar=webinar).enabled
    assert "until the connected Stripe account can take payments" in response.text
    assert "Open the Payments settings</a>" in response.text


def test_the_message_is_in_french_for_a_french_organizer(webinar, login):
    client = login(webinar.owner)
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    response = save_price(client, webinar, ticked=False, amount="49,00")
    assert (
        "Prix enregistré, mais l’inscription reste gratuite tant que Stripe "
        "n’est pas connecté."
    ) in response.text
    assert "Connecter Stripe dans les paramètres de paiement</a>" in response.text


def test_with_payments_on_a_new_price_is_just_saved(webinar, connected, login):
    PriceFactory(webinar=webinar, amount=10000, enabled=True)
    client = login(webinar.owner)
    assert BOX not in client.get(url("pricing", webinar)).text
    response = save_price(client, webinar, ticked=False)
    price = Price.objects.get(webinar=webinar)
    assert (price.amount, price.enabled) == (4900, True)
    assert "Price saved." in response.text
    assert "still off" not in response.text


def test_a_cancelled_webinar_offers_no_box(webinar, connected, login):
    webinar.cancelled_at = timezone.now()
    webinar.save(update_fields=["cancelled_at"])
    client = login(webinar.owner)
    assert BOX not in client.get(url("pricing", webinar)).text
    save_price(client, webinar, ticked=True)
    assert not Price.objects.get(webinar=webinar).enabled


def test_without_a_price_the_switch_points_to_the_price_form(webinar, connected, login):
    page = login(webinar.owner).get(url("pricing", webinar)).text
    assert "Set the regular price below: the same save can turn payments on." in page
    assert 'name="enabled" value="1"' not in page


def test_a_bad_price_with_the_box_ticked_changes_nothing(webinar, connected, login):
    response = login(webinar.owner).post(
        url("pricing_price", webinar),
        {"amount": "0.10", "currency": "USD", "turn_payments_on": "on"},
    )
    assert response.status_code == 400
    assert "Enter an amount between" in response.text
    assert not Price.objects.filter(enabled=True).exists()


# -- the service: the turn-on operation's rules, in one transaction ------------------


def test_set_price_turning_payments_on_runs_the_turn_on_checks(webinar, organizer):
    with pytest.raises(PaymentsError, match="connected Stripe account"):
        price_changes.set_price(
            webinar=webinar,
            amount=4900,
            currency="USD",
            user=organizer.user,
            turn_payments_on=True,
        )
    # Both or neither: the refused turn-on leaves no price behind either.
    assert not Price.objects.filter(webinar=webinar, amount=4900).exists()


def test_set_price_turning_payments_on_refuses_a_cancelled_webinar(
    webinar, connected, organizer
):
    PriceFactory(webinar=webinar, amount=10000, enabled=False)
    webinar.cancelled_at = timezone.now()
    webinar.save(update_fields=["cancelled_at"])
    with pytest.raises(PaymentsError, match="cancelled"):
        price_changes.set_price(
            webinar=webinar,
            amount=4900,
            currency="USD",
            user=organizer.user,
            turn_payments_on=True,
        )
    price = Price.objects.get(webinar=webinar)
    assert (price.amount, price.enabled) == (10000, False)
    assert not price.changes.exists()


def test_set_price_turns_payments_on_when_the_price_is_unchanged(
    webinar, connected, organizer
):
    PriceFactory(webinar=webinar, amount=4900, currency="USD", enabled=False)
    price = price_changes.set_price(
        webinar=webinar,
        amount=4900,
        currency="USD",
        user=organizer.user,
        turn_payments_on=True,
    )
    assert price.enabled is True
    assert [change.text for change in price.changes.all()] == ["Payments turned on."]
