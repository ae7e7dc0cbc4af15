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
        from registrations import hooks as registration_hooks

        registration_hooks.registrant_confirmed_handlers.register(
            events.registrant_confirmed
        )
        registration_hooks.waitlist_event_handlers.register(events.waitlist_event)
