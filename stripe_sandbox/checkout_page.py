"""The hosted checkout page, and the control that pays a session without it."""

from __future__ import annotations

from typing import Any

from . import pages
from .core import Control
from .errors import ApiError, invalid
from .objects import public
from .payments import ASYNC_CARD, DECLINE_CARD, PAY_CARD, PaymentsMixin
from .web import Response, html_response, redirect


def checkout_page(
    sandbox: PaymentsMixin, method: str, session_id: str, params: dict[str, Any]
) -> Response:
    """Show an open session's payment page, or take its card and pay it.

    Run inside one store transaction (`SandboxApp.run`).
    """
    sandbox.sweep()
    try:
        account, session = sandbox.find_session(session_id)
    except ApiError:
        return html_response(
            404, pages.message("Not found", "No such checkout session.")
        )
    if session["status"] != "open":
        return html_response(200, pages.closed(session))
    name = sandbox.display_name(account)
    if method != "POST":
        return html_response(200, pages.checkout(session, business_name=name))
    if params.get("action") == "cancel":
        if session["cancel_url"]:
            return redirect(session["cancel_url"])
        return html_response(
            200, pages.message("Cancelled", "You can close this page.")
        )
    outcome, session = sandbox.pay(session_id, str(params.get("card_number", "")))
    if outcome not in ("paid", "async"):
        page = pages.checkout(session, business_name=name, error=outcome)
        return html_response(200, page)
    if session["success_url"]:
        return redirect(
            session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
        )
    return html_response(200, pages.message("Thank you", "Your payment went through."))


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
