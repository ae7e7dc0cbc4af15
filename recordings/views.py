from django.conf import settings
from django.contrib import messages
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from organizers.permissions import organizer_required
from payments.models import Price
from payments.money import to_decimal
from recordings import devices, services
from recordings.forms import (
    AttachForm,
    AvailabilityForm,
    ExternalForm,
    RenameForm,
    ReplayPriceForm,
    UploadForm,
)
from recordings.media import serve_recording
from recordings.models import PostSessionVideo, Recording, WatchGrant
from recordings.services import RecordingError
from registrations.models import Registrant
from webinars.models import Session, Webinar
from webinars.permissions import managed_webinar


def managed_recording(request: HttpRequest, pk: int) -> Recording:
    """Return the recording if the organizer may manage it; a 404 otherwise."""
    return get_object_or_404(
        Recording.objects.visible_to(request.organizer).select_related(
            "account", "webinar", "session"
        ),
        pk=pk,
    )


# Library ---------------------------------------------------------------------


def library_context(request: HttpRequest, **forms: object) -> dict:
    organizer = request.organizer
    recordings = (
        Recording.objects.visible_to(organizer)
        .select_related("webinar", "session__webinar", "uploaded_by__user")
        .prefetch_related("attachments__webinar", "attachments__session")
    )
    return {
        "recordings": recordings,
        "upload_form": forms.get("upload_form") or UploadForm(organizer=organizer),
        "external_form": forms.get("external_form")
        or ExternalForm(organizer=organizer),
        "max_upload": services.human_size(settings.RECORDING_MAX_UPLOAD_BYTES),
        "account": organizer.account,
    }


@organizer_required
@require_GET
def recording_list(request: HttpRequest) -> HttpResponse:
    return render(request, "recordings/list.html", library_context(request))


class SizeLimitUploadHandler(FileUploadHandler):
    """Stop reading an upload as soon as it passes the size limit."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def handle_raw_input(self, *args: object, **kwargs: object) -> None:
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received = start + len(raw_data)
        if self.received > self.limit:
            self.request.recording_too_large = True
            # Drain the rest of the body quietly: the page can then answer.
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


@csrf_exempt
@organizer_required
@require_POST
def recording_upload(request: HttpRequest) -> HttpResponse:
    # The size check must run while the body is read, so the handler is
    # installed before anything touches request.POST (CSRF included).
    request.upload_handlers.insert(
        0, SizeLimitUploadHandler(request, settings.RECORDING_MAX_UPLOAD_BYTES)
    )
    return upload_checked(request)


@csrf_protect
def upload_checked(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST, request.FILES, organizer=request.organizer)
    if getattr(request, "recording_too_large", False):
        form.is_valid()
        form.errors.pop("file", None)
        form.add_error(
            "file",
            _("The file is too large: the limit is %(size)s.")
            % {"size": services.human_size(settings.RECORDING_MAX_UPLOAD_BYTES)},
        )
    elif form.is_valid():
        data = form.cleaned_data
        try:
            recording = services.upload_recording(
                organizer=request.organizer,
                uploaded=data["file"],
                title=data["title"],
                session=data["session"],
                duration_seconds=data["duration"],
            )
        except RecordingError as error:
            form.add_error("file", error.message)
        else:
            messages.success(request, _("Recording uploaded."))
            return redirect("recordings:detail", recording.pk)
    return render(
        request,
        "recordings/list.html",
        library_context(request, upload_form=form),
        status=400,
    )


@organizer_required
@require_POST
def recording_add_external(request: HttpRequest) -> HttpResponse:
    form = ExternalForm(request.POST, organizer=request.organizer)
    if form.is_valid():
        data = form.cleaned_data
        try:
            recording = services.add_external_recording(
                organizer=request.organizer,
                url=data["url"],
                title=data["title"],
                session=data["session"],
                duration_seconds=data["duration"],
            )
        except RecordingError as error:
            form.add_error("url", error.message)
        else:
            messages.success(request, _("Recording added."))
            return redirect("recordings:detail", recording.pk)
    return render(
        request,
        "recordings/list.html",
        library_context(request, external_form=form),
        status=400,
    )


@organizer_required
@require_http_methods(["GET", "POST"])
def recording_detail(request: HttpRequest, pk: int) -> HttpResponse:
    recording = managed_recording(request, pk)
    rename = RenameForm(initial={"title": recording.title}, prefix="rename")
    availability = AvailabilityForm(
        initial={
            "view_limit": recording.view_limit,
            "available_until": recording.available_until,
        },
        prefix="availability",
    )
    status = 200
    if request.method == "POST":
        try:
            if "rename-title" in request.POST:
                rename = RenameForm(request.POST, prefix="rename")
                if rename.is_valid():
                    services.rename_recording(
                        recording=recording, title=rename.cleaned_data["title"]
                    )
                    messages.success(request, _("Recording renamed."))
                    return redirect("recordings:detail", recording.pk)
            else:
                availability = AvailabilityForm(request.POST, prefix="availability")
                if availability.is_valid():
                    services.update_availability(
                        recording=recording,
                        view_limit=availability.cleaned_data["view_limit"],
                        available_until=availability.cleaned_data["available_until"],
                    )
                    messages.success(request, _("Availability saved."))
                    return redirect("recordings:detail", recording.pk)
        except RecordingError as error:
            messages.error(request, error.message)
        status = 400
    return render(
        request,
        "recordings/detail.html",
        {
            "recording": recording,
            "rename_form": rename,
            "availability_form": availability,
            "attachments": recording.attachments.select_related("webinar", "session"),
            "views_used": recording.views_used(),
            "grants": recording.grants.count(),
            "now": timezone.now(),
        },
        status=status,
    )


@organizer_required
@require_POST
def recording_delete(request: HttpRequest, pk: int) -> HttpResponse:
    recording = managed_recording(request, pk)
    services.delete_recording(recording=recording)
    messages.success(request, _("Recording deleted."))
    return redirect("recordings:list")


@organizer_required
@require_POST
def recording_publish(request: HttpRequest, pk: int) -> HttpResponse:
    recording = managed_recording(request, pk)
    published = request.POST.get("published") == "1"
    services.set_published(recording=recording, published=published)
    if published:
        messages.success(request, _("Recording published: watch links work again."))
    else:
        messages.success(request, _("Recording unpublished: watch links stop now."))
    return redirect("recordings:detail", recording.pk)


@organizer_required
@require_http_methods(["GET", "HEAD"])
def recording_media(request: HttpRequest, pk: int) -> HttpResponse:
    """The organizer's own preview of the recording."""
    return serve_recording(request, managed_recording(request, pk))


