"""The webinar page's "Post-session video" panel and its actions."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from organizers.permissions import organizer_required
from payments.models import Price
from payments.money import to_decimal
from recordings import sales, videos
from recordings.errors import RecordingError
from recordings.forms import AttachForm, ReplayPriceForm
from recordings.models import PostSessionVideo
from webinars.models import Webinar
from webinars.permissions import managed_webinar


def webinar_panel(request: HttpRequest, webinar: Webinar) -> dict:
    """The webinars.webinar_panels hook: the "Post-session video" section."""
    organizer = request.organizer
    return {
        "section": "recordings",
        "template": "recordings/webinar_panel.html",
        "context": {
            "webinar": webinar,
            "videos": PostSessionVideo.objects.filter(webinar=webinar).select_related(
                "recording", "session"
            ),
            "form": AttachForm(organizer=organizer, webinar=webinar),
            "replay": videos.replay_recording(webinar),
            "mode": sales.registration_mode(webinar),
            "price_form": ReplayPriceForm(
                initial={"amount": replay_amount_text(webinar)},
                currency=webinar_currency(webinar),
            ),
        },
    }


def webinar_currency(webinar: Webinar) -> str:
    price = Price.objects.filter(webinar=webinar).first()
    return price.currency if price else "USD"


def replay_amount_text(webinar: Webinar) -> str:
    amount = sales.replay_amount(webinar)
    if amount is None:
        return ""
    return str(to_decimal(amount, webinar_currency(webinar)))


@organizer_required
@require_POST
def replay_price(request: HttpRequest, pk: int) -> HttpResponse:
    webinar = managed_webinar(request, pk)
    form = ReplayPriceForm(request.POST, currency=webinar_currency(webinar))
    if form.is_valid():
        sales.set_replay_price(webinar=webinar, amount=form.cleaned_data["amount"])
        messages.success(request, _("Replay price saved."))
    else:
        for error in form.errors.get("amount", []):
            messages.error(request, error)
    return redirect("webinars:recordings", webinar.pk)


@organizer_required
@require_POST
def attach(request: HttpRequest, pk: int) -> HttpResponse:
    webinar = managed_webinar(request, pk)
    form = AttachForm(request.POST, organizer=request.organizer, webinar=webinar)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("webinars:recordings", webinar.pk)
    try:
        videos.attach_recording(
            organizer=request.organizer,
            recording=form.cleaned_data["recording"],
            webinar=webinar,
            session=form.cleaned_data["session"],
        )
    except RecordingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Post-session video attached."))
    return redirect("webinars:recordings", webinar.pk)


@organizer_required
@require_POST
def detach(request: HttpRequest, pk: int, video_pk: int) -> HttpResponse:
    webinar = managed_webinar(request, pk)
    video = get_object_or_404(PostSessionVideo, pk=video_pk, webinar=webinar)
    videos.detach_video(video=video)
    messages.success(request, _("Post-session video removed."))
    return redirect("webinars:recordings", webinar.pk)
