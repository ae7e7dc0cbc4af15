"""The total of the sessions ticked on a series' registration page.

The page shows the price per session; the total follows the boxes ticked
(static/js/series-total.js), and a page rendered again by the server (a
form error, a code applied without script, a form filled again after
Checkout) states it for the boxes ticked.
"""

from django.http import HttpRequest

from payments.money import format_money


def add_series_total(request: HttpRequest, context: dict) -> None:
    """Put `series_total` (text, or "") in the page's context.

    For the boxes posted, or on a GET for those the form comes back with
    (the entries kept from a checkout left unpaid, views/register_again.py).
    """
    context["series_total"] = ""
    sessions = {str(session.pk) for session in context.get("sessions", [])}
    if request.method == "POST":
        ticked = request.POST.getlist("session")
    else:
        form = context.get("form")
        ticked = list(form.initial.get("session") or []) if form is not None else []
    if not sessions or not ticked:
        return
    chosen = sessions.intersection(ticked)
    quote = context.get("quote")
    if not chosen or quote is None or not quote.amount:
        return
    context["series_total"] = "{} ({} × {})".format(
        format_money(quote.amount * len(chosen), quote.currency, context["language"]),
        len(chosen),
        format_money(quote.amount, quote.currency, context["language"]),
    )
