"""The hosted checkout page's words in each language it speaks, and its amounts.

A session's `locale` picks the language, as on Stripe's hosted Checkout:
`fr`, `fr-CA` and friends speak French, everything else English; `auto` (or no
locale) follows the browser's Accept-Language.
"""

from __future__ import annotations

from . import objects

ENGLISH = "en"
FRENCH = "fr"

# Each English text, as the page writes it, and its French (French typography:
# a no-break space before : ; ? ! and the apostrophe ’).
_FRENCH = {
    "Stripe sandbox: test mode, no real money moves.": (
        "Bac à sable Stripe\u00a0: mode test, aucun argent réel n’est débité."
    ),
    "Pay": "Payer",
    "Cancel": "Annuler",
    "Email": "E-mail",
    "Card number": "Numéro de carte",
    "Expiry (any future date)": "Date d’expiration (toute date future)",
    "CVC (any 3 digits)": "CVC (3 chiffres quelconques)",
    "Test cards: 4242 4242 4242 4242 (Visa), 5555 5555 5555 4444 (Mastercard), "
    "3782 822463 10005 (Amex) and 6011 1111 1111 1117 (Discover) pay, "
    "4000 0000 0000 0002 is declined, 4000 0000 0000 0077 stays processing "
    "until settled.": (
        "Cartes de test\u00a0: 4242 4242 4242 4242 (Visa), 5555 5555 5555 4444 "
        "(Mastercard), 3782 822463 10005 (Amex) et 6011 1111 1111 1117 "
        "(Discover) paient, 4000 0000 0000 0002 est refusée, "
        "4000 0000 0000 0077 reste en cours jusqu’au règlement."
    ),
    "Your card was declined.": "Votre carte a été refusée.",
    "Your card has insufficient funds.": "Les fonds de votre carte sont insuffisants.",
    "Your card has expired.": "Votre carte a expiré.",
    "Your card number is incomplete.": "Le numéro de votre carte est incomplet.",
    "Your card number is incorrect.": "Le numéro de votre carte est incorrect.",
    "Checkout closed": "Paiement clos",
    "This checkout session has expired.": "Cette session de paiement a expiré.",
    "This checkout session is complete: the payment was already made.": (
        "Cette session de paiement est terminée\u00a0: le paiement a déjà été effectué."
    ),
    "Thank you": "Merci",
    "Your payment went through.": "Votre paiement a été accepté.",
    "Cancelled": "Annulé",
    "You can close this page.": "Vous pouvez fermer cette page.",
    "Not found": "Introuvable",
    "No such checkout session.": "Cette session de paiement n’existe pas.",
}
_FRENCH_SYMBOLS = {"usd": "$US", "aud": "$AU", "cad": "$CA", "eur": "€", "gbp": "£GB"}


def language(locale: str | None, accept_language: str = "") -> str:
    """Return the page's language for a session locale (and the browser's)."""
    if not locale or locale == "auto":
        first = accept_language.split(",")[0].strip()
        locale = first.split(";")[0]
    return FRENCH if locale.lower().split("-")[0] == FRENCH else ENGLISH


def translate(text: str, lang: str) -> str:
    """Return `text` in `lang` (the English text when there is no translation)."""
    return _FRENCH.get(text, text) if lang == FRENCH else text


def format_amount(amount: int, currency: str, lang: str = ENGLISH) -> str:
    """Format minor units as the page shows them: `£42.50`, or `42,50 £GB`."""
    if lang == FRENCH:
        major = f"{amount / 100:,.2f}".replace(",", "\u202f").replace(".", ",")
        symbol = _FRENCH_SYMBOLS.get(currency, currency.upper())
        return f"{major}\u00a0{symbol}"
    return objects.format_amount(amount, currency)
