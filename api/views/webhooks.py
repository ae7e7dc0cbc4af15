"""The console's outbound webhooks: endpoints, their delivery log, send again."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from api.forms import WebhookEndpointForm
from api.models import WebhookDelivery, WebhookEndpoint
from api.webhooks.endpoints import (
    create_endpoint,
    disable_endpoint,
    endpoints_visible_to,
    send_test_event,
)
from api.webhooks.outbox import WebhookError, send_again
from organizers.permissions import organizer_required

LOG_LENGTH = 50


@organizer_required
@require_http_methods(["GET", "POST"])
def endpoint_list(request: HttpRequest) -> HttpResponse:
    form = WebhookEndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = create_endpoint(
                creator=request.organizer,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
            )
        except WebhookError as error:
            form.add_error("url", error.message)
        else:
            messages.success(request, _("Endpoint added."))
            return redirect("api:webhook", endpoint.pk)
    endpoints = endpoints_visible_to(request.organizer).select_related("creator__user")
    return render(
        request,
        "api/webhooks.html",
        {"form": form, "endpoints": endpoints},
        status=400 if form.errors else 200,
    )


def _endpoint(request: HttpRequest, pk: int) -> WebhookEndpoint:
    return get_object_or_404(endpoints_visible_to(request.organizer), pk=pk)


@organizer_required
def endpoint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    deliveries = endpoint.deliveries.all()[:LOG_LENGTH]
    response = render(
        request,
        "api/webhook_detail.html",
        {"endpoint": endpoint, "deliveries": deliveries},
    )
    response["Cache-Control"] = "no-store"
    return response


@organizer_required
@require_POST
def endpoint_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    if action == "test" and endpoint.disabled_at is None:
        send_test_event(endpoint=endpoint)
        messages.success(request, _("Test event queued."))
    elif action == "disable":
        disable_endpoint(endpoint=endpoint)
        messages.success(request, _("Endpoint disabled."))
    elif action != "test":
        raise Http404
    return redirect("api:webhook", endpoint.pk)


@organizer_required
@require_POST
def resend(request: HttpRequest, pk: int, delivery_pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    delivery = get_object_or_404(WebhookDelivery, pk=delivery_pk, endpoint=endpoint)
    send_again(delivery=delivery)
    messages.success(request, _("The event is on its way again."))
    return redirect("api:webhook", endpoint.pk)
