from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationsConfig(AppConfig):
    name = "registrations"
    verbose_name = _("Registrations")

    def ready(self) -> None:
        from registrations import refund_handlers

        refund_handlers.register()

        # The outbox's Celery tasks (autodiscovery only imports tasks.py).
        from registrations.emails import (
            reminders,  # noqa: F401 - registers the reminder and follow-up tasks
            sending,  # noqa: F401 - registers the sender task
        )
        from registrations.views.emails import email_panel
        from webinars.hooks import webinar_panels

        webinar_panels.register(email_panel)

        # The registration flow: Checkout webhooks, sweeps, console, members.
        from registrations import (
            handlers,  # noqa: F401 - registers the checkout.session.* handlers
            tasks,  # noqa: F401 - registers the sweeps
        )
        from registrations.services import register_member
        from registrations.views_console import registrants_panel
        from webinars.hooks import member_added_handlers

        webinar_panels.register(registrants_panel, first=True)
        member_added_handlers.register(register_member)

        # The pricing preview shows the registration page's own form.
        from payments import hooks as payment_hooks
        from registrations.forms import RegistrationForm

        payment_hooks.registration_form_factory.register(RegistrationForm)
