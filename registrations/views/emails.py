"""Console pages for emails, and the registrant's unsubscribe link."""

from typing import Any

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from organizers.permissions import organizer_required
from organizers.redirects import safe_next
from registrations.emails import outbox
from registrations.emails.content import RenderedEmail, render_email
from registrations.emails.context import registrant_from_unsubscribe_token
from registrations.emails.subjects import SUBJECTS
from registrations.emails.waitlist import WAITLIST_KINDS, preview_waitlist_email
from registrations.forms.emails import EmailSettingsForm, ResendForm, format_offsets
from registrations.models import EmailLog, Registrant
from webinars.models import Webinar
from webinars.permissions import managed_webinar

Kind = EmailLog.Kind
PREVIEW_LANGUAGES = [code for code, _name in settings.LANGUAGES]


def email_panel(request: HttpRequest, webinar: Webinar) -> dict[str, Any] | None:
    """The webinar console page's 'Emails' section (a webinars hook)."""
    failed = EmailLog.objects.filter(
        registrant__webinar=webinar, status=EmailLog.Status.FAILED
    ).count()
    return {
        "template": "emails/console/_panel.html",
        "context": {"webinar": webinar, "failed": failed},
    }


def initial_settings(webinar: Webinar) -> dict[str, Any]:
    return {
        "reminders_enabled": webinar.reminders_enabled,
        "use_account_default": webinar.reminder_offsets is None,
        "reminder_offsets": format_offsets(webinar.effective_reminder_offsets),
        "followups_enabled": webinar.followups_enabled,
        "followup_attended_text": webinar.followup_attended_text,
        "followup_absent_text": webinar.followup_absent_text,
        "notify_paid_registrations": webinar.notify_paid_registrations,
    }


@organizer_required
@require_http_methods(["GET", "POST"])
def email_settings(request: HttpRequest, pk: int) -> HttpResponse:
    """Reminder schedule, follow-up texts, notifications, previews, failures."""
    webinar = managed_webinar(request, pk)
    form = EmailSettingsForm(request.POST or None, initial=initial_settings(webinar))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        outbox.update_email_settings(
            webinar=webinar,
            reminders_enabled=data["reminders_enabled"],
            reminder_offsets=(
                None if data["use_account_default"] else data["reminder_offsets"]
            ),
            followups_enabled=data["followups_enabled"],
            followup_attended_text=data["followup_attended_text"],
            followup_absent_text=data["followup_absent_text"],
            notify_paid_registrations=data["notify_paid_registrations"],
        )
        messages.success(request, _("Email settings saved."))
        return redirect("registrations:email_settings", pk=webinar.pk)
    failed = (
        EmailLog.objects.filter(
            registrant__webinar=webinar, status=EmailLog.Status.FAILED
        )
        .select_related("registrant")
        .order_by("-failed_at")[:50]
    )
    previews = [
        {"kind": kind, "label": label, "languages": PREVIEW_LANGUAGES}
        for kind, label in Kind.choices
    ]
    return render(
        request,
        "emails/console/settings.html",
        {
            "webinar": webinar,
            "form": form,
            "previews": previews,
            "failed": failed,
            "account_offsets": format_offsets(
                sorted(webinar.account.reminder_offsets or [], reverse=True)
            ),
        },
        status=400 if form.errors else 200,
    )


def sample_registrant(webinar: Webinar, language: str) -> Registrant:
    """An unsaved registrant to preview emails with."""
    price = getattr(webinar, "price", None)
    amount = price.amount if price is not None and price.enabled else 0
    currency = price.currency if price is not None else ""
    session = webinar.sessions.first() if webinar.is_series else None
    return Registrant(
        webinar=webinar,
        session=session,
        email="alex.martin@example.com",
        first_name="Alex",
        last_name="Martin",
        language=language,
        status=Registrant.Status.CONFIRMED,
        source=Registrant.Source.PAID if amount else Registrant.Source.FREE,
        amount=amount,
        currency=currency,
        join_token="PREVIEW-join-link-token",  # noqa: S106 - not a secret
        cancel_token="PREVIEW-cancel-link-token",  # noqa: S106
    )


