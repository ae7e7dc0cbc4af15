from django.conf import settings
from django.http import HttpRequest


def console(request: HttpRequest) -> dict[str, object]:
    """Expose what every page's layout needs."""
    return {
        "organizer": getattr(request, "organizer", None),
        "debug_outbox": settings.DEBUG
        and settings.EMAIL_BACKEND == "config.mail.EmlFileBackend",
        "stripe_sandbox": settings.STRIPE_SANDBOX,
    }
