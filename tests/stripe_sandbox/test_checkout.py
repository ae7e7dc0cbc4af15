"""Checkout Sessions on the sandbox: Stripe's validation, reads, expiry, hosted page."""

import re
import time

import pytest
import stripe

from tests.sandbox_fixtures import ASYNC_CARD, DECLINE_CARD, http, session_params

DEMO = "acct_1TesseraDemo0001"
ON_DEMO = {"stripe_account": DEMO}


def create(sdk, options=None, **params):
    return sdk.v1.checkout.sessions.create(session_params(**params), options or ON_DEMO)


def refused(sdk, **params) -> stripe.InvalidRequestError:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        create(sdk, **params)
    return caught.value


def test_create_returns_an_open_session_with_a_hosted_url(stripe_sandbox, stripe_sdk):
    session = create(stripe_sdk, amount=5000, currency="eur")

    assert session["id"].startswith("cs_test_")
    assert session["status"] == "open"
    assert session["payment_status"] == "unpaid"
    assert session["amount_total"] == 5000
    assert session["currency"] == "eur"
    assert session["payment_intent"] is None
    assert session["metadata"].to_dict() == {"registrant": "1"}
    assert session["client_reference_id"] == "registrant-1"
    assert session["url"] == f"{stripe_sandbox.url}/c/pay/{session['id']}"


def test_unsupported_currency_is_refused(stripe_sandbox, stripe_sdk):
    error = refused(stripe_sdk, currency="jpy")

    assert error.http_status == 400
    assert error.param == "line_items[0][price_data][currency]"


@pytest.mark.parametrize(
    ("currency", "minimum"),
    [("usd", 50), ("gbp", 30), ("dkk", 250), ("mxn", 1000), ("nok", 300)],
)
def test_amount_below_the_currency_minimum_is_amount_too_small(
    stripe_sandbox, stripe_sdk, currency, minimum
):
    error = refused(stripe_sdk, amount=minimum - 1, currency=currency)

    assert error.code == "amount_too_small"
    assert create(stripe_sdk, amount=minimum, currency=currency)["status"] == "open"


def test_amount_above_the_maximum_is_refused(stripe_sandbox, stripe_sdk):
    error = refused(stripe_sdk, amount=100_000_000)

    assert error.param == "line_items[0][price_data][unit_amount]"
    assert create(stripe_sdk, amount=99_999_999)["amount_total"] == 99_999_999


def test_zero_total_is_refused(stripe_sandbox, stripe_sdk):
    assert refused(stripe_sdk, amount=0).code == "amount_too_small"


def test_missing_line_items_are_refused(stripe_sandbox, stripe_sdk):
    params = session_params()
    del params["line_items"]

    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_sdk.v1.checkout.sessions.create(params, ON_DEMO)

    assert caught.value.param == "line_items"
    assert caught.value.code == "parameter_missing"


@pytest.mark.parametrize("expires_in", [20 * 60, 25 * 60 * 60])
def test_expires_at_outside_30_minutes_to_24_hours_is_refused(
    stripe_sandbox, stripe_sdk, expires_in
):
    assert refused(stripe_sdk, expires_in=expires_in).param == "expires_at"


def test_application_fee_is_refused_without_a_connected_account(
    stripe_sandbox, stripe_sdk
):
    params = session_params(payment_intent_data={"application_fee_amount": 100})

    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_sdk.v1.checkout.sessions.create(params)

    assert caught.value.param == "payment_intent_data[application_fee_amount]"


def test_account_without_charges_enabled_cannot_create_sessions(
    stripe_sandbox, stripe_sdk
):
    account = stripe_sandbox.create_account(charges_enabled=False)

    with pytest.raises(stripe.InvalidRequestError):
        create(stripe_sdk, {"stripe_account": account})


