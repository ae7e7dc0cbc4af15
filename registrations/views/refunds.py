"""Refund and cancellation pages: the organizer's console and the cancel link."""

from typing import Any

from django.contrib import messages
from django.db.models import Prefetch
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from organizers.bounds import is_url_token
from organizers.csv_export import stream_csv
from organizers.permissions import organizer_required
from payments.models import Payment, Refund
from payments.money import format_money
from registrations.emails.context import describe_session, sessions_for
from registrations.forms.refunds import (
    AnswerRequestForm,
    CancellationForm,
    PolicyForm,
    RefundActionForm,
    SelfCancelForm,
)
from registrations.models import RefundRequest, Registrant
from registrations.purchase import purchase_kind, sells_recording
from registrations.refunds import (
    cancellation,
    ledger,
    organizer_actions,
    reports,
    self_service,
)
from webinars.models import Session, Webinar
from webinars.permissions import managed_webinar


def _registrant(webinar: Webinar, registrant_pk: int) -> Registrant:
    return get_object_or_404(
        Registrant.objects.select_related("payment", "webinar"),
        pk=registrant_pk,
        webinar=webinar,
    )


def _currency(registrant: Registrant) -> str:
    if registrant.payment_id:
        return registrant.payment.currency
    return registrant.currency or "USD"


def _refund_message(refund: Refund | None) -> tuple[int, str]:
    """Return the message level and text that tell where a refund stands."""
    if refund is None:
        return messages.SUCCESS, _("The registration is cancelled.")
    amount = format_money(refund.amount, refund.payment.currency)
    if refund.status == Refund.Status.FAILED:
        return messages.ERROR, _("The refund of %(amount)s failed: %(reason)s") % {
            "amount": amount,
            "reason": refund.failure_reason,
        }
    if refund.status == Refund.Status.REQUESTED:
        # Sent by the worker after commit: the page follows it (refund_status).
        return messages.SUCCESS, _(
            "Refund of %(amount)s requested: waiting for Stripe's answer."
        ) % {"amount": amount}
    if refund.status == Refund.Status.SUCCEEDED:
        return messages.SUCCESS, _("Refunded %(amount)s.") % {"amount": amount}
    return messages.SUCCESS, _("Refund of %(amount)s sent to Stripe (%(status)s).") % {
        "amount": amount,
        "status": refund.get_status_display(),
    }


def _refund_rows(registrant: Registrant) -> dict[str, Any]:
    """Return the registrant's refunds and whether one still waits for Stripe."""
    rows = list(registrant.payment.refunds.all()) if registrant.payment else []
    return {
        "refund_rows": rows,
        "refunds_waiting": any(r.status == Refund.Status.REQUESTED for r in rows),
    }


@organizer_required
@require_GET
def refund_status(request: HttpRequest, pk: int, registrant_pk: int) -> JsonResponse:
    """The registrant's refund rows, for the page that waits for Stripe's answer."""
    webinar = managed_webinar(request, pk)
    registrant = _registrant(webinar, registrant_pk)
    context = {"webinar": webinar, **_refund_rows(registrant)}
    html = render_to_string(
        "registrations/refunds/_refund_status.html", context, request=request
    )
    return JsonResponse({"waiting": context["refunds_waiting"], "html": html})


@organizer_required
@require_http_methods(["GET", "POST"])
def refund_registrant(
    request: HttpRequest, pk: int, registrant_pk: int
) -> HttpResponse:
    """Cancel and/or refund one registrant, with a confirmation step."""
    webinar = managed_webinar(request, pk)
    registrant = _registrant(webinar, registrant_pk)
    currency = _currency(registrant)
    paid = ledger.is_paid(registrant)
    summary = ledger.share_summary(registrant) if paid else None
    form = RefundActionForm(request.POST or None, currency=currency)
    step = request.POST.get("step", "")
    context = {
        "webinar": webinar,
        "registrant": registrant,
        "summary": summary,
        "paid": paid,
        **_refund_rows(registrant),
    }
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if step == "confirm":
            try:
                refund = organizer_actions.perform_action(
                    registrant=registrant,
                    action=data["action"],
                    amount=data["amount"],
                    token=data["token"],
                    requested_by=request.user,
                    reason=data["reason"],
                )
            except ledger.RefundError as error:
                messages.error(request, error.message)
                return redirect(
                    "registrations:refund_registrant", webinar.pk, registrant.pk
                )
            level, text = _refund_message(refund)
            messages.add_message(request, level, text)
            return redirect(
                "registrations:refund_registrant", webinar.pk, registrant.pk
            )
        try:
            plan = organizer_actions.plan_action(
                registrant=registrant, action=data["action"], amount=data["amount"]
            )
        except ledger.RefundError as error:
            form.add_error(None, error.message)
        else:
            confirm = RefundActionForm(
                initial={**data, "token": ledger.new_refund_token()},
                currency=currency,
            )
            return render(
                request,
                "registrations/refunds/confirm.html",
                {
                    **context,
                    "plan": plan,
                    "form": confirm,
                    "amount_text": request.POST.get("amount", ""),
                    "refund_display": format_money(plan.refund_amount, currency),
                },
            )
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "registrations/refunds/registrant.html",
        {**context, "form": form},
        status=status,
    )


