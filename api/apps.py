from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("API")

    def ready(self) -> None:
        # Registers the bearer-token scheme with drf-spectacular, and the
        # webhook tasks with Celery.
        from api import schema  # noqa: F401
        from api.webhooks import events, outbox  # noqa: F401

        events.subscribe()
