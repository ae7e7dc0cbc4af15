import pytest
from django.utils import translation

from payments.models import CURRENCIES
from payments.money import MoneyError, format_amount, format_money, parse_money

NBSP = "\u00a0"
NNBSP = "\u202f"

# 1234567 minor units in each currency, as Babel writes them.
FORMATTED = {
    "USD": ("US$12,345.67", f"12{NNBSP}345,67{NBSP}$US"),
    "AUD": ("A$12,345.67", f"12{NNBSP}345,67{NBSP}$AU"),
    "CAD": ("CA$12,345.67", f"12{NNBSP}345,67{NBSP}$CA"),
    "CHF": ("CHF12,345.67", f"12{NNBSP}345,67{NBSP}CHF"),
    "DKK": ("DKK12,345.67", f"12{NNBSP}345,67{NBSP}DKK"),
    "EUR": ("€12,345.67", f"12{NNBSP}345,67{NBSP}€"),
    "GBP": ("£12,345.67", f"12{NNBSP}345,67{NBSP}£GB"),
    "MXN": ("MX$12,345.67", f"12{NNBSP}345,67{NBSP}$MX"),
    "NOK": ("NOK12,345.67", f"12{NNBSP}345,67{NBSP}NOK"),
    "SEK": ("SEK12,345.67", f"12{NNBSP}345,67{NBSP}SEK"),
}


def test_every_currency_has_a_formatting_case():
    assert sorted(FORMATTED) == sorted(CURRENCIES)


@pytest.mark.parametrize("currency", CURRENCIES)
def test_format_money_in_english_and_french(currency):
    english, french = FORMATTED[currency]
    assert format_money(1234567, currency, "en") == english
    assert format_money(1234567, currency, "fr") == french


@pytest.mark.parametrize("currency", CURRENCIES)
def test_format_money_follows_the_active_language(currency):
    english, french = FORMATTED[currency]
    with translation.override("fr"):
        assert format_money(1234567, currency) == french
    with translation.override("en"):
        assert format_money(1234567, currency) == english


def test_format_money_examples_from_the_issue():
    assert format_money(10000, "USD", "en") == "US$100.00"
    assert format_money(10000, "USD", "fr") == f"100,00{NBSP}$US"
    assert format_money(0, "EUR", "en") == "€0.00"


@pytest.mark.parametrize("currency", CURRENCIES)
@pytest.mark.parametrize("language", ["en", "fr"])
def test_parse_money_reads_back_what_format_money_writes(currency, language):
    for amount in (0, 5, 50, 4900, 120050, 1234567, 99_999_999):
        text = format_money(amount, currency, language)
        assert parse_money(text, currency, language) == amount
        assert (
            parse_money(format_amount(amount, currency, language), currency, language)
            == amount
        )


@pytest.mark.parametrize("currency", CURRENCIES)
@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("49.00", "en", 4900),
        ("49,00", "en", 4900),
        ("49,00", "fr", 4900),
        ("49.00", "fr", 4900),
        ("49", "en", 4900),
        ("49.5", "en", 4950),
        ("1 200,50", "fr", 120050),
        (f"1{NBSP}200,50", "fr", 120050),
        (f"1{NNBSP}200,50", "fr", 120050),
        ("1.200,50", "fr", 120050),
        ("1,200.50", "en", 120050),
        ("1,200", "en", 120000),
        ("1.200", "fr", 120000),
        ("1,234,567.89", "en", 123456789),
        ("  12.30  ", "en", 1230),
        ("0", "en", 0),
        ("0,00", "fr", 0),
    ],
)
def test_parse_money_accepts_how_people_write_money(currency, text, language, expected):
    assert parse_money(text, currency, language) == expected


@pytest.mark.parametrize("currency", CURRENCIES)
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-5", "cannot be negative"),
        ("-0.50", "cannot be negative"),
        ("\u22125", "cannot be negative"),
        ("", "Enter an amount"),
        ("   ", "Enter an amount"),
        ("abc", "Enter an amount such as 49.00"),
        ("12abc", "Enter an amount such as 49.00"),
        ("1e5", "Enter an amount such as 49.00"),
        ("NaN", "Enter an amount such as 49.00"),
        ("Infinity", "Enter an amount such as 49.00"),
        ("1..2", "Enter an amount such as 49.00"),
        ("1,2,3.4", "Enter an amount such as 49.00"),
        ("12 34", "Enter an amount such as 49.00"),
        ("1.2.3,4", "Enter an amount such as 49.00"),
        ("49.001", "at most 2 decimals"),
        ("0.125", "at most 2 decimals"),
    ],
)
def test_parse_money_refuses_what_is_not_money(currency, text, message):
    with pytest.raises(MoneyError) as error:
        parse_money(text, currency, "en")
    assert message in error.value.message


def test_parse_money_knows_english_thousands_from_french_decimals():
    # "1,234" groups thousands in English; in French it is 1.234, too precise.
    assert parse_money("1,234", "EUR", "en") == 123400
    with pytest.raises(MoneyError):
        parse_money("1,234", "EUR", "fr")


def test_parse_money_never_goes_through_float():
    # 0.29 * 100 is 28.999999999999996 in floating point.
    assert parse_money("0.29", "USD", "en") == 29
    assert parse_money("1 000 000,07", "EUR", "fr") == 100000007


def test_parse_money_uses_the_active_language_by_default():
    with translation.override("fr"):
        assert parse_money("1.200", "EUR") == 120000
    with translation.override("en"):
        assert parse_money("1,200", "EUR") == 120000
