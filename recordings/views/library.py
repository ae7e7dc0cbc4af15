"""The console's recording library: list, add, edit, publish, delete, preview."""

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from organizers.permissions import organizer_required
from recordings import forms, library
from recordings.errors import RecordingError
from recordings.media import allow_external_media, serve_recording
from recordings.models import Recording
from webinars.models import Webinar


def managed_recording(request: HttpRequest, pk: int) -> Recording:
    """Return the recording if the organizer may manage it; a 404 otherwise."""
    return get_object_or_404(
        Recording.objects.visible_to(request.organizer).select_related(
            "account", "webinar", "session"
        ),
        pk=pk,
    )


def changeable_recording(request: HttpRequest, pk: int) -> Recording:
    """Return the recording if the organizer may change it; a 404 otherwise.

    A recording that also serves webinars the organizer does not manage is
    visible to them (read only) but not theirs to rename, publish or delete.
    """
    return get_object_or_404(
        Recording.objects.changeable_by(request.organizer).select_related(
            "account", "webinar", "session"
        ),
        pk=pk,
    )


def library_context(request: HttpRequest, **page_forms: object) -> dict:
    """Return the library page's context; ``page_forms`` replace the blank forms."""
    organizer = request.organizer
    recordings = (
        Recording.objects.visible_to(organizer)
        .select_related("webinar", "session__webinar", "uploaded_by__user")
        .prefetch_related("attachments__webinar", "attachments__session")
    )
    return {
        "recordings": recordings,
        "upload_form": page_forms.get("upload_form")
        or forms.UploadForm(organizer=organizer),
        "external_form": page_forms.get("external_form")
        or forms.ExternalForm(organizer=organizer),
        "max_upload": library.human_size(settings.RECORDING_MAX_UPLOAD_BYTES),
        "account": organizer.account,
    }


@organizer_required
@require_GET
def recording_list(request: HttpRequest) -> HttpResponse:
    return render(request, "recordings/list.html", library_context(request))


def add_to_library(
    request: HttpRequest, form: forms.UploadForm | forms.ExternalForm, *, done: str
) -> HttpResponse:
    """Save a valid form's recording and show it; else the library, with errors."""
    if form.is_valid():
        try:
            recording = form.save(organizer=request.organizer)
        except RecordingError as error:
            form.add_error(form.source_field, error.message)
        else:
            messages.success(request, done)
            return redirect("recordings:detail", recording.pk)
    return render(
        request,
        "recordings/list.html",
        library_context(request, **{form.context_name: form}),
        status=400,
    )


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
    form = forms.UploadForm(request.POST, request.FILES, organizer=request.organizer)
    if getattr(request, "recording_too_large", False):
        form.is_valid()
        form.errors.pop("file", None)
        form.add_error(
            "file",
            _("The file is too large: the limit is %(size)s.")
            % {"size": library.human_size(settings.RECORDING_MAX_UPLOAD_BYTES)},
        )
    return add_to_library(request, form, done=_("Recording uploaded."))


@organizer_required
@require_POST
def recording_add_external(request: HttpRequest) -> HttpResponse:
    form = forms.ExternalForm(request.POST, organizer=request.organizer)
    return add_to_library(request, form, done=_("Recording added."))


@organizer_required
@require_http_methods(["GET", "POST"])
def recording_detail(request: HttpRequest, pk: int) -> HttpResponse:
    recording = managed_recording(request, pk)
    may_change = (
        Recording.objects.changeable_by(request.organizer)
        .filter(pk=recording.pk)
        .exists()
    )
    rename = forms.RenameForm(initial={"title": recording.title}, prefix="rename")
    availability = forms.AvailabilityForm(
        initial={
            "view_limit": recording.view_limit,
            "available_until": recording.available_until,
        },
        prefix="availability",
    )
    status = 200
    if request.method == "POST":
        if not may_change:
            raise Http404
        try:
            if "rename-title" in request.POST:
                rename = forms.RenameForm(request.POST, prefix="rename")
                if rename.is_valid():
                    library.rename_recording(
                        recording=recording, title=rename.cleaned_data["title"]
                    )
                    messages.success(request, _("Recording renamed."))
                    return redirect("recordings:detail", recording.pk)
            else:
                availability = forms.AvailabilityForm(
                    request.POST, prefix="availability"
                )
                if availability.is_valid():
                    library.update_availability(
                        recording=recording,
                        view_limit=availability.cleaned_data["view_limit"],
                        available_until=availability.cleaned_data["available_until"],
                    )
                    messages.success(request, _("Availability saved."))
                    return redirect("recordings:detail", recording.pk)
        except RecordingError as error:
            messages.error(request, error.message)
        status = 400
    page = render(
        request,
        "recordings/detail.html",
        {
            "recording": recording,
            "may_change": may_change,
            "rename_form": rename,
            "availability_form": availability,
            # Only the webinars this organizer may see are named.
            "attachments": recording.attachments.filter(
                webinar__in=Webinar.objects.visible_to(request.organizer)
            ).select_related("webinar", "session"),
            "views_used": recording.views_used(),
            "grants": recording.grants.count(),
            "now": timezone.now(),
        },
        status=status,
    )
    return allow_external_media(page, recording)


@organizer_required
@require_POST
def recording_delete(request: HttpRequest, pk: int) -> HttpResponse:
    recording = changeable_recording(request, pk)
    library.delete_recording(recording=recording)
    messages.success(request, _("Recording deleted."))
    return redirect("recordings:list")


@organizer_required
@require_POST
def recording_publish(request: HttpRequest, pk: int) -> HttpResponse:
    recording = changeable_recording(request, pk)
    published = request.POST.get("published") == "1"
    library.set_published(recording=recording, published=published)
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
