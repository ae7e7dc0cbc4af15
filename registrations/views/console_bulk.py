"""The registrant list's bulk actions and a registrant's detail page."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from organizers.permissions import organizer_required
from payments.money import format_money
from registrations import answers
from registrations.approval import approve_registrant, deny_registrant
from registrations.console_rows import money_of, with_refunds
from registrations.emails import outbox as emails
from registrations.forms.console import BulkForm
from registrations.models import EmailLog, RefundRequest, Registrant
from registrations.registration import RegistrationError
from registrations.views.console import asks_approval, csv_response
from registrations.views.console_confirm import confirm_deny
from webinars.models import Webinar
from webinars.permissions import managed_webinar


def _back(request: HttpRequest, webinar: Webinar) -> HttpResponse:
    back = reverse("registrations:registrants", args=[webinar.pk])
    query = request.POST.get("next_query", "")
    return redirect(f"{back}?{query}" if query and len(query) < 500 else back)


@organizer_required
@require_POST
def bulk(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve, deny (after a confirmation), resend or export the selection."""
    webinar = managed_webinar(request, pk)
    statuses = dict(
        Registrant.objects.filter(webinar=webinar).values_list("pk", "status")
    )
    form = BulkForm(
        request.POST,
        ids=list(statuses),
        approvals=asks_approval(webinar, set(statuses.values())),
    )
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _back(request, webinar)
    action = form.cleaned_data["action"]
    chosen = Registrant.objects.filter(
        webinar=webinar, pk__in=form.cleaned_data["ids"]
    ).select_related("payment")
    if action == "export":
        return csv_response(
            webinar, chosen.order_by("-created_at", "-pk"), name="selection"
        )
    if action == "deny" and not form.cleaned_data["confirmed"]:
        return confirm_deny(
            request,
            webinar,
            form.cleaned_data["ids"],
            action_url=request.path,
            fields={
                "action": "deny",
                "ids": [str(pk) for pk in form.cleaned_data["ids"]],
                "next_query": request.POST.get("next_query", ""),
            },
        )
    done, skipped = 0, 0
    for registrant in chosen.order_by("pk"):
        try:
            if action == "approve":
                if registrant.status != Registrant.Status.AWAITING:
                    skipped += 1
                    continue
                approve_registrant(registrant=registrant)
            elif action == "deny":
                if registrant.status != Registrant.Status.AWAITING:
                    skipped += 1
                    continue
                deny_registrant(registrant=registrant, by=request.user)
            else:
                if registrant.status != Registrant.Status.CONFIRMED:
                    skipped += 1
                    continue
                emails.resend_confirmation(registrant=registrant)
        except (RegistrationError, emails.EmailError):
            skipped += 1
        else:
            done += 1
    messages.success(
        request,
        _("%(action)s: %(done)d done, %(skipped)d left as they were.")
        % {"action": dict(BulkForm.ACTIONS)[action], "done": done, "skipped": skipped},
    )
    return _back(request, webinar)


@organizer_required
@require_GET
def detail(request: HttpRequest, pk: int, registrant_pk: int) -> HttpResponse:
    """Everything about one registrant: answers, disclaimers, money, emails."""
    webinar = managed_webinar(request, pk)
    registrant = get_object_or_404(
        with_refunds(
            Registrant.objects.select_related("payment", "session", "discount_code")
        ),
        pk=registrant_pk,
        webinar=webinar,
    )
    registrant.webinar = webinar
    money = money_of(registrant)
    payment = registrant.payment
    return render(
        request,
        "registrations/console/registrant_detail.html",
        {
            "webinar": webinar,
            "r": registrant,
            "answers": answers.answers_of(registrant, webinar),
            "money": money,
            "gross": format_money(money.gross, money.currency) if money.gross else "",
            "refunded": format_money(money.refunded, money.currency)
            if money.refunded
            else "",
            "net": format_money(money.net, money.currency) if money.gross else "",
            "refunds": getattr(payment, "console_refunds", []) if payment else [],
            "emails": EmailLog.objects.filter(registrant=registrant).count(),
            "open_request": RefundRequest.objects.filter(
                registrant=registrant, outcome=RefundRequest.Outcome.OPEN
            ).first(),
        },
    )
