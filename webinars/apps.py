from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebinarsConfig(AppConfig):
    name = "webinars"
    verbose_name = _("Webinars")

    def ready(self) -> None:
        from organizers import hooks as organizer_hooks
        from webinars import services

        organizer_hooks.organizer_joined_handlers.register(services.bind_memberships)
