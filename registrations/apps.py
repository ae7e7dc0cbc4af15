from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationsConfig(AppConfig):
    name = "registrations"
    verbose_name = _("Registrations")

    def ready(self) -> None:
        # Importing these registers their Celery tasks and @handles webhook
        # handlers (Celery autodiscovery only imports tasks.py).
        from payments import hooks as payment_hooks
        from registrations import (  # noqa: F401
            checkout,
            dashboard,
            handlers,
        )
        from registrations import models as registration_models
        from registrations.demo import seed_demo_policy
        from registrations.emails import (  # noqa: F401
            reminders,
            sending,
        )
        from registrations.forms.registration import RegistrationForm
        from registrations.members import register_member
        from registrations.page_cache import connect_signals
        from registrations.refunds import (  # noqa: F401
            cancellation,
            stripe_sync,
        )
        from registrations.refunds import handlers as refund_handlers  # noqa: F401
        from registrations.refunds.reports import refund_warnings
        from registrations.views.console import registrants_panel
        from registrations.views.console_waitlist import waitlist_panel
        from registrations.views.emails import email_panel
        from registrations.views.refunds import refunds_panel
        from registrations.waitlist import offers
        from webinars import hooks as webinar_hooks

        registration_models.seat_freed_handlers.register(offers.seat_freed_after_commit)
        webinar_hooks.webinar_panels.register(refunds_panel)
        webinar_hooks.webinar_panels.register(email_panel)
        webinar_hooks.webinar_panels.register(waitlist_panel)
        webinar_hooks.webinar_panels.register(registrants_panel, first=True)
        webinar_hooks.dashboard_warning_providers.register(refund_warnings)
        webinar_hooks.dashboard_warning_providers.register(dashboard.email_warnings)
        webinar_hooks.dashboard_facts_providers.register(dashboard.dashboard_facts)
        webinar_hooks.seed_demo_extensions.register(seed_demo_policy)
        webinar_hooks.member_added_handlers.register(register_member)
        connect_signals()
        # The pricing preview shows the registration page's own form.
        payment_hooks.registration_form_factory.register(RegistrationForm)
