"""A registrant's watch link: the player page, its media URL, and the join page."""

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from organizers.bounds import is_url_token
from recordings import devices, tokens, videos, watch
from recordings.errors import RecordingError
from recordings.media import allow_external_media, serve_recording
from recordings.models import WatchGrant
from registrations.models import Registrant
from registrations.purchase import format_moment
from webinars.models import Session, Webinar


def load_grant(token: str) -> WatchGrant:
    if not is_url_token(token):
        raise Http404
    return get_object_or_404(
        WatchGrant.objects.select_related(
            "registrant__webinar__account", "recording__account"
        ),
        token=token,
    )


def refused(request: HttpRequest, webinar: Webinar, message: str) -> HttpResponse:
    return render(
        request,
        "recordings/refused.html",
        {"message": message, "webinar": webinar},
        status=403,
    )


@never_cache
# POST: the device continue page (registrations.devices) admits this device.
@require_http_methods(["GET", "POST"])
def watch_page(request: HttpRequest, token: str) -> HttpResponse:
    """A registrant's personal player page."""
    grant = load_grant(token)
    try:
        watch.check_grant(grant)
    except RecordingError as error:
        return refused(request, grant.registrant.webinar, error.message)
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
        admitted = watch.admit_view(grant=grant)
    except RecordingError as error:
        return refused(request, grant.registrant.webinar, error.message)
    webinar = admitted.registrant.webinar
    until = admitted.recording.available_until
    page = render(
        request,
        "recordings/watch.html",
        {
            "grant": admitted,
            "recording": admitted.recording,
            "webinar": webinar,
            # In the webinar's zone, named, in the page's language.
            "available_until": format_moment(
                until, webinar, translation.get_language() or "en"
            )
            if until
            else "",
            "source_url": reverse("recordings:watch_source", args=[grant.token]),
            "start_at": start_at,
            "live": live,
        },
    )
    return allow_external_media(page, admitted.recording)


@never_cache
@require_GET
def watch_source(request: HttpRequest, token: str) -> HttpResponse:
    """Give the player a media URL for this device (again once it expired)."""
    grant = load_grant(token)
    device_id = devices.known_device(request, registrant=grant.registrant)
    if device_id is None:
        return JsonResponse({"error": _("Open your watch link again.")}, status=403)
    try:
        watch.check_grant(grant)
    except RecordingError as error:
        return JsonResponse({"error": error.message}, status=403)
    signed = tokens.sign_media(grant=grant, device_id=device_id)
    return JsonResponse({"url": reverse("recordings:watch_media", args=[signed])})


@require_http_methods(["GET", "HEAD"])
def watch_media(request: HttpRequest, signed: str) -> HttpResponse:
    """The video bytes, for the device the page was opened on, for a short time."""
    try:
        grant = watch.media_grant(
            signed,
            device_of=lambda registrant: devices.known_device(
                request, registrant=registrant
            ),
        )
    except RecordingError as error:
        return HttpResponse(error.message, status=403, content_type="text/plain")
    return serve_recording(request, grant.recording)


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
        video = videos.video_for(webinar=webinar, session=session)
        if video is None:
            return None
        try:
            grant = watch.grant_watch(registrant=registrant, recording=video.recording)
            grant = load_grant(grant.token)
            watch.check_grant(grant)
        except RecordingError as error:
            return refused(request, webinar, error.message)
        offset = int((now - session.starts_at).total_seconds())
        return player_page(request, grant=grant, start_at=offset, live=True)
    if session is not None and not session.has_ended:
        return None
    grant = watch.replay_grant(registrant)
    if grant is None and session is not None:
        grant = watch.session_grant(registrant, session)
    return redirect(grant.get_absolute_url()) if grant else None
