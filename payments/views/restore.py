"""One screen to turn payments back on for the webinars a disconnection made free."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from organizers.permissions import organizer_required
from payments.connect.restore import made_free_webinars, restore_payments


@organizer_required
@require_http_methods(["GET", "POST"])
def restore(request: HttpRequest) -> HttpResponse:
    """List the webinars made free by a disconnection; turn the chosen ones on."""
    if request.method == "POST":
        try:
            chosen = [int(value) for value in request.POST.getlist("webinars")]
        except ValueError:
            chosen = []
        if not chosen:
            messages.error(request, _("Choose at least one webinar."))
            return redirect("payments:stripe_restore")
        done, failed = restore_payments(
            organizer=request.organizer, webinar_ids=chosen, user=request.user
        )
        if done:
            messages.success(
                request,
                ngettext(
                    "Payments are on again for %(count)d webinar.",
                    "Payments are on again for %(count)d webinars.",
                    len(done),
                )
                % {"count": len(done)},
            )
        for webinar, message in failed:
            messages.error(
                request,
                _("%(label)s: %(value)s") % {"label": webinar.title, "value": message},
            )
        return redirect("payments:stripe_restore")
    return render(
        request,
        "payments/connect/restore.html",
        {"webinars": made_free_webinars(request.organizer)},
    )
