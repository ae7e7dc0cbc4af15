"""Refund and cancellation pages: the organizer's console and the cancel link."""

from typing import Any

from django.contrib import messages
from django.db.models import Prefetch
from django.http import (
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from organizers.csv_export import stream_csv
from organizers.permissions import organizer_required
from payments.models import Payment, Refund
from payments.money import format_money
from registrations.forms.refunds import (
    AnswerRequestForm,
    CancellationForm,
    PolicyForm,
    RefundActionForm,
)
from registrations.models import RefundRequest, Registrant
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


def _refund_message(refund: Refund) -> tuple[int, str]:
    """Return the message level and text that tell where a refund stands."""
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


def _banner(refund: Refund | None) -> dict[str, Any] | None:
    """Return what the page says of the refund just made, as it stands now."""
    if refund is None:
        return None
    level, text = _refund_message(refund)
    return {"refund": refund, "tags": messages.DEFAULT_TAGS[level], "text": text}


def _shown_refund(request: HttpRequest) -> int | None:
    """Return the id of the refund the page was sent back with (?refund=<id>)."""
    value = request.GET.get("refund", "")
    # str.isdigit() is true of "²", which int() refuses.
    shown = value.isascii() and value.isdigit() and len(value) < 12
    return int(value) if shown else None


def _with_refund(url: str, refund: Refund) -> HttpResponse:
    return redirect(f"{url}?refund={refund.pk}")


def _refund_state(registrant: Registrant, shown: int | None) -> dict[str, Any]:
    """Return the registrant's refunds and what the page says of them.

    The rows are read once, and the banner about the refund just made, the
    summary and "waiting" all come from them: the worker may answer between
    two reads, and the page would then say "waiting" beside "Succeeded".
    """
    payment = registrant.payment
    rows = list(payment.refunds.select_related("share")) if payment else []
    paid = ledger.is_paid(registrant)
    return {
        "refund_rows": rows,
        "refunds_waiting": any(r.status == Refund.Status.REQUESTED for r in rows),
        "paid": paid,
        "summary": ledger.share_summary(registrant, rows) if paid else None,
        "banner": _banner(next((r for r in rows if r.pk == shown), None)),
    }


@organizer_required
@require_GET
def refund_status(request: HttpRequest, pk: int, registrant_pk: int) -> JsonResponse:
    """The parts of the registrant's refund page that follow Stripe's answer."""
    webinar = managed_webinar(request, pk)
    registrant = _registrant(webinar, registrant_pk)
    context = {
        "webinar": webinar,
        "registrant": registrant,
        **_refund_state(registrant, _shown_refund(request)),
    }

    def part(name: str) -> str:
        template = f"registrations/refunds/{name}.html"
        return render_to_string(template, context, request=request)

    return JsonResponse(
        {
            "waiting": context["refunds_waiting"],
            "html": part("_refund_status"),
            "state": part("_registrant_state"),
            "banner": part("_refund_banner"),
        }
    )


@organizer_required
@require_http_methods(["GET", "POST"])
def refund_registrant(
    request: HttpRequest, pk: int, registrant_pk: int
) -> HttpResponse:
    """Cancel and/or refund one registrant, with a confirmation step."""
    webinar = managed_webinar(request, pk)
    registrant = _registrant(webinar, registrant_pk)
    currency = _currency(registrant)
    active = registrant.status in ledger.ACTIVE_REGISTRANT
    form = RefundActionForm(request.POST or None, currency=currency, active=active)
    step = request.POST.get("step", "")
    context = {
        "webinar": webinar,
        "registrant": registrant,
        **_refund_state(registrant, _shown_refund(request)),
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
            here = reverse(
                "registrations:refund_registrant", args=[webinar.pk, registrant.pk]
            )
            if refund is None:
                messages.success(request, _("The registration is cancelled."))
                return redirect(here)
            # The page says where the refund stands when it is shown, not now:
            # the worker may answer before the page is read.
            return _with_refund(here, refund)
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
                active=active,
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
    shown = _shown_refund(request)
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
            # Read with the page, as its amounts are (see _refund_state).
            "banner": _banner(
                Refund.objects.filter(pk=shown, payment__webinar=webinar)
                .select_related("payment")
                .first()
                if shown
                else None
            ),
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
            overview = reverse("registrations:refunds_overview", args=[webinar.pk])
            if decision != "decline" and refund is not None:
                return _with_refund(overview, refund)
            if decision == "decline":
                messages.success(request, _("Refund request declined."))
            else:
                messages.success(request, _("The registration is cancelled."))
            return redirect(overview)
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
        count = len(preview.rows)
        if count:
            told = ngettext(
                "Cancelled. %(count)s registrant is being told; refunds are "
                "sent in the background.",
                "Cancelled. %(count)s registrants are being told; refunds are "
                "sent in the background.",
                count,
            ) % {"count": count}
        else:
            told = _("Cancelled. No one was registered: there is no one to tell.")
        if preview.waitlisted:
            told += " " + ngettext(
                "%(count)s person on the waitlist is being told.",
                "%(count)s people on the waitlist are being told.",
                preview.waitlisted,
            ) % {"count": preview.waitlisted}
        messages.success(request, told)
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
