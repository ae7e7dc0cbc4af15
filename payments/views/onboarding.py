"""Payments settings: create a Stripe account and onboard it on Stripe."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from organizers.permissions import organizer_required
from payments.connect.account_sync import refresh_connection
from payments.connect.connections import connection_target
from payments.connect.onboarding import (
    create_stripe_account,
    onboarding_link,
    onboarding_message,
)
from payments.errors import ConnectError
from payments.models import StripeConnection
from payments.views.connect import managed_connection


def _to_stripe(request: HttpRequest, connection: StripeConnection) -> HttpResponse:
    """Redirect to a fresh Account Link, or back to the settings with the error."""
    try:
        url = onboarding_link(
            connection=connection,
            refresh_url=request.build_absolute_uri(
                reverse("payments:stripe_onboarding", args=[connection.pk])
            ),
            return_url=request.build_absolute_uri(
                reverse("payments:stripe_onboarded", args=[connection.pk])
            ),
        )
    except ConnectError as error:
        messages.error(request, error.message)
        return redirect("payments:stripe_settings")
    return redirect(url)


@organizer_required
@require_http_methods(["GET", "POST"])
def create_account(request: HttpRequest) -> HttpResponse:
    """Confirm, then create a Stripe account and send the organizer to onboard it."""
    target = connection_target(request.organizer)
    if target is None:
        raise Http404
    if request.method == "GET":
        return render(
            request,
            "payments/connect/create_account.html",
            {"current": target.current()},
        )
    try:
        connection = create_stripe_account(organizer=request.organizer)
    except ConnectError as error:
        messages.error(request, error.message)
        return redirect("payments:stripe_settings")
    return _to_stripe(request, connection)


@organizer_required
@require_GET
def resume_onboarding(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the organizer to a new Account Link (Stripe's refresh URL lands here)."""
    return _to_stripe(request, managed_connection(request, pk))


@organizer_required
@require_GET
def onboarding_return(request: HttpRequest, pk: int) -> HttpResponse:
    """Read the account back from Stripe and say where onboarding stands."""
    connection = managed_connection(request, pk)
    try:
        connection = refresh_connection(connection=connection)
    except ConnectError as error:
        messages.error(request, error.message)
        return redirect("payments:stripe_settings")
    if connection.is_usable:
        messages.success(request, onboarding_message(connection))
    else:
        messages.warning(request, onboarding_message(connection))
    return redirect("payments:stripe_settings")
