"""HTML of the sandbox's hosted pages: Checkout and the OAuth consent screen."""

from __future__ import annotations

import base64
import hashlib
from html import escape
from typing import Any

from .locales import ENGLISH, format_amount, translate

_STYLE = """
body{font-family:system-ui,sans-serif;background:#f6f9fc;color:#1a1f36;margin:0}
main{max-width:28rem;margin:3rem auto;background:#fff;padding:2rem;
border-radius:8px;box-shadow:0 2px 8px rgba(0,0,0,.08)}
.sandbox{background:#ffde92;padding:.4rem .8rem;text-align:center;font-size:.85rem}
.sandbox p{margin:0}
.amount{font-size:2rem;font-weight:600;margin:.25rem 0 1rem}
label{display:block;margin:1rem 0 .3rem;font-size:.9rem}
input{width:100%;padding:.6rem;font-size:1rem;box-sizing:border-box}
button{margin-top:1rem;padding:.7rem 1.2rem;font-size:1rem;line-height:1.2;
cursor:pointer;background:#fff;color:#1a1f36;border:1px solid #635bff;border-radius:4px}
.primary{background:#635bff;color:#fff}
.error{color:#df1b41;margin-top:.8rem}
.muted{color:#697386;font-size:.85rem}
"""

# The pages' own Content-Security-Policy, as Stripe's hosted pages send theirs:
# no script at all, and only the stylesheet above (by its hash). Sent by
# web.html_response; the app's policy (django-csp) leaves an existing header alone.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; "
    "style-src 'sha256-"
    + base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
    + "'; img-src data:; base-uri 'none'; frame-ancestors 'none'"
)


def _document(title: str, body: str, lang: str = ENGLISH) -> str:
    """Return a page: the sandbox banner as its header, then `body` as its main.

    All of a page's content lies in a landmark, so that a screen reader user
    can reach each part (axe's `region` rule).
    """
    banner = translate("Stripe sandbox: test mode, no real money moves.", lang)
    return (
        f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<header class='sandbox'><p>{escape(banner)}</p></header>"
        f"<main>{body}</main></body></html>"
    )


TEST_CARDS = (
    "Test cards: 4242 4242 4242 4242 (Visa), 5555 5555 5555 4444 (Mastercard), "
    "3782 822463 10005 (Amex) and 6011 1111 1111 1117 (Discover) pay, "
    "4000 0000 0000 0002 is declined, 4000 0000 0000 0077 stays processing "
    "until settled."
)


def checkout(
    session: dict[str, Any],
    *,
    business_name: str,
    lang: str = ENGLISH,
    error: str | None = None,
) -> str:
    """Render the hosted payment page of an open session, in `lang`."""
    items = session["_line_items"]
    name = ", ".join(item["description"] for item in items)
    amount = format_amount(session["amount_total"], session["currency"], lang)
    email = session["customer_email"] or ""
    error_html = (
        f"<p class='error' role='alert'>{escape(translate(error, lang))}</p>"
        if error
        else ""
    )

    def t(text: str) -> str:
        return escape(translate(text, lang))

    body = f"""
<p class="muted">{t("Pay")}
  <strong class="business">{escape(business_name)}</strong></p>
<h1 class="item">{escape(name)}</h1>
<p class="amount">{escape(amount)}</p>
<form method="post">
  <label for="email">{t("Email")}</label>
  <input id="email" name="email" type="email" value="{escape(email)}" readonly>
  <label for="card_number">{t("Card number")}</label>
  <input id="card_number" name="card_number" inputmode="numeric"
         autocomplete="cc-number" placeholder="4242 4242 4242 4242">
  <label for="card_expiry">{t("Expiry (any future date)")}</label>
  <input id="card_expiry" name="card_expiry" placeholder="12 / 34">
  <label for="card_cvc">{t("CVC (any 3 digits)")}</label>
  <input id="card_cvc" name="card_cvc" placeholder="123">
  {error_html}
  <button class="primary" type="submit" name="action" value="pay">{t("Pay")}</button>
  <button type="submit" name="action" value="cancel" formnovalidate>
    {t("Cancel")}</button>
</form>
<p class="muted">{t(TEST_CARDS)}</p>
"""
    return _document(f"{translate('Pay', lang)} {business_name}", body, lang)


def closed(session: dict[str, Any], lang: str = ENGLISH) -> str:
    """Render the page of a session that can no longer be paid."""
    if session["status"] == "expired":
        text = "This checkout session has expired."
    else:
        text = "This checkout session is complete: the payment was already made."
    return _document(
        translate("Checkout closed", lang),
        f"<h1>{escape(translate(text, lang))}</h1>",
        lang,
    )


def message(title: str, text: str, lang: str = ENGLISH) -> str:
    """Render a page with one message, in `lang` when the page knows it."""
    title, text = translate(title, lang), translate(text, lang)
    return _document(title, f"<h1>{escape(title)}</h1><p>{escape(text)}</p>", lang)


def consent(
    params: dict[str, Any], *, platform_name: str, accounts: list[dict[str, Any]]
) -> str:
    """Render the OAuth consent page with Authorize and Deny buttons."""
    hidden = "".join(
        f"<input type='hidden' name='{escape(key)}' value='{escape(str(value))}'>"
        for key, value in params.items()
        if isinstance(value, str)
    )
    prefill = params.get("stripe_user") or {}
    business = prefill.get("business_name", "") if isinstance(prefill, dict) else ""
    options = "".join(
        f"<option value='{escape(acct['id'])}'>"
        f"{escape(acct['settings']['dashboard']['display_name'] or acct['id'])} "
        f"({escape(acct['id'])})</option>"
        for acct in accounts
    )
    body = f"""
<h1>Connect to {escape(platform_name)}</h1>
<p><strong>{escape(platform_name)}</strong> wants to take payments on your
Stripe account (scope <code>{escape(params.get("scope", "read_only"))}</code>).</p>
<form method="post">
  {hidden}
  <label for="account">Account</label>
  <select id="account" name="account">
    <option value="">Create a new test account</option>{options}
  </select>
  <label for="business_name">Business name of a new account</label>
  <input id="business_name" name="business_name" value="{escape(business)}"
         placeholder="Sandbox Webinars">
  <button class="primary" type="submit" name="decision" value="authorize">
    Authorize</button>
  <button type="submit" name="decision" value="deny">Deny</button>
</form>
"""
    return _document("Connect with Stripe", body)


def onboarding(*, account_id: str, name: str) -> str:
    """Render the hosted onboarding page: complete, or leave for now."""
    body = f"""
<h1>Set up your Stripe account</h1>
<p>Account <code>{escape(account_id)}</code> {escape(name)}</p>
<p class="muted">Stripe would ask here for the business, its representative and a
bank account. In the sandbox, completing onboarding enables charges at once.</p>
<form method="post">
  <button class="primary" type="submit" name="decision" value="complete">
    Complete onboarding</button>
  <button type="submit" name="decision" value="leave">Save and return later</button>
</form>
"""
    return _document("Set up your Stripe account", body)


def index(base: str) -> str:
    """Render the sandbox's home page."""
    return _document(
        "Stripe sandbox",
        "<h1>Stripe sandbox</h1><p>A local stand-in for the Stripe API. Point the "
        f"Stripe SDK at <code>{escape(base)}</code> with the secret key the "
        "sandbox was started with (<code>sk_test_sandbox</code> by default).</p>",
    )
