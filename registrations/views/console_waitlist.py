"""The console's waitlist of a webinar: settings, the line, offers, CSV."""

from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from organizers.csv_export import stream_csv
from organizers.permissions import organizer_required
from registrations.forms.waitlist import WaitlistSettingsForm
from registrations.models import WaitlistEntry
from registrations.refunds.reports import csv_safe
from registrations.waitlist.line import WaitlistError, positions
from registrations.waitlist.organizer import (
    offer_by_hand,
    remove_entry,
    update_waitlist_settings,
)
from webinars.models import Webinar
from webinars.permissions import managed_webinar

Status = WaitlistEntry.Status
SHOWN = 500


def waitlist_panel(request: HttpRequest, webinar: Webinar) -> dict[str, Any]:
    """The webinar console page's 'Waitlist' section (a webinars hook)."""
    counts = dict(
        WaitlistEntry.objects.filter(
            webinar=webinar, status__in=[Status.WAITING, Status.OFFERED]
        )
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    return {
        "template": "registrations/console/_waitlist_panel.html",
        "context": {
            "webinar": webinar,
            "waiting": counts.get(Status.WAITING, 0),
            "offered": counts.get(Status.OFFERED, 0),
            "url": reverse("registrations:waitlist", args=[webinar.pk]),
        },
    }


def _entries(webinar: Webinar) -> Any:
    return WaitlistEntry.objects.filter(webinar=webinar).select_related("session")


@organizer_required
@require_http_methods(["GET", "POST"])
def waitlist(request: HttpRequest, pk: int) -> HttpResponse:
    """The waitlist's settings and its line: position, joined, offer state."""
    webinar = managed_webinar(request, pk)
    form = WaitlistSettingsForm(
        request.POST or None,
        initial={
            "waitlist_enabled": webinar.waitlist_enabled,
            "waitlist_offer_hours": webinar.waitlist_offer_hours,
        },
    )
    if request.method == "POST" and form.is_valid():
        update_waitlist_settings(
            webinar=webinar,
            enabled=form.cleaned_data["waitlist_enabled"],
            offer_hours=form.cleaned_data["waitlist_offer_hours"],
        )
        messages.success(request, _("Waitlist settings saved."))
        return redirect("registrations:waitlist", pk=webinar.pk)
    places = positions(webinar)
    entries = list(_entries(webinar).order_by("joined_at", "pk")[:SHOWN])
    for entry in entries:
        entry.place = places.get(entry.pk)
    return render(
        request,
        "registrations/console/waitlist.html",
        {"webinar": webinar, "form": form, "entries": entries, "shown": SHOWN},
    )


@organizer_required
@require_POST
def waitlist_action(
    request: HttpRequest, pk: int, entry_pk: int, action: str
) -> HttpResponse:
    """Offer a seat by hand to one entry, or remove it from the line."""
    webinar = managed_webinar(request, pk)
    entry = get_object_or_404(WaitlistEntry, pk=entry_pk, webinar=webinar)
    if action == "offer":
        try:
            grew = offer_by_hand(entry=entry)
        except WaitlistError as error:
            messages.error(request, error.message)
        else:
            webinar.refresh_from_db(fields=["registration_limit"])
            messages.success(
                request,
                _("A seat is offered to %(email)s.") % {"email": entry.email}
                + (
                    " "
                    + _("The registration limit is now %(limit)d to make it.")
                    % {"limit": webinar.registration_limit}
                    if grew
                    else ""
                ),
            )
    elif action == "remove":
        if remove_entry(entry=entry):
            messages.success(
                request,
                _("%(email)s is off the waitlist.") % {"email": entry.email},
            )
    else:
        return HttpResponse(status=404)
    return redirect("registrations:waitlist", pk=webinar.pk)


@organizer_required
@require_GET
def waitlist_csv(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """Stream the whole waitlist as CSV."""
    webinar = managed_webinar(request, pk)
    places = positions(webinar)
    entries = _entries(webinar).order_by("joined_at", "pk")

    def rows() -> Iterator[list[str]]:
        yield [
            _("Position"),
            _("Email"),
            _("First name"),
            _("Last name"),
            _("Session"),
            _("Joined"),
            _("Status"),
            _("Offer expires"),
            *[str(q.get("label", q["id"])) for q in _questions(webinar)],
        ]
        for entry in entries.iterator():
            yield [
                str(places.get(entry.pk, "")),
                csv_safe(entry.email),
                csv_safe(entry.first_name),
                csv_safe(entry.last_name),
                entry.session.starts_at.isoformat() if entry.session else "",
                entry.joined_at.isoformat(),
                entry.get_status_display(),
                entry.offer_expires_at.isoformat() if entry.offer_expires_at else "",
                *[
                    csv_safe(str(entry.answers.get(str(q["id"]), "")))
                    for q in _questions(webinar)
                ],
            ]

    return stream_csv(rows(), filename=f"waitlist-{webinar.pk}.csv")


def _questions(webinar: Webinar) -> list[dict[str, Any]]:
    return [q for q in webinar.questions or [] if isinstance(q, dict) and q.get("id")]
