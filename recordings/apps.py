from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordingsConfig(AppConfig):
    name = "recordings"
    verbose_name = _("Recordings")

    def ready(self) -> None:
        from organizers import hooks as organizer_hooks
        from recordings import demo, services, views
        from registrations import hooks as registration_hooks
        from webinars import hooks as webinar_hooks

        def add(registry: list, function: object) -> None:
            if function not in registry:
                registry.append(function)

        add(webinar_hooks.webinar_panels, views.webinar_panel)
        add(registration_hooks.watch_link_providers, services.watch_link)
        add(registration_hooks.join_page_overrides, views.join_override)
        add(registration_hooks.registration_modes, services.registration_mode)
        add(
            registration_hooks.registrant_confirmed_handlers,
            services.grant_on_confirmation,
        )
        add(organizer_hooks.seed_demo_extensions, demo.seed_demo)
        add(organizer_hooks.seed_demo_report, demo.seed_report)
