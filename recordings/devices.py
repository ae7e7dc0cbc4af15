"""Watch links follow the join links' 3-device rule (registrations.devices)."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from registrations import devices
from registrations.models import JoinDevice, Registrant


def admit(
    request: HttpRequest,
    *,
    registrant: Registrant,
    respond: Callable[[], HttpResponse],
) -> HttpResponse:
    """Return ``respond()`` on one of the registrant's 3 devices, else a 403 page."""
    return devices.admit_device(
        request, registrant=registrant, response_factory=respond
    )


def known_device(request: HttpRequest, *, registrant: Registrant) -> str | None:
    """Return the request's device id if it is one of the registrant's devices."""
    device = devices.device_id(request)
    if device is None:
        return None
    if not JoinDevice.objects.filter(registrant=registrant, device_id=device).exists():
        return None
    return device