# The email's HTML is shown in a sandboxed srcdoc iframe, which inherits this
# page's Content-Security-Policy; emails need inline styles (the README,
# "Content-Security-Policy"). Scripts stay forbidden.
@csp_update({"style-src": ["'unsafe-inline'"]})
@organizer_required
def preview(request: HttpRequest, pk: int, kind: str, language: str) -> HttpResponse:
    """Show one email of the webinar as a registrant (or organizer) gets it."""
    webinar = managed_webinar(request, pk)
    if kind in WAITLIST_KINDS and language in PREVIEW_LANGUAGES:
        rendered = preview_waitlist_email(webinar=webinar, kind=kind, language=language)
        return _preview_page(request, webinar, kind, language, rendered)
    if kind not in SUBJECTS or language not in PREVIEW_LANGUAGES:
        raise Http404
    registrant = sample_registrant(webinar, language)
    session = registrant.session or webinar.sessions.first()
    failed = None
    if kind == Kind.DELIVERY_FAILED:
        failed = EmailLog(
            registrant=registrant,
            kind=Kind.CONFIRMATION,
            last_error="550 5.1.1 <alex.martin@example.com>: mailbox unavailable",
        )
    rendered = render_email(
        registrant=registrant,
        kind=kind,
        session=session,
        variant=60 if kind == Kind.REMINDER else 0,
        failed=failed,
        language=language,
    )
    return _preview_page(request, webinar, kind, language, rendered)


def _preview_page(
    request: HttpRequest,
    webinar: Webinar,
    kind: str,
    language: str,
    rendered: RenderedEmail,
) -> HttpResponse:
    return render(
        request,
        "emails/console/preview.html",
        {
            "webinar": webinar,
            "kind": kind,
            "kind_label": Kind(kind).label,
            "language": language,
            # Not "languages": base.html's language menu sets that name.
            "other_languages": [code for code in PREVIEW_LANGUAGES if code != language],
            "rendered": rendered,
        },
    )


@organizer_required
@require_POST
def resend_confirmations(request: HttpRequest, pk: int) -> HttpResponse:
    """Resend the confirmation to one or several selected registrants."""
    webinar = managed_webinar(request, pk)
    form = ResendForm(request.POST, webinar=webinar)
    if not form.is_valid():
        for error in form.errors.get("registrant", []):
            messages.error(request, error)
    else:
        sent, refused = 0, 0
        for registrant in form.cleaned_data["registrant"]:
            try:
                outbox.resend_confirmation(registrant=registrant)
                sent += 1
            except outbox.EmailError:
                refused += 1
        if sent:
            messages.success(
                request,
                ngettext(
                    "Confirmation queued for %(count)s registrant.",
                    "Confirmation queued for %(count)s registrants.",
                    sent,
                )
                % {"count": sent},
            )
        if refused:
            messages.warning(
                request,
                ngettext(
                    "%(count)s registrant is not confirmed and was not sent a "
                    "confirmation.",
                    "%(count)s registrants are not confirmed and were not sent a "
                    "confirmation.",
                    refused,
                )
                % {"count": refused},
            )
    target = safe_next(
        request,
        request.POST.get("next"),
        default=reverse("registrations:email_settings", args=[webinar.pk]),
    )
    return HttpResponseRedirect(target)


@organizer_required
def history(request: HttpRequest, pk: int, registrant_pk: int) -> HttpResponse:
    """Every email of one registrant, with its status and last error."""
    webinar = managed_webinar(request, pk)
    registrant = get_object_or_404(Registrant, pk=registrant_pk, webinar=webinar)
    return render(
        request,
        "emails/console/history.html",
        {
            "webinar": webinar,
            "registrant": registrant,
            "email_logs": email_history(registrant),
        },
    )


def email_history(registrant: Registrant) -> list[EmailLog]:
    """A registrant's emails, newest first (for templates/emails/_history.html)."""
    return list(
        EmailLog.objects.filter(registrant=registrant)
        .select_related("session")
        .order_by("-created_at", "-pk")
    )


@csrf_exempt  # RFC 8058 one-click unsubscribe posts without a CSRF token.
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Stop reminders and follow-ups: GET asks, POST (or one-click) does it."""
    registrant = registrant_from_unsubscribe_token(token)
    if registrant is None:
        raise Http404
    done = registrant.unsubscribed_at is not None
    if request.method == "POST":
        outbox.unsubscribe(registrant=registrant)
        done = True
    return render(
        request,
        "emails/unsubscribe.html",
        {"registrant": registrant, "webinar": registrant.webinar, "done": done},
    )
