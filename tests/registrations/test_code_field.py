"""The discount code field: its refusal beside it, and no field when it is free.

A code that cannot be used is the code field's own error (next to it,
`aria-invalid`, named by `aria-describedby`), whether "Register and pay" or
"Apply" without script sent it. A webinar with nothing to pay shows no code
field and no "Apply"; a code posted to it anyway is ignored or answered.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from payments.models import Price
from registrations.models import Registrant
from tests import factories
from tests.registrations.checkout_support import form_data, make_paid_webinar, register

pytestmark = pytest.mark.django_db

INVALID = "This discount code is not valid."
FREE = "Registration is free; no code is needed."
CODE_INPUT = (
    '<input type="text" name="discount_code" value="nope"'
    ' autocomplete="off" aria-invalid="true" aria-describedby="id_discount_code_error"'
    ' id="id_discount_code">'
)
CODE_ERROR = (
    '<ul class="errorlist" id="id_discount_code_error"><li>' + INVALID + "</li></ul>"
)
# One polite live region beside the field holds the refusal; price.js writes
# its own there too (tests/e2e/test_paid_registration_browser.py).
CODE_FEEDBACK = '<div id="id_discount_code_feedback" aria-live="polite">'
EMPTY_CODE_MESSAGE = '<p id="price-code-message" role="status" aria-live="polite"></p>'


def apply_code(client: Client, webinar, code: str, **overrides):
    """ "Apply" without script: the form posted with `apply_code`."""
    data = form_data(discount_code=code, **overrides)
    data["apply_code"] = "1"
    return client.post(webinar.get_registration_url(), data)


def assert_code_refused(page: str) -> None:
    assert CODE_INPUT in page
    assert CODE_FEEDBACK + CODE_ERROR + "</div>" in page
    # Read once: in that region, not in an alert as well.
    assert '<div role="alert">' + CODE_ERROR not in page
    # Not above the form: beside the field only.
    assert page.count(INVALID) == 1
    assert "<title>Error:" in page
    assert EMPTY_CODE_MESSAGE in page


def test_register_and_pay_with_an_invalid_code_marks_the_code_field(
    client, paid_webinar
):
    response = register(client, paid_webinar, discount_code="nope")

    assert response.status_code == 200
    page = response.text
    assert_code_refused(page)
    # What was typed stays.
    assert 'value="Ada"' in page and 'value="ada@example.com"' in page
    assert not Registrant.objects.exists()


def test_a_used_up_code_is_refused_beside_the_field_too(client, paid_webinar):
    factories.DiscountCodeFactory(webinar=paid_webinar, code="nope", max_uses=1, uses=1)

    assert_code_refused(register(client, paid_webinar, discount_code="nope").text)


def test_an_invalid_code_for_a_series_is_refused_beside_the_field(client, paid_series):
    ids = list(paid_series.sessions.values_list("pk", flat=True))

    response = register(client, paid_series, discount_code="nope", session=ids)

    assert response.status_code == 200
    assert_code_refused(response.text)
    assert "checked" in response.text  # the sessions ticked stay ticked


def test_an_already_registered_email_with_an_invalid_code_marks_the_field(
    client, paid_webinar
):
    factories.RegistrantFactory(webinar=paid_webinar, email="ada@example.com")

    response = register(client, paid_webinar, discount_code="nope")

    assert response.status_code == 200
    assert_code_refused(response.text)


def test_apply_without_script_refuses_an_invalid_code_beside_the_field(
    client, paid_webinar
):
    response = apply_code(client, paid_webinar, "nope", first_name="")

    assert response.status_code == 200
    page = response.text
    assert_code_refused(page)
    # Only the code is judged: the empty first name is kept, not refused.
    assert "This field is required." not in page
    assert 'value="Lovelace"' in page
    assert "€50.00" in page
    assert not Registrant.objects.exists()


def test_a_free_webinar_shows_no_code_field_and_no_apply(client, webinar):
    page = client.get(webinar.get_registration_url()).text

    assert 'name="discount_code"' not in page
    assert 'id="discount-code-apply"' not in page
    assert 'name="first_name"' in page


def test_a_paid_webinar_shows_the_code_field_and_apply(client, paid_webinar):
    page = client.get(paid_webinar.get_registration_url()).text

    assert 'name="discount_code"' in page
    assert 'id="discount-code-apply"' in page
    # Empty, ready for what the script says about a code.
    assert CODE_FEEDBACK + "</div>" in page


def test_a_free_series_shows_no_code_field(client, organizer):
    webinar = factories.WebinarFactory(
        owner=organizer,
        account=organizer.account,
        registration_type="individual_session",
        sessions=2,
    )

    page = client.get(webinar.get_registration_url()).text

    assert 'name="session"' in page
    assert 'name="discount_code"' not in page


def test_a_price_switched_off_hides_the_code_field(client, paid_webinar):
    Price.objects.filter(webinar=paid_webinar).update(enabled=False)

    page = client.get(paid_webinar.get_registration_url()).text

    assert 'name="discount_code"' not in page


def test_a_code_that_makes_it_free_keeps_the_field(client, paid_webinar):
    factories.DiscountCodeFactory(webinar=paid_webinar, code="FREE", amount=0)

    page = apply_code(client, paid_webinar, "FREE").text

    assert "This code gives free registration." in page
    assert 'name="discount_code"' in page and 'value="FREE"' in page


def test_a_code_posted_to_a_free_webinar_is_ignored(client, webinar):
    response = register(client, webinar, discount_code="ANYTHING")

    assert response.status_code == 303
    registrant = Registrant.objects.get()
    assert registrant.discount_code is None and registrant.amount == 0


def test_an_overlong_code_posted_to_a_free_webinar_is_answered_above_the_form(
    client, webinar
):
    response = register(client, webinar, discount_code="c" * 41)

    assert response.status_code == 200
    page = response.text
    assert FREE in page
    assert 'name="discount_code"' not in page
    assert not Registrant.objects.exists()


def test_apply_without_script_on_a_free_webinar_says_no_code_is_needed(client, webinar):
    response = apply_code(client, webinar, "ANYTHING")

    assert response.status_code == 200
    page = response.text
    assert FREE in page
    assert 'name="discount_code"' not in page
    assert 'value="Ada"' in page
    assert not Registrant.objects.exists()


def test_an_early_bird_tier_keeps_the_field(client, organizer, stripe_sandbox):
    webinar = make_paid_webinar(
        owner=organizer, stripe_account=stripe_sandbox.demo_account
    )
    factories.PriceTierFactory(
        price=webinar.price, amount=2000, ends_at=timezone.now() + timedelta(days=1)
    )

    assert 'name="discount_code"' in client.get(webinar.get_registration_url()).text
