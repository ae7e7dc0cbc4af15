"""The device limit of personal links: at most 3 devices per registrant.

A device is named by a long-lived signed cookie holding a random id from
`secrets`; the first three device ids a registrant's link sees are remembered
(JoinDevice rows) and any other gets a 403 page. The organizer can reset them.
The recordings app reuses `admit_device` for watch links.

Mail security scanners (Outlook Safe Links, Mimecast...) fetch links without
cookies, so a cookieless GET never takes a slot: it gets a small "Continue"
page whose POST (sent by a person, or by its script in a real browser) does.
"""

import secrets
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from registrations.models import JoinDevice, Registrant
from registrations.tokens import DEVICE_COOKIE_SALT

DEVICE_LIMIT = 3
COOKIE_NAME = "tessera_device"
COOKIE_MAX_AGE = 5 * 365 * 24 * 3600
SAFE_METHODS = ("GET", "HEAD")


def device_id(request: HttpRequest) -> str | None:
    """Return the device id of the request's signed cookie, if it is valid."""
    value = request.get_signed_cookie(
        COOKIE_NAME, default=None, salt=DEVICE_COOKIE_SALT
    )
    if not value or len(value) > 64:
        return None
    return value


def admit_device(
    request: HttpRequest,
    *,
    registrant: Registrant,
    response_factory: Callable[[], HttpResponse],
    limit: int = DEVICE_LIMIT,
) -> HttpResponse:
    """Return `response_factory()` for a known or new device, or a 403 page.

    A device already seen by this registrant is always admitted; a new one only
    while fewer than `limit` are known. A GET without a device cookie records
    nothing and gets the continue page instead, whose POST admits the device.
    The signed device cookie is (re)set on every admitted response.
    """
    device = device_id(request)
    if device is None and request.method in SAFE_METHODS:
        return device_continue_response(request)
    device = device or secrets.token_urlsafe(24)
    user_agent = request.headers.get("User-Agent", "")[:400]
    if not _remember(
        registrant=registrant, device=device, user_agent=user_agent, limit=limit
    ):
        return device_limit_response(request, registrant=registrant, limit=limit)
    response = response_factory()
    response.set_signed_cookie(
        COOKIE_NAME,
        device,
        salt=DEVICE_COOKIE_SALT,
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response


def _remember(
    *, registrant: Registrant, device: str, user_agent: str, limit: int
) -> bool:
    with transaction.atomic():
        # The registrant row serialises two new devices racing for the last slot.
        Registrant.objects.select_for_update().filter(pk=registrant.pk).first()
        known = JoinDevice.objects.filter(registrant=registrant, device_id=device)
        if known.update(last_seen=timezone.now()):
            return True
        if JoinDevice.objects.filter(registrant=registrant).count() >= limit:
            return False
        try:
            with transaction.atomic():
                JoinDevice.objects.create(
                    registrant=registrant, device_id=device, user_agent=user_agent
                )
        except IntegrityError:
            # The same device's two tabs arrived together: it is known now.
            pass
    return True


def device_continue_response(request: HttpRequest) -> HttpResponse:
    """Return the page whose POST to the same URL admits this device."""
    html = render_to_string(
        "registrations/device_continue.html",
        {"action": request.get_full_path()},
        request=request,
    )
    response = HttpResponse(html)
    # A shared cache must never hand this page (and its CSRF token) to others.
    add_never_cache_headers(response)
    return response


def device_limit_response(
    request: HttpRequest, *, registrant: Registrant, limit: int = DEVICE_LIMIT
) -> HttpResponse:
    """Return the 403 page that explains the device limit."""
    webinar = registrant.webinar
    html = render_to_string(
        "registrations/device_limit.html",
        {
            "registrant": registrant,
            "webinar": webinar,
            "limit": limit,
            "organizer_email": webinar.owner.email,
        },
        request=request,
    )
    return HttpResponse(html, status=403)


def reset_devices(*, registrant: Registrant) -> int:
    """Forget every device of the registrant; return how many there were."""
    deleted, _by_model = JoinDevice.objects.filter(registrant=registrant).delete()
    return deleted