def test_retrieve_expands_payment_intent_charge_and_balance_transaction(
    stripe_sandbox, stripe_sdk
):
    params = session_params(payment_intent_data={"application_fee_amount": 200})
    session = stripe_sdk.v1.checkout.sessions.create(params, ON_DEMO)
    stripe_sandbox.complete(session["id"])

    session = stripe_sdk.v1.checkout.sessions.retrieve(
        session["id"],
        {"expand": ["payment_intent.latest_charge.balance_transaction"]},
        ON_DEMO,
    )

    intent = session["payment_intent"]
    txn = intent["latest_charge"]["balance_transaction"]
    assert session["status"] == "complete"
    assert session["payment_status"] == "paid"
    assert intent["status"] == "succeeded"
    assert intent["application_fee_amount"] == 200
    assert intent["latest_charge"]["application_fee_amount"] == 200
    assert txn["amount"] == 5000
    # 2.9% + 30 of 5000, plus the platform's 200.
    assert txn["fee"] == 145 + 30 + 200
    assert txn["net"] == 5000 - 375


def test_payment_intent_retrieve_expands_its_charge(stripe_sandbox, stripe_sdk):
    session = create(stripe_sdk, payment_intent_data={"metadata": {"registrant": "1"}})
    stripe_sandbox.complete(session["id"])
    session = stripe_sdk.v1.checkout.sessions.retrieve(session["id"], None, ON_DEMO)

    intent = stripe_sdk.v1.payment_intents.retrieve(
        session["payment_intent"], {"expand": ["latest_charge"]}, ON_DEMO
    )

    assert intent["latest_charge"]["object"] == "charge"
    assert isinstance(intent["latest_charge"]["balance_transaction"], str)
    assert intent["metadata"].to_dict() == {"registrant": "1"}


def test_list_filters_by_payment_intent_and_pages(stripe_sandbox, stripe_sdk):
    first, second, third = (create(stripe_sdk) for _ in range(3))
    stripe_sandbox.complete(second["id"])
    paid = stripe_sdk.v1.checkout.sessions.retrieve(second["id"], None, ON_DEMO)

    page = stripe_sdk.v1.checkout.sessions.list({"limit": 2}, ON_DEMO)
    found = stripe_sdk.v1.checkout.sessions.list(
        {"payment_intent": paid["payment_intent"]}, ON_DEMO
    )

    assert [s["id"] for s in page.data] == [third["id"], second["id"]]
    assert page.has_more
    assert [s["id"] for s in page.auto_paging_iter()] == [
        third["id"],
        second["id"],
        first["id"],
    ]
    assert [s["id"] for s in found.data] == [second["id"]]


def test_expire_closes_an_open_session(stripe_sandbox, stripe_sdk):
    session = create(stripe_sdk)

    expired = stripe_sdk.v1.checkout.sessions.expire(session["id"], None, ON_DEMO)

    assert expired["status"] == "expired"
    assert expired["url"] is None


def test_expire_refuses_a_session_that_is_not_open(stripe_sandbox, stripe_sdk):
    session = create(stripe_sdk)
    stripe_sandbox.complete(session["id"])

    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_sdk.v1.checkout.sessions.expire(session["id"], None, ON_DEMO)

    assert "complete" in caught.value.user_message


def test_moving_the_clock_past_expires_at_expires_the_session(
    stripe_sandbox, stripe_sdk
):
    session = create(stripe_sdk, expires_in=31 * 60)

    stripe_sandbox.advance_clock(32 * 60)

    again = stripe_sdk.v1.checkout.sessions.retrieve(session["id"], None, ON_DEMO)
    events = stripe_sdk.v1.events.list({"type": "checkout.session.expired"}, ON_DEMO)
    assert again["status"] == "expired"
    assert [e["data"]["object"]["id"] for e in events.data] == [session["id"]]


# -- the hosted page ------------------------------------------------------------


def test_hosted_page_shows_item_amount_and_account(stripe_sandbox, stripe_sdk):
    session = create(stripe_sdk, amount=4250, currency="gbp", name="Python & You")

    page = http("GET", session["url"])

    assert page.status == 200
    assert 'name="card_number"' in page.text
    assert "Python &amp; You" in page.text
    assert "£42.50" in page.text
    assert "Demo Webinars Ltd" in page.text


