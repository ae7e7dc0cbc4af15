"""Enter in the registration form registers; Enter in the code field applies it.

"Apply" (name="apply_code") is the form's first submit button, so without
script Enter in any text field presses it (implicit submission). With no code
typed there is nothing to apply: the POST registers. With a code, it applies
the code as before (the page again, priced with it; nothing registered).
static/js/price.js sends Enter to the register button itself
(tests/e2e/test_paid_registration_browser.py).
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from payments.models import Payment
from registrations.models import Registrant
from tests import factories
from tests.registrations.checkout_support import form_data, session_id_of

pytestmark = pytest.mark.django_db


def enter(client, webinar, **overrides):
    """POST the form the way Enter in a field sends it without script."""
    data = form_data(**overrides)
    data["apply_code"] = "1"
    return client.post(webinar.get_registration_url(), data)


@pytest.mark.parametrize("code", ["", "   "])
def test_apply_with_no_code_registers_a_free_webinar(client, webinar, code):
    response = enter(client, webinar, discount_code=code)

    assert response.status_code == 303
    assert response["Location"].startswith(
        f"/register/{webinar.registration_key}/done/"
    )
    registrant = Registrant.objects.get()
    assert registrant.status == Registrant.Status.CONFIRMED
    assert registrant.email == "ada@example.com"


def test_apply_with_no_code_goes_to_checkout_on_a_paid_webinar(
    client, paid_webinar, stripe_sandbox
):
    response = enter(client, paid_webinar, discount_code="")

    assert response.status_code == 303
    payment = Payment.objects.get()
    assert payment.amount == 5000
    assert session_id_of(response["Location"]) == payment.checkout_session_id
    assert Registrant.objects.get().status == Registrant.Status.PENDING


def test_apply_with_no_code_and_bad_fields_shows_the_errors(client, webinar):
    response = enter(client, webinar, first_name="", email="not-an-email")

    assert response.status_code == 200
    page = response.text
    assert "This field is required." in page
    assert "Enter a valid email address." in page
    # Not the code's answer: the form's, beside each field.
    assert '<p id="price-code-message" role="status" aria-live="polite"></p>' in page
    assert not Registrant.objects.exists()


def test_apply_with_a_code_still_applies_it_and_registers_no_one(
    client, paid_webinar, stripe_sandbox
):
    factories.DiscountCodeFactory(webinar=paid_webinar, code="HALF", amount=2500)

    response = enter(client, paid_webinar, discount_code="half")

    assert response.status_code == 200
    page = response.text
    assert '<span class="price" id="price-amount">€25.00</span>' in page
    assert "With this code the price is €25.00." in page
    # What was typed stays, and no error is shown.
    assert 'value="Ada"' in page and 'value="half"' in page
    assert "errorlist" not in page
    assert not Registrant.objects.exists() and not Payment.objects.exists()


def test_apply_with_an_unknown_code_says_so_and_registers_no_one(
    client, paid_webinar, stripe_sandbox
):
    response = enter(client, paid_webinar, discount_code="NOPE")

    assert response.status_code == 200
    assert "This discount code is not valid." in response.text
    assert "€50.00" in response.text
    assert not Registrant.objects.exists()


def test_the_register_button_registers_with_a_code(
    client, paid_webinar, stripe_sandbox
):
    factories.DiscountCodeFactory(webinar=paid_webinar, code="HALF", amount=2500)

    response = client.post(
        paid_webinar.get_registration_url(), form_data(discount_code="HALF")
    )

    assert response.status_code == 303
    assert Payment.objects.get().amount == 2500


def test_the_script_gets_the_empty_code_message_in_the_page_language(client, webinar):
    english = client.get(webinar.get_registration_url()).text
    french = client.get(webinar.get_registration_url(), HTTP_ACCEPT_LANGUAGE="fr").text

    assert 'data-empty-code-message="Enter a discount code first."' in english
    assert 'data-empty-code-message="Saisissez d’abord un code de réduction."' in (
        french
    )


def test_a_code_below_the_early_bird_price_replaces_its_deadline(
    client, paid_webinar, stripe_sandbox
):
    """One line says what the code does; the early-bird deadline no longer
    sets the price, so it is not shown; a code above it says so."""
    price = paid_webinar.price
    factories.PriceTierFactory(
        price=price, amount=4000, ends_at=timezone.now() + timedelta(days=3)
    )
    factories.DiscountCodeFactory(webinar=paid_webinar, code="SAVE", amount=1900)
    factories.DiscountCodeFactory(webinar=paid_webinar, code="PARTNER", amount=4500)

    saving = enter(client, paid_webinar, discount_code="SAVE").text
    assert "With this code the price is €19.00." in saving
    assert 'id="price-code"' not in saving
    assert 'id="price-tier-end"' not in saving

    none = enter(client, paid_webinar, discount_code="PARTNER").text
    assert (
        "This code gives no lower price than the current one: you pay €40.00." in none
    )
    assert 'id="price-tier-end"' in none
