from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordingsConfig(AppConfig):
    name = "recordings"
    verbose_name = _("Recordings")

    def ready(self) -> None:
        from recordings import demo, sales, watch
        from recordings.views import watch as watch_views
        from recordings.views import webinar_panel
        from registrations import hooks as registration_hooks
        from webinars import hooks as webinar_hooks

        webinar_hooks.webinar_panels.register(webinar_panel.webinar_panel)
        registration_hooks.watch_link_providers.register(watch.watch_link)
        registration_hooks.join_page_overrides.register(watch_views.join_override)
        registration_hooks.registration_modes.register(sales.registration_mode)
        registration_hooks.recording_availability.register(sales.available_until)
        registration_hooks.recording_unsold_reasons.register(sales.unsold_reason)
        registration_hooks.registrant_confirmed_handlers.register(
            watch.grant_on_confirmation
        )
        webinar_hooks.recording_sale_checks.register(sales.sells_recording)
        webinar_hooks.dashboard_facts_providers.register(sales.dashboard_facts)
        webinar_hooks.dashboard_warning_providers.register(sales.on_demand_warnings)
        webinar_hooks.seed_demo_extensions.register(demo.seed_demo)
        webinar_hooks.seed_demo_report.register(demo.seed_report)