def test_paying_with_4242_completes_and_redirects_to_success_url(
    stripe_sandbox, stripe_sdk
):
    session = create(stripe_sdk)

    answer = stripe_sandbox.pay(session["id"])

    paid = stripe_sdk.v1.checkout.sessions.retrieve(session["id"], None, ON_DEMO)
    assert answer.status == 303
    assert answer.location == f"http://app.test/paid/?session={session['id']}"
    assert paid["status"] == "complete"
    assert paid["payment_status"] == "paid"
    assert paid["payment_intent"].startswith("pi_")
    assert paid["url"] is None


def test_declined_card_rerenders_the_page_and_leaves_the_session_open(
    stripe_sandbox, stripe_sdk
):
    session = create(stripe_sdk)

    answer = stripe_sandbox.pay(session["id"], card=DECLINE_CARD)

    again = stripe_sdk.v1.checkout.sessions.retrieve(session["id"], None, ON_DEMO)
    assert answer.status == 200
    assert "Your card was declined." in answer.text
    assert again["status"] == "open"
    assert again["payment_intent"] is None


@pytest.mark.parametrize(
    ("card", "brand"),
    [
        ("4242 4242 4242 4242", "visa"),
        ("5555 5555 5555 4444", "mastercard"),
        ("3782 822463 10005", "amex"),
        ("6011 1111 1111 1117", "discover"),
        ("6011111111111117", "discover"),
    ],
)
def test_stripes_test_cards_of_each_brand_pay(stripe_sandbox, stripe_sdk, card, brand):
    session = create(stripe_sdk)

    answer = stripe_sandbox.pay(session["id"], card=card)

    paid = stripe_sdk.v1.checkout.sessions.retrieve(
        session["id"], {"expand": ["payment_intent.latest_charge"]}, ON_DEMO
    )
    details = paid["payment_intent"]["latest_charge"]["payment_method_details"]
    assert answer.status == 303
    assert paid["payment_status"] == "paid"
    assert details["card"]["brand"] == brand
    assert details["card"]["network"] == brand
    assert details["card"]["last4"] == card.replace(" ", "")[-4:]


def french_page(sdk, sandbox, card=None, **params):
    session = create(sdk, locale="fr", amount=4250, currency="eur", **params)
    if card is None:
        return http("GET", session["url"])
    return sandbox.pay(session["id"], card=card)


def test_the_hosted_page_speaks_the_sessions_locale(stripe_sandbox, stripe_sdk):
    page = french_page(stripe_sdk, stripe_sandbox).text

    assert "<html lang='fr'>" in page
    assert '<label for="card_number">Numéro de carte</label>' in page
    assert ">Payer</button>" in page
    assert "Annuler</button>" in page
    assert "42,50\u00a0€" in page
    assert "Card number" not in page


def test_french_pages_use_the_typographic_apostrophe_and_no_break_spaces(
    stripe_sandbox, stripe_sdk
):
    session = create(stripe_sdk, locale="fr", amount=4250, currency="eur")
    unknown = session["url"].replace(session["id"], "cs_test_unknown")

    open_page = http("GET", session["url"]).text
    stripe_sandbox.pay(session["id"])
    closed_page = http("GET", session["url"]).text
    missing = http("GET", unknown, headers={"Accept-Language": "fr"}).text

    assert "Stripe\u00a0: mode test, aucun argent réel n’est débité." in open_page
    assert ">Date d’expiration (toute date future)</label>" in open_page
    assert "Cartes de test\u00a0: 4242" in open_page
    assert "reste en cours jusqu’au règlement." in open_page
    assert "est terminée\u00a0: le paiement a déjà été effectué." in closed_page
    assert "Cette session de paiement n’existe pas." in missing
    for page in (open_page, closed_page, missing):
        assert "&#x27;" not in page
        assert not re.search(r" [:;?!]\s", page.split("<body>")[1])


