"""The hosted checkout page, and the control that pays a session without it."""

from __future__ import annotations

from typing import Any

from . import pages
from .core import Control
from .errors import ApiError, invalid
from .locales import language
from .objects import public
from .payments import ASYNC_CARD, DECLINE_CARD, PAY_CARD, PaymentsMixin
from .web import Response, html_response, redirect


def checkout_page(
    sandbox: PaymentsMixin,
    method: str,
    session_id: str,
    params: dict[str, Any],
    accept_language: str = "",
) -> Response:
    """Show an open session's payment page, or take its card and pay it.

    The page speaks the session's `locale` (the browser's for `auto`). Run
    inside one store transaction (`SandboxApp.run`).
    """
    sandbox.sweep()
    try:
        account, session = sandbox.find_session(session_id)
    except ApiError:
        lang = language(None, accept_language)
        page = pages.message("Not found", "No such checkout session.", lang)
        return html_response(404, page)
    lang = language(session["locale"], accept_language)
    if session["status"] != "open":
        return html_response(200, pages.closed(session, lang))
    name = sandbox.display_name(account)
    if method != "POST":
        page = pages.checkout(session, business_name=name, lang=lang)
        return html_response(200, page)
    if params.get("action") == "cancel":
        if session["cancel_url"]:
            return redirect(session["cancel_url"])
        page = pages.message("Cancelled", "You can close this page.", lang)
        return html_response(200, page)
    outcome, session = sandbox.pay(session_id, str(params.get("card_number", "")))
    if outcome not in ("paid", "async"):
        page = pages.checkout(session, business_name=name, lang=lang, error=outcome)
        return html_response(200, page)
    if session["success_url"]:
        return redirect(
            session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
        )
    page = pages.message("Thank you", "Your payment went through.", lang)
    return html_response(200, page)


def _complete(
    sandbox: PaymentsMixin, params: dict[str, Any], id: str
) -> dict[str, Any]:
    outcome = str(params.get("outcome") or "paid")
    cards = {"paid": PAY_CARD, "declined": DECLINE_CARD, "async": ASYNC_CARD}
    card = params.get("card") or cards.get(outcome)
    if card is None:
        raise invalid("outcome must be paid, declined or async", param="outcome")
    result, session = sandbox.pay(id, str(card))
    declined = result not in ("paid", "async")
    return {
        "outcome": "declined" if declined else result,
        "message": result if declined else None,
        "session": public(session),
    }


CONTROLS: list[Control] = [(r"checkout/sessions/(?P<id>[^/]*)/complete", _complete)]
