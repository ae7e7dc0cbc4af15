"""The total of the sessions ticked on a series' registration page.

The page shows the price per session; the total follows the boxes ticked
(static/js/series-total.js), and a page rendered again by the server (a
form error, a code applied without script) states it for the boxes posted.
"""

from django.http import HttpRequest

from payments.money import format_money


def add_series_total(request: HttpRequest, context: dict) -> None:
    """Put `series_total` (text, or "") in the page's context."""
    context["series_total"] = ""
    sessions = {str(session.pk) for session in context.get("sessions", [])}
    if request.method != "POST" or not sessions:
        return
    chosen = sessions.intersection(request.POST.getlist("session"))
    quote = context.get("quote")
    if not chosen or quote is None or not quote.amount:
        return
    context["series_total"] = "{} ({} × {})".format(
        format_money(quote.amount * len(chosen), quote.currency, context["language"]),
        len(chosen),
        format_money(quote.amount, quote.currency, context["language"]),
    )
