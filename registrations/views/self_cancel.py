"""The registrant's cancel link: cancel, with a refund under the webinar's policy."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from organizers.bounds import is_url_token
from registrations.emails.context import describe_session, sessions_for
from registrations.forms.refunds import SelfCancelForm
from registrations.models import Registrant
from registrations.purchase import purchase_kind, sells_recording
from registrations.refunds import ledger, self_service


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
    elif request.method == "POST" and "message" not in form.errors:
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
        # A message too long is refused beside its field, and shown again.
        status=400 if error or form.errors else 200,
    )
