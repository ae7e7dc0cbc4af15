"""Payments settings: connect, refresh and disconnect Stripe."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from organizers.models import Account
from organizers.permissions import organizer_required
from payments.connect.account_sync import refresh_connection
from payments.connect.connections import (
    active_connection,
    connection_for,
    connection_target,
    may_manage,
    open_paid_webinars,
    selling_state,
)
from payments.connect.disconnect import disconnect_stripe
from payments.connect.oauth import complete_connect, start_connect
from payments.connect.restore import made_free_webinars
from payments.errors import ConnectError
from payments.models import StripeConnection, StripeDisconnection
from webinars.models import Webinar


def managed_connection(request: HttpRequest, pk: int) -> StripeConnection:
    """Return an active connection the organizer may manage; a 404 otherwise."""
    connection = get_object_or_404(
        StripeConnection.objects.select_related("account", "organizer__user"),
        pk=pk,
        account=request.organizer.account,
        disconnected_at__isnull=True,
    )
    if not may_manage(organizer=request.organizer, connection=connection):
        raise Http404
    return connection


@organizer_required
@require_GET
def stripe_settings(request: HttpRequest) -> HttpResponse:
    organizer = request.organizer
    account = organizer.account
    target = connection_target(organizer)
    connection = active_connection(account=account, organizer=organizer)
    per_organizer = account.stripe_scope == Account.StripeScope.ORGANIZER
    active = StripeConnection.objects.filter(
        account=account, disconnected_at__isnull=True
    ).select_related("organizer__user", "connected_by")
    organizer_rows = []
    if per_organizer and organizer.is_admin:
        by_organizer = {c.organizer_id: c for c in active if c.organizer_id}
        organizer_rows = [
            (member, by_organizer.get(member.pk))
            for member in account.organizers.select_related("user")
        ]
    # Connections left over from the other scope sell nothing; their owners
    # may still disconnect them.
    unused = [
        c
        for c in active
        if c != connection
        and (c.organizer_id is None) == per_organizer
        and may_manage(organizer=organizer, connection=c)
    ]
    history = StripeDisconnection.objects.filter(account=account).select_related(
        "disconnected_by", "connection__organizer__user"
    )
    if not organizer.is_admin:
        history = history.filter(connection__organizer=organizer)
    return render(
        request,
        "payments/connect/settings.html",
        {
            "account": account,
            "per_organizer": per_organizer,
            "connection": connection,
            "can_manage": target is not None,
            "organizer_rows": organizer_rows,
            "unused": unused,
            "history": history[:10],
            "made_free": made_free_webinars(organizer),
        },
    )


@organizer_required
@require_http_methods(["GET", "POST"])
def connect_start(request: HttpRequest) -> HttpResponse:
    target = connection_target(request.organizer)
    if target is None:
        raise Http404
    if request.method == "GET":
        current = target.current()
        return render(
            request,
            "payments/connect/connect_confirm.html",
            {
                "current": current,
                "webinars": open_paid_webinars(current) if current else [],
            },
        )
    try:
        url = start_connect(
            session=request.session,
            organizer=request.organizer,
            redirect_uri=request.build_absolute_uri(
                reverse("payments:stripe_callback")
            ),
        )
    except ConnectError as error:
        messages.error(request, error.message)
        return redirect("payments:stripe_settings")
    return redirect(url)


@organizer_required
@require_GET
def connect_callback(request: HttpRequest) -> HttpResponse:
    if connection_target(request.organizer) is None:
        raise Http404
    try:
        connection = complete_connect(
            session=request.session,
            organizer=request.organizer,
            state=request.GET.get("state", ""),
            code=request.GET.get("code", ""),
            error=request.GET.get("error", ""),
        )
    except ConnectError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Stripe account %(account)s connected.")
            % {"account": connection.masked_id},
        )
        if made_free_webinars(request.organizer):
            # One screen turns the webinars made free back on together.
            return redirect("payments:stripe_restore")
    return redirect("payments:stripe_settings")


@organizer_required
@require_http_methods(["GET", "POST"])
def disconnect(request: HttpRequest, pk: int) -> HttpResponse:
    connection = managed_connection(request, pk)
    if request.method == "POST":
        try:
            disconnect_stripe(connection=connection, user=request.user)
        except ConnectError as error:
            messages.error(request, error.message)
            return redirect("payments:stripe_disconnect", pk=connection.pk)
        messages.success(
            request,
            _("Stripe account %(account)s disconnected.")
            % {"account": connection.masked_id},
        )
        return redirect("payments:stripe_settings")
    return render(
        request,
        "payments/connect/disconnect_confirm.html",
        {"connection": connection, "webinars": open_paid_webinars(connection)},
    )


@organizer_required
@require_POST
def refresh(request: HttpRequest, pk: int) -> HttpResponse:
    connection = managed_connection(request, pk)
    try:
        refresh_connection(connection=connection)
    except ConnectError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Stripe status updated."))
    return redirect("payments:stripe_settings")


# -- panels shown by the pages of lower apps ---------------------------------------


def account_panel(request: HttpRequest) -> dict[str, Any] | None:
    """Show the Stripe status on the account page."""
    organizer = getattr(request, "organizer", None)
    if organizer is None:
        return None
    return {
        "template": "payments/connect/_account_panel.html",
        "context": {
            "connection": active_connection(
                account=organizer.account, organizer=organizer
            ),
            "account": organizer.account,
        },
    }


def webinar_panel(request: HttpRequest, webinar: Webinar) -> dict[str, Any] | None:
    """Show which Stripe account sells the webinar, and whether it can."""
    connection = connection_for(webinar)
    return {
        "template": "payments/connect/_webinar_panel.html",
        "context": {"connection": connection, "state": selling_state(webinar)},
    }
