"""The registrant list's bulk actions and a registrant's detail page."""

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from organizers.permissions import organizer_required
from payments.models import Refund
from payments.money import format_money
from registrations import answers
from registrations.approval import approve_registrant, deny_registrant
from registrations.console_rows import money_of, with_refunds
from registrations.emails import outbox as emails
from registrations.forms.console import BulkForm
from registrations.models import EmailLog, RefundRequest, Registrant
from registrations.refunds import bulk as bulk_refunds
from registrations.refunds.ledger import RefundError
from registrations.registration import RegistrationError
from registrations.views.console import asks_approval, csv_response
from registrations.views.console_confirm import confirm_bulk, confirm_deny
from webinars.models import Webinar
from webinars.permissions import managed_webinar


def _back(request: HttpRequest, webinar: Webinar) -> HttpResponse:
    back = reverse("registrations:registrants", args=[webinar.pk])
    query = request.POST.get("next_query", "")
    return redirect(f"{back}?{query}" if query and len(query) < 500 else back)


@organizer_required
@require_POST
def bulk(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve, resend, export, or (after a confirmation) deny, cancel or refund.

    Cancel and refund go through the one-registrant operations
    (`registrations.refunds.bulk`); who may do them is who may manage the
    webinar, as on a registrant's own "Cancel or refund" page.
    """
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
    if action in bulk_refunds.BulkAction.values:
        return _cancel_or_refund(request, webinar, form.cleaned_data, chosen)
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
    _say_done(request, action, done, skipped)
    return _back(request, webinar)


def _say_done(request: HttpRequest, action: str, done: int, skipped: int) -> None:
    """Say how many registrants the action was done for, and how many it left."""
    label = dict(BulkForm.ACTIONS)[action]
    if not done:
        messages.warning(
            request,
            ngettext(
                "%(action)s: nothing was done; the action does not apply to the "
                "registrant selected.",
                "%(action)s: nothing was done; the action does not apply to any "
                "of the %(count)d registrants selected.",
                skipped,
            )
            % {"action": label, "count": skipped},
        )
        return
    text = ngettext(
        "%(action)s: done for %(count)d registrant.",
        "%(action)s: done for %(count)d registrants.",
        done,
    ) % {"action": label, "count": done}
    if skipped:
        text += " " + ngettext(
            "%(count)d other was left as they were: the action does not apply to them.",
            "%(count)d others were left as they were: the action does not apply "
            "to them.",
            skipped,
        ) % {"count": skipped}
    messages.success(request, text)


def _cancel_or_refund(
    request: HttpRequest,
    webinar: Webinar,
    data: dict,
    chosen: QuerySet[Registrant],
) -> HttpResponse:
    """Confirm first; then cancel or refund in full who it applies to."""
    action = data["action"]
    if not data["confirmed"]:
        return confirm_bulk(
            request,
            webinar,
            data["ids"],
            action=action,
            action_url=request.path,
            fields={
                "action": action,
                "ids": [str(pk) for pk in data["ids"]],
                "next_query": request.POST.get("next_query", ""),
            },
        )
    try:
        result = bulk_refunds.perform_bulk(
            registrants=chosen.order_by("pk"),
            action=action,
            token=data["token"],
            requested_by=request.user,
        )
    except RefundError as error:
        messages.error(request, error.message)
        return _back(request, webinar)
    _say_done(request, action, result.done, result.skipped)
    _say_refunds(request, result.refunds)
    return _back(request, webinar)


def _say_refunds(
    request: HttpRequest, refunds: list[tuple[Registrant, Refund]]
) -> None:
    """Say where the refunds stand: Stripe answers in the background.

    A worker running tasks at once (CELERY_TASK_ALWAYS_EAGER) may have had
    Stripe's answer already, a refusal among them.
    """
    waiting = 0
    for registrant, refund in refunds:
        if refund.status == Refund.Status.FAILED:
            messages.error(
                request,
                _("The refund of %(amount)s to %(name)s failed: %(reason)s")
                % {
                    "amount": format_money(refund.amount, refund.payment.currency),
                    "name": registrant.full_name or registrant.email,
                    "reason": refund.failure_reason,
                },
            )
        elif refund.status != Refund.Status.SUCCEEDED:
            waiting += 1
    if waiting:
        messages.info(
            request,
            ngettext(
                "%(count)d refund is waiting for Stripe's answer: the list "
                "shows where it stands.",
                "%(count)d refunds are waiting for Stripe's answer: the list "
                "shows where each stands.",
                waiting,
            )
            % {"count": waiting},
        )


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
            # A request the registrant's full refund settled while it waited.
            "settled_request": RefundRequest.objects.filter(
                registrant=registrant, outcome=RefundRequest.Outcome.SETTLED
            ).first(),
        },
    )
