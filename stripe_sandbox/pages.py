"""HTML of the sandbox's hosted pages: Checkout and the OAuth consent screen."""

from __future__ import annotations

from html import escape
from typing import Any

from .objects import format_amount

_STYLE = """
body{font-family:system-ui,sans-serif;background:#f6f9fc;color:#1a1f36;margin:0}
main{max-width:28rem;margin:3rem auto;background:#fff;padding:2rem;
border-radius:8px;box-shadow:0 2px 8px rgba(0,0,0,.08)}
.sandbox{background:#ffde92;padding:.4rem .8rem;text-align:center;font-size:.85rem}
.amount{font-size:2rem;font-weight:600;margin:.25rem 0 1rem}
label{display:block;margin:1rem 0 .3rem;font-size:.9rem}
input{width:100%;padding:.6rem;font-size:1rem;box-sizing:border-box}
button{margin-top:1rem;padding:.7rem 1.2rem;font-size:1rem;line-height:1.2;
cursor:pointer;background:#fff;color:#1a1f36;border:1px solid #635bff;border-radius:4px}
.primary{background:#635bff;color:#fff}
.error{color:#df1b41;margin-top:.8rem}
.muted{color:#697386;font-size:.85rem}
"""


def _document(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        "<div class='sandbox'>Stripe sandbox: test mode, no real money moves.</div>"
        f"<main>{body}</main></body></html>"
    )


def checkout(
    session: dict[str, Any], *, business_name: str, error: str | None = None
) -> str:
    """Render the hosted payment page of an open session."""
    items = session["_line_items"]
    name = ", ".join(item["description"] for item in items)
    amount = format_amount(session["amount_total"], session["currency"])
    email = session["customer_email"] or ""
    error_html = f"<p class='error' role='alert'>{escape(error)}</p>" if error else ""
    body = f"""
<p class="muted">Pay <strong class="business">{escape(business_name)}</strong></p>
<h1 class="item">{escape(name)}</h1>
<p class="amount">{escape(amount)}</p>
<form method="post">
  <label for="email">Email</label>
  <input id="email" name="email" type="email" value="{escape(email)}" readonly>
  <label for="card_number">Card number</label>
  <input id="card_number" name="card_number" inputmode="numeric"
         autocomplete="cc-number" placeholder="4242 4242 4242 4242">
  <label for="card_expiry">Expiry (any future date)</label>
  <input id="card_expiry" name="card_expiry" placeholder="12 / 34">
  <label for="card_cvc">CVC (any 3 digits)</label>
  <input id="card_cvc" name="card_cvc" placeholder="123">
  {error_html}
  <button class="primary" type="submit" name="action" value="pay">Pay</button>
  <button type="submit" name="action" value="cancel" formnovalidate>Cancel</button>
</form>
<p class="muted">Test cards: 4242 4242 4242 4242 pays, 4000 0000 0000 0002 is
declined, 4000 0000 0000 0077 stays processing until settled.</p>
"""
    return _document(f"Pay {business_name}", body)


def closed(session: dict[str, Any]) -> str:
    """Render the page of a session that can no longer be paid."""
    if session["status"] == "expired":
        message = "This checkout session has expired."
    else:
        message = "This checkout session is complete: the payment was already made."
    return _document("Checkout closed", f"<h1>{escape(message)}</h1>")


def message(title: str, text: str) -> str:
    """Render a page with one message."""
    return _document(title, f"<h1>{escape(title)}</h1><p>{escape(text)}</p>")


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


def index(base: str) -> str:
    """Render the sandbox's home page."""
    return _document(
        "Stripe sandbox",
        "<h1>Stripe sandbox</h1><p>A local stand-in for the Stripe API. Point the "
        f"Stripe SDK at <code>{escape(base)}</code> with the secret key the "
        "sandbox was started with (<code>sk_test_sandbox</code> by default).</p>",
    )
