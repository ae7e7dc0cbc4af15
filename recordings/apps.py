from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordingsConfig(AppConfig):
    name = "recordings"
    verbose_name = _("Recordings")

    def ready(self) -> None:
        from recordings import demo, services, views
        from registrations import hooks as registration_hooks
        from webinars import hooks as webinar_hooks

        webinar_hooks.webinar_panels.register(views.webinar_panel)
        registration_hooks.watch_link_providers.register(services.watch_link)
        registration_hooks.join_page_overrides.register(views.join_override)
        registration_hooks.registration_modes.register(services.registration_mode)
        registration_hooks.registrant_confirmed_handlers.register(
            services.grant_on_confirmation
        )
        webinar_hooks.seed_demo_extensions.register(demo.seed_demo)
        webinar_hooks.seed_demo_report.register(demo.seed_report)