def test_a_french_decline_says_so_in_french(stripe_sandbox, stripe_sdk):
    page = french_page(stripe_sdk, stripe_sandbox, card=DECLINE_CARD).text

    assert "<html lang='fr'>" in page
    assert "Votre carte a été refusée." in page


def test_auto_locale_follows_the_browser(stripe_sandbox, stripe_sdk):
    session = create(stripe_sdk, locale="auto")

    french = http("GET", session["url"], headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    english = http("GET", session["url"], headers={"Accept-Language": "en-GB"})

    assert "<html lang='fr'>" in french.text
    assert "<html lang='en'>" in english.text
    assert '<label for="card_number">Card number</label>' in english.text


def test_unknown_card_number_is_refused_on_the_page(stripe_sandbox, stripe_sdk):
    session = create(stripe_sdk)

    answer = stripe_sandbox.pay(session["id"], card="1234 5678")

    assert "Your card number is incorrect." in answer.text


def test_cancel_returns_to_cancel_url_and_leaves_the_session_open(
    stripe_sandbox, stripe_sdk
):
    session = create(stripe_sdk)

    answer = stripe_sandbox.cancel(session["id"])

    assert answer.status == 303
    assert answer.location == "http://app.test/cancelled/"
    again = stripe_sdk.v1.checkout.sessions.retrieve(session["id"], None, ON_DEMO)
    assert again["status"] == "open"


def test_async_card_completes_unpaid_and_settles_later(stripe_sandbox, stripe_sdk):
    session = create(stripe_sdk)

    stripe_sandbox.pay(session["id"], card=ASYNC_CARD)
    pending = stripe_sdk.v1.checkout.sessions.retrieve(
        session["id"], {"expand": ["payment_intent"]}, ON_DEMO
    )
    stripe_sandbox.settle_payment(pending["payment_intent"]["id"], "succeeded")
    settled = stripe_sdk.v1.checkout.sessions.retrieve(
        session["id"], {"expand": ["payment_intent"]}, ON_DEMO
    )

    assert pending["status"] == "complete"
    assert pending["payment_status"] == "unpaid"
    assert pending["payment_intent"]["status"] == "processing"
    assert settled["payment_status"] == "paid"
    assert settled["payment_intent"]["status"] == "succeeded"
    types = [e["type"] for e in stripe_sdk.v1.events.list(None, ON_DEMO).data]
    assert "checkout.session.async_payment_succeeded" in types


def test_async_payment_can_fail(stripe_sandbox, stripe_sdk):
    session = create(stripe_sdk)
    stripe_sandbox.complete(session["id"], "async")
    intent_id = stripe_sandbox.object(session["id"])["payment_intent"]

    stripe_sandbox.settle_payment(intent_id, "failed")

    intent = stripe_sdk.v1.payment_intents.retrieve(intent_id, None, ON_DEMO)
    failed = stripe_sdk.v1.events.list(
        {"type": "checkout.session.async_payment_failed"}, ON_DEMO
    )
    assert intent["status"] == "requires_payment_method"
    assert [e["data"]["object"]["payment_status"] for e in failed.data] == ["unpaid"]


def test_page_of_a_completed_or_expired_session_says_so(stripe_sandbox, stripe_sdk):
    paid, expired = create(stripe_sdk), create(stripe_sdk)
    stripe_sandbox.pay(paid["id"])
    stripe_sandbox.expire(expired["id"])

    assert "already made" in http("GET", stripe_sandbox.checkout_url(paid["id"])).text
    assert "expired" in http("GET", stripe_sandbox.checkout_url(expired["id"])).text
    assert stripe_sandbox.pay(paid["id"]).status == 200


def test_sessions_created_under_time_travel_follow_the_travelled_clock(
    stripe_sandbox, stripe_sdk
):
    now = stripe_sandbox.advance_clock(3600)

    session = create(stripe_sdk, now=now)

    assert session["expires_at"] - now == 31 * 60
    assert now >= int(time.time()) + 3600 - 5