@organizer_required
def refunds_overview(request: HttpRequest, pk: int) -> HttpResponse:
    """The webinar's payments, refunds, failed refunds, requests and disputes."""
    webinar = managed_webinar(request, pk)
    payments = (
        Payment.objects.filter(webinar=webinar, paid_at__isnull=False)
        .prefetch_related(
            "refunds",
            Prefetch(
                "registrants",
                Registrant.objects.select_related("session").order_by("pk"),
            ),
        )
        .order_by("-paid_at")
    )
    return render(
        request,
        "registrations/refunds/overview.html",
        {
            "webinar": webinar,
            "payments": payments,
            "failed": reports.unresolved_failed_refunds(
                Webinar.objects.filter(pk=webinar.pk)
            ),
            "requests": RefundRequest.objects.filter(
                registrant__webinar=webinar, outcome=RefundRequest.Outcome.OPEN
            ).select_related("registrant__payment"),
            "policy": self_service.policy_text(webinar),
        },
    )


@organizer_required
@require_http_methods(["GET", "POST"])
def refund_policy(request: HttpRequest, pk: int) -> HttpResponse:
    webinar = managed_webinar(request, pk)
    form = PolicyForm(
        request.POST or None,
        initial={
            "refund_policy": webinar.refund_policy,
            "refund_hours_before": webinar.refund_hours_before,
            "refund_percent": webinar.refund_percent,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            self_service.save_policy(
                webinar=webinar,
                policy=form.cleaned_data["refund_policy"],
                hours_before=form.cleaned_data["refund_hours_before"],
                percent=form.cleaned_data["refund_percent"],
            )
        except ledger.RefundError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Refund policy saved."))
            return redirect(webinar)
    return render(
        request,
        "registrations/refunds/policy.html",
        {"webinar": webinar, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@organizer_required
@require_http_methods(["GET", "POST"])
def answer_refund_request(
    request: HttpRequest, pk: int, request_pk: int
) -> HttpResponse:
    webinar = managed_webinar(request, pk)
    refund_request = get_object_or_404(
        RefundRequest.objects.select_related("registrant__payment"),
        pk=request_pk,
        registrant__webinar=webinar,
    )
    registrant = refund_request.registrant
    form = AnswerRequestForm(
        request.POST or None,
        currency=_currency(registrant),
        initial={"token": ledger.new_refund_token(), "decision": "approve_full"},
    )
    if request.method == "POST" and form.is_valid():
        decision = form.cleaned_data["decision"]
        try:
            refund = self_service.answer_refund_request(
                refund_request=refund_request,
                approve=decision != "decline",
                amount=form.cleaned_data["amount"],
                token=form.cleaned_data["token"],
                answered_by=request.user,
            )
        except ledger.RefundError as error:
            form.add_error(None, error.message)
        else:
            if decision == "decline":
                messages.success(request, _("Refund request declined."))
            else:
                messages.add_message(request, *_refund_message(refund))
            return redirect("registrations:refunds_overview", webinar.pk)
    paid = ledger.is_paid(registrant)
    return render(
        request,
        "registrations/refunds/answer_request.html",
        {
            "webinar": webinar,
            "refund_request": refund_request,
            "registrant": registrant,
            "summary": ledger.share_summary(registrant) if paid else None,
            "form": form,
        },
        status=400 if request.method == "POST" else 200,
    )


def _cancellation(
    request: HttpRequest, webinar: Webinar, session: Session | None
) -> HttpResponse:
    data = request.POST if request.method == "POST" else request.GET
    form = CancellationForm(data or None)
    mode = (
        form.cleaned_data["mode"] if form.is_valid() else cancellation.RefundMode.FULL
    )
    try:
        preview = cancellation.preview_cancellation(
            webinar=webinar, session=session, mode=mode
        )
    except ledger.RefundError as error:
        messages.error(request, error.message)
        return redirect(webinar)
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        if not form.is_valid():
            messages.error(request, _("Choose how to refund."))
            return redirect(request.path)
        try:
            cancellation.cancel_webinar(
                webinar=webinar,
                session=session,
                mode=preview.mode,
                requested_by=request.user,
            )
        except ledger.RefundError as error:
            messages.error(request, error.message)
            return redirect(webinar)
        messages.success(
            request,
            _(
                "Cancelled. %(count)s registrant(s) are being told; refunds are "
                "sent in the background."
            )
            % {"count": len(preview.rows)},
        )
        return redirect("registrations:refunds_overview", webinar.pk)
    if not form.is_bound:
        form = CancellationForm(initial={"mode": preview.mode})
    return render(
        request,
        "registrations/refunds/cancel_preview.html",
        {"webinar": webinar, "session": session, "preview": preview, "form": form},
    )


@organizer_required
@require_http_methods(["GET", "POST"])
def cancel_webinar(request: HttpRequest, pk: int) -> HttpResponse:
    """Preview, then cancel the whole webinar and refund its registrants."""
    return _cancellation(request, managed_webinar(request, pk), None)


@organizer_required
@require_http_methods(["GET", "POST"])
def cancel_session(request: HttpRequest, pk: int, session_pk: int) -> HttpResponse:
    """Preview, then cancel one session and refund who it concerns."""
    webinar = managed_webinar(request, pk)
    session = get_object_or_404(Session, pk=session_pk, webinar=webinar)
    return _cancellation(request, webinar, session)


@organizer_required
def report(request: HttpRequest, pk: int) -> HttpResponse:
    """Gross, refunded, fees and net per currency."""
    webinar = managed_webinar(request, pk)
    return render(
        request,
        "registrations/refunds/report.html",
        {"webinar": webinar, "totals": reports.webinar_report(webinar)},
    )


@organizer_required
def report_csv(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """The webinar's payments as CSV."""
    webinar = managed_webinar(request, pk)
    return stream_csv(
        reports.report_rows(webinar), filename=f"webinar-{webinar.pk}-payments.csv"
    )


@require_http_methods(["GET", "POST"])
def self_cancel(request: HttpRequest, token: str) -> HttpResponse:
    """The registrant's cancel link: cancel, with a refund under the policy."""
    if not is_url_token(token):
        raise Http404
    registrant = get_object_or_404(
        Registrant.objects.select_related("webinar", "payment", "session"),
        cancel_token=token,
    )
    form = SelfCancelForm(request.POST or None)
    error = ""
    confirming = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        quote = self_service.quote_self_cancel(registrant=registrant)
        if data["action"] == "cancel" and quote.can_cancel:
            # Two steps: the first shows what happens; the second, with the
            # amount the registrant saw, cancels. A changed amount asks again.
            confirming = not data["confirm"] or data["refund"] != quote.refund_amount
            if confirming and data["confirm"]:
                error = _("The refund has changed since: please check it again.")
        if not confirming:
            try:
                if data["action"] == "request":
                    self_service.request_refund(
                        registrant=registrant, message=data["message"]
                    )
                    messages.success(request, _("Your refund request was sent."))
                else:
                    self_service.self_cancel(registrant=registrant)
            except ledger.RefundError as exc:
                error = exc.message
            else:
                return redirect(request.path)
    elif request.method == "POST":
        error = _("Choose what to do.")
    registrant.refresh_from_db()
    quote = self_service.quote_self_cancel(registrant=registrant)
    payment = registrant.payment
    language = translation.get_language() or "en"
    bought = purchase_kind(registrant)
    return render(
        request,
        "registrations/refunds/self_cancel.html",
        {
            "registrant": registrant,
            "webinar": registrant.webinar,
            "quote": quote,
            "error": error,
            "form": form,
            "confirming": confirming,
            "kept": request.method == "GET" and request.GET.get("kept") == "1",
            "sessions": []
            if sells_recording(bought)
            else [
                describe_session(session, registrant.webinar, language)
                for session in sessions_for(registrant)
            ],
            "refund_rows": payment.refunds.exclude(external=True) if payment else [],
        },
        status=400 if error else 200,
    )


def refunds_panel(request: HttpRequest, webinar: Webinar) -> dict:
    """The refunds section of the webinar's console page."""
    failed = reports.unresolved_failed_refunds(Webinar.objects.filter(pk=webinar.pk))
    return {
        "template": "registrations/refunds/_panel.html",
        "context": {
            "webinar": webinar,
            "policy": self_service.policy_text(webinar),
            "failed_count": len(failed),
            "requests_count": RefundRequest.objects.filter(
                registrant__webinar=webinar, outcome=RefundRequest.Outcome.OPEN
            ).count(),
            "sessions": webinar.sessions.active().filter(ends_at__gt=timezone.now()),
            "overview_url": reverse(
                "registrations:refunds_overview", args=[webinar.pk]
            ),
        },
    }
