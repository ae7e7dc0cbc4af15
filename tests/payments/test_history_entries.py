"""History entries are kinds with parameters, worded in the reader's language.

An English organizer's price change reads in French, with French money and
dates, for a French co-organizer; the sentences written before kinds existed
are converted by the migration's function, unknown text kept verbatim.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from payments import codes, price_changes
from payments.legacy_history import (
    convert_price_changes,
    convert_refund_reasons,
    parse_price_change,
)
from payments.models import Payment, PriceChange, Refund
from tests.factories import PriceFactory, WebinarFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
# 3 December 2026, 14:00 in Paris (UTC+01:00 in winter).
TIER_END = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)
NBSP = "\u00a0"


def texts(price, language: str) -> list[str]:
    with translation.override(language):
        return [change.text for change in price.changes.order_by("pk")]


@pytest.fixture
def webinar():
    with time_machine.travel(NOW, tick=False):
        webinar = WebinarFactory(timezone="Europe/Paris")
    webinar.sessions.update(
        starts_at=NOW + timedelta(days=30), ends_at=NOW + timedelta(days=30, hours=1)
    )
    return webinar


@time_machine.travel(NOW, tick=False)
def test_a_change_written_in_english_reads_in_french(webinar):
    price = PriceFactory(webinar=webinar, amount=10000, currency="USD", enabled=False)
    user = webinar.owner.user
    with translation.override("en"):
        price_changes.set_price(webinar=webinar, amount=9000, currency="USD", user=user)
        price_changes.add_tier(
            webinar=webinar, amount=8000, ends_at=TIER_END, user=user
        )
        codes.create_code(webinar=webinar, code="SPRING", amount=5000, user=user)
    change = price.changes.order_by("pk").first()
    assert (change.kind, change.params) == (
        "price_changed",
        {"amount": 9000, "currency": "USD", "was_amount": 10000, "was_currency": "USD"},
    )
    assert change.description == ""
    assert texts(price, "en") == [
        "Price changed from US$100.00 to US$90.00.",
        "Early-bird price US$80.00 added, until Dec. 3, 2026, 2 p.m. "
        "(Europe/Paris, UTC+01:00).",
        "Discount code SPRING created at US$50.00.",
    ]
    assert texts(price, "fr") == [
        f"Prix modifié\u00a0: 100,00{NBSP}$US → 90,00{NBSP}$US.",
        f"Tarif de prévente de 80,00{NBSP}$US ajouté, jusqu’au 3 décembre 2026 "
        "14:00 (Europe/Paris, UTC+01:00).",
        f"Code de réduction SPRING créé à 50,00{NBSP}$US.",
    ]


@time_machine.travel(NOW, tick=False)
def test_the_payment_section_shows_the_history_in_the_readers_language(webinar, client):
    price = PriceFactory(webinar=webinar, amount=10000, currency="EUR", enabled=False)
    with translation.override("en"):
        price_changes.set_price(
            webinar=webinar, amount=9000, currency="EUR", user=webinar.owner.user
        )
    client.force_login(webinar.owner.user)
    page = client.get(
        reverse("payments:pricing", args=[webinar.pk]), HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert f"Prix modifié\u00a0: 100,00{NBSP}€ → 90,00{NBSP}€." in page
    assert "Price changed" not in page
    assert price.changes.count() == 1


def test_a_disconnection_entry_names_the_account_in_any_language(webinar):
    price = PriceFactory(webinar=webinar)
    PriceChange.objects.create(
        price=price, kind="stripe_disconnected", params={"account": "acct_…1234"}
    )
    assert texts(price, "fr") == [
        "Paiements désactivés\u00a0: compte Stripe acct_…1234 déconnecté."
    ]


def test_an_entry_whose_params_do_not_fit_says_what_it_is(webinar):
    price = PriceFactory(webinar=webinar)
    PriceChange.objects.create(price=price, kind="price_set", params={})
    assert texts(price, "en") == ["Price set"]


def test_a_refund_reason_is_worded_when_read_and_a_typed_one_as_typed(webinar):
    payment = Payment.objects.create(
        account=webinar.account,
        webinar=webinar,
        stripe_account_id="acct_1",
        checkout_session_id="cs_history",
        amount=5000,
        currency="EUR",
        status=Payment.Status.PAID,
    )
    denied = Refund.objects.create(
        payment=payment,
        amount=1000,
        reason_kind=Refund.ReasonKind.DENIED,
        idempotency_key="k1",
    )
    typed = Refund.objects.create(
        payment=payment, amount=1000, reason="Came late", idempotency_key="k2"
    )
    with translation.override("en"):
        assert denied.reason_text == "Registration denied by the organizer"
    with translation.override("fr"):
        assert denied.reason_text == "Inscription refusée par l’organisateur"
        assert typed.reason_text == "Came late"


# -- the migration's conversion ------------------------------------------------


def test_the_migration_converts_english_and_french_sentences(webinar):
    price = PriceFactory(webinar=webinar, amount=9000, currency="EUR")
    sentences = [
        "Price changed from €100.00 to €90.00.",
        f"Prix fixé à 90,00{NBSP}€.",
        "Payments turned off.",
        "Paiements activés.",
        "Payments turned off: Stripe account acct_…1234 disconnected.",
        "Early-bird price €80.00 added (until Dec. 3, 2026, 2 p.m.).",
        f"Tarif de prévente de 80,00{NBSP}€ jusqu’au 3 décembre 2026 14:30 supprimé.",
        "Discount code VIP-1 changed (€10.00).",
        "Code de réduction STOP désactivé.",
        "12 discount codes generated at US$5.00.",
        "Somebody wrote this by hand.",
        "Price changed from a lot to more.",
    ]
    for sentence in sentences:
        PriceChange.objects.create(price=price, description=sentence)

    assert convert_price_changes(PriceChange) == 10

    rows = list(price.changes.order_by("pk"))
    assert [(row.kind, row.params) for row in rows] == [
        (
            "price_changed",
            {
                "amount": 9000,
                "currency": "EUR",
                "was_amount": 10000,
                "was_currency": "EUR",
            },
        ),
        ("price_set", {"amount": 9000, "currency": "EUR"}),
        ("payments_off", {}),
        ("payments_on", {}),
        ("stripe_disconnected", {"account": "acct_…1234"}),
        (
            "tier_added",
            {"amount": 8000, "currency": "EUR", "ends_at": TIER_END.isoformat()},
        ),
        (
            "tier_removed",
            {
                "amount": 8000,
                "currency": "EUR",
                "ends_at": (TIER_END + timedelta(minutes=30)).isoformat(),
            },
        ),
        ("code_changed", {"code": "VIP-1", "amount": 1000, "currency": "EUR"}),
        ("code_deactivated", {"code": "STOP"}),
        ("codes_generated", {"count": 12, "amount": 500, "currency": "USD"}),
        ("legacy", {}),
        ("legacy", {}),
    ]
    with translation.override("fr"):
        assert rows[0].text == f"Prix modifié\u00a0: 100,00{NBSP}€ → 90,00{NBSP}€."
        assert rows[5].text == (
            f"Tarif de prévente de 80,00{NBSP}€ ajouté, jusqu’au 3 décembre 2026 "
            "14:00 (Europe/Paris, UTC+01:00)."
        )
        assert rows[10].text == "Somebody wrote this by hand."
    # Run again: nothing left to convert, nothing changed.
    assert convert_price_changes(PriceChange) == 0


def test_an_early_bird_entry_written_in_the_old_wording_reads_in_todays(webinar):
    # Sentences written before kinds existed put the moment in parentheses;
    # they still convert, then read without a parenthesis inside another.
    price = PriceFactory(webinar=webinar, amount=9000, currency="EUR")
    PriceChange.objects.create(
        price=price,
        description=(
            f"Tarif de prévente de 80,00{NBSP}€ ajouté (jusqu’au 3 décembre 2026 "
            "14:00)."
        ),
    )
    assert convert_price_changes(PriceChange) == 1
    row = price.changes.get()
    assert (row.kind, row.params["ends_at"]) == ("tier_added", TIER_END.isoformat())
    assert texts(price, "en") == [
        "Early-bird price €80.00 added, until Dec. 3, 2026, 2 p.m. "
        "(Europe/Paris, UTC+01:00)."
    ]
    # Today's wording is not mistaken for a sentence of the old days.
    assert (
        parse_price_change(
            "Early-bird price €80.00 added, until Dec. 3, 2026, 2 p.m.",
            currency="EUR",
            zone="Europe/Paris",
        )
        is None
    )


def test_an_amount_that_does_not_read_back_stays_legacy():
    assert (
        parse_price_change("Price set to €90.001.", currency="EUR", zone="UTC") is None
    )
    assert (
        parse_price_change(
            "Early-bird price €80.00 added (until Feb. 30, 2026, 2 p.m.).",
            currency="EUR",
            zone="UTC",
        )
        is None
    )


def test_the_migration_converts_refund_reasons_it_wrote(webinar):
    payment = Payment.objects.create(
        account=webinar.account,
        webinar=webinar,
        stripe_account_id="acct_1",
        checkout_session_id="cs_legacy",
        amount=5000,
        currency="EUR",
        status=Payment.Status.PAID,
    )
    reasons = [
        "Registration denied by the organizer",
        "Webinaire annulé par l’organisateur",
        "Toutes les places ont été prises avant la réception de votre paiement.",
        "The customer asked nicely",
        "",
    ]
    for n, reason in enumerate(reasons):
        Refund.objects.create(
            payment=payment, amount=100, reason=reason, idempotency_key=f"l{n}"
        )

    assert convert_refund_reasons(Refund) == 3

    rows = list(Refund.objects.order_by("pk"))
    assert [(row.reason_kind, row.reason) for row in rows] == [
        ("denied", ""),
        ("webinar_cancelled", ""),
        ("sold_out", ""),
        ("text", "The customer asked nicely"),
        ("text", ""),
    ]
    with translation.override("en"):
        assert rows[1].reason_text == "Webinar cancelled by the organizer"
