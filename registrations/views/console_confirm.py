"""The confirmation steps of "Deny and refund" (one registrant or a selection)
and of the selection's "Cancel registration" and "Refund in full".

Works without JavaScript: the first POST renders this page, which posts the
same action again with ``confirmed=1``.
"""

from collections import defaultdict

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from payments.money import format_money
from registrations.console_rows import money_of, with_refunds
from registrations.models import Registrant
from registrations.refunds.bulk import BulkAction, plan_bulk
from registrations.refunds.ledger import new_refund_token
from webinars.models import Webinar


def refund_totals(registrants: list[Registrant]) -> list[str]:
    """Return what denying them refunds, one formatted amount per currency."""
    totals: dict[str, int] = defaultdict(int)
    for registrant in registrants:
        money = money_of(registrant)
        left = money.net - money.pending
        if left > 0 and money.currency:
            totals[money.currency] += left
    return [format_money(totals[c], c) for c in sorted(totals)]


def confirm_deny(
    request: HttpRequest,
    webinar: Webinar,
    registrant_ids: list[int],
    *,
    action_url: str,
    fields: dict[str, str | list],
) -> HttpResponse:
    """Render the confirmation page of a deny (and refund) of these registrants."""
    registrants = list(
        with_refunds(
            Registrant.objects.filter(webinar=webinar, pk__in=registrant_ids)
            .select_related("payment")
            .order_by("last_name", "first_name", "pk")
        )
    )
    return render(
        request,
        "registrations/console/confirm_deny.html",
        {
            "webinar": webinar,
            "registrants": registrants,
            "refunds": refund_totals(registrants),
            "action_url": action_url,
            "hidden": _hidden(fields),
        },
    )


def _hidden(fields: dict[str, str | list]) -> list[tuple[str, str]]:
    hidden = []
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            hidden.append((name, item))
    return hidden


def confirm_bulk(
    request: HttpRequest,
    webinar: Webinar,
    registrant_ids: list[int],
    *,
    action: str,
    action_url: str,
    fields: dict[str, str | list],
) -> HttpResponse:
    """Render the confirmation page of cancelling or refunding a selection.

    It names who the action applies to, who it leaves as they are and why,
    and for a refund the total per currency; its form carries a new one-time
    token, so that submitting it twice refunds once.
    """
    plan = plan_bulk(
        registrants=Registrant.objects.filter(webinar=webinar, pk__in=registrant_ids)
        .select_related("payment")
        .order_by("last_name", "first_name", "pk"),
        action=action,
    )
    return render(
        request,
        "registrations/console/confirm_bulk.html",
        {
            "webinar": webinar,
            "plan": plan,
            "refund": action == BulkAction.REFUND,
            "action_url": action_url,
            "hidden": _hidden({**fields, "token": new_refund_token()}),
        },
    )