# Post-session videos on the webinar page --------------------------------------


def webinar_panel(request: HttpRequest, webinar: Webinar) -> dict:
    """The webinar page's "Post-session video" section."""
    organizer = request.organizer
    return {
        "template": "recordings/webinar_panel.html",
        "context": {
            "webinar": webinar,
            "videos": PostSessionVideo.objects.filter(webinar=webinar).select_related(
                "recording", "session"
            ),
            "form": AttachForm(organizer=organizer, webinar=webinar),
            "replay": services.replay_recording(webinar),
            "mode": services.registration_mode(webinar),
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
    amount = services.replay_amount(webinar)
    if amount is None:
        return ""
    return str(to_decimal(amount, webinar_currency(webinar)))


@organizer_required
@require_POST
def replay_price(request: HttpRequest, pk: int) -> HttpResponse:
    webinar = managed_webinar(request, pk)
    form = ReplayPriceForm(request.POST, currency=webinar_currency(webinar))
    if form.is_valid():
        services.set_replay_price(webinar=webinar, amount=form.cleaned_data["amount"])
        messages.success(request, _("Replay price saved."))
    else:
        for error in form.errors.get("amount", []):
            messages.error(request, error)
    return redirect(webinar)


@organizer_required
@require_POST
def attach(request: HttpRequest, pk: int) -> HttpResponse:
    webinar = managed_webinar(request, pk)
    form = AttachForm(request.POST, organizer=request.organizer, webinar=webinar)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(webinar)
    try:
        services.attach_recording(
            organizer=request.organizer,
            recording=form.cleaned_data["recording"],
            webinar=webinar,
            session=form.cleaned_data["session"],
        )
    except RecordingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Post-session video attached."))
    return redirect(webinar)


@organizer_required
@require_POST
def detach(request: HttpRequest, pk: int, video_pk: int) -> HttpResponse:
    webinar = managed_webinar(request, pk)
    video = get_object_or_404(PostSessionVideo, pk=video_pk, webinar=webinar)
    services.detach_video(video=video)
    messages.success(request, _("Post-session video removed."))
    return redirect(webinar)


# Watching --------------------------------------------------------------------


def load_grant(token: str) -> WatchGrant:
    if len(token) > 64:
        raise Http404
    return get_object_or_404(
        WatchGrant.objects.select_related(
            "registrant__webinar__account", "recording__account"
        ),
        token=token,
    )


def refused(request: HttpRequest, grant: WatchGrant, message: str) -> HttpResponse:
    return render(
        request,
        "recordings/refused.html",
        {"message": message, "webinar": grant.registrant.webinar},
        status=403,
    )


@never_cache
# POST: the device continue page (registrations.devices) admits this device.
@require_http_methods(["GET", "POST"])
def watch(request: HttpRequest, token: str) -> HttpResponse:
    """A registrant's personal player page."""
    grant = load_grant(token)
    try:
        services.check_grant(grant)
    except RecordingError as error:
        return refused(request, grant, error.message)
    return devices.admit(
        request,
        registrant=grant.registrant,
        respond=lambda: player_page(request, grant=grant),
    )


def player_page(
    request: HttpRequest, *, grant: WatchGrant, start_at: int = 0, live: bool = False
) -> HttpResponse:
    """Count the view and render the player.

    The page holds no media URL: its script asks for one once the device
    cookie is set, so the URL is bound to this device and expires soon.
    """
    try:
        admitted = services.admit_view(grant=grant)
    except RecordingError as error:
        return refused(request, grant, error.message)
    return render(
        request,
        "recordings/watch.html",
        {
            "grant": admitted,
            "recording": admitted.recording,
            "webinar": admitted.registrant.webinar,
            "source_url": reverse("recordings:watch_source", args=[grant.token]),
            "start_at": start_at,
            "live": live,
        },
    )


def media_url(grant: WatchGrant, device_id: str) -> str:
    signed = services.sign_media(grant=grant, device_id=device_id)
    return reverse("recordings:watch_media", args=[signed])


@never_cache
@require_GET
def watch_source(request: HttpRequest, token: str) -> HttpResponse:
    """Give the player a media URL for this device (again once it expired)."""
    grant = load_grant(token)
    device_id = devices.known_device(request, registrant=grant.registrant)
    if device_id is None:
        return JsonResponse({"error": _("Open your watch link again.")}, status=403)
    try:
        services.check_grant(grant)
    except RecordingError as error:
        return JsonResponse({"error": error.message}, status=403)
    return JsonResponse({"url": media_url(grant, device_id)})


@require_http_methods(["GET", "HEAD"])
def watch_media(request: HttpRequest, signed: str) -> HttpResponse:
    """The video bytes, for the device the page was opened on, for a short time."""
    try:
        grant = services.unsign_media(
            signed,
            device_of=lambda registrant: devices.known_device(
                request, registrant=registrant
            ),
        )
    except RecordingError as error:
        return HttpResponse(error.message, status=403, content_type="text/plain")
    return serve_recording(request, grant.recording)


# Hooks of the join page -------------------------------------------------------


def join_override(
    request: HttpRequest, registrant: Registrant, session: Session | None
) -> HttpResponse | None:
    """The registrations join-page hook: play recordings instead of a live room.

    A recorded (simulated live) webinar plays its session's video from the
    session's start while the session runs; once a session is over (or for
    an on-demand or replay registration) the join link leads to the watch
    link, where the replay rules apply.
    """
    webinar = registrant.webinar
    now = timezone.now()
    if (
        webinar.kind == Webinar.Kind.RECORDED
        and session is not None
        and session.starts_at <= now < session.ends_at
    ):
        video = services.video_for(webinar=webinar, session=session)
        if video is None:
            return None
        try:
            grant = services.grant_watch(
                registrant=registrant, recording=video.recording
            )
            grant = load_grant(grant.token)
            services.check_grant(grant)
        except RecordingError as error:
            return render(
                request,
                "recordings/refused.html",
                {"message": error.message, "webinar": webinar},
                status=403,
            )
        offset = int((now - session.starts_at).total_seconds())
        return player_page(request, grant=grant, start_at=offset, live=True)
    if session is not None and not session.has_ended:
        return None
    grant = services.replay_grant(registrant)
    if grant is None and session is not None:
        grant = services.session_grant(registrant, session)
    return redirect(grant.get_absolute_url()) if grant else None
