"""Which webinars an organizer may manage: every webinar console view asks here."""

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from webinars.models import Webinar


def managed_webinar(request: HttpRequest, pk: int) -> Webinar:
    """Return the webinar if the organizer may manage it; a 404 otherwise."""
    return get_object_or_404(
        Webinar.objects.visible_to(request.organizer).select_related(
            "account", "owner__user"
        ),
        pk=pk,
    )
