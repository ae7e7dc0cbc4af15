from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        self.ready_connect()
        self.ready_pricing()

    def ready_connect(self) -> None:
        """Plug Stripe Connect into the console, the webhooks and seed_demo."""
        from organizers import hooks as organizer_hooks
        from payments import connect, connect_handlers, views_connect  # noqa: F401
        from webinars import hooks as webinar_hooks

        organizer_hooks.account_panels.register(views_connect.account_panel)
        webinar_hooks.dashboard_warning_providers.register(connect.dashboard_warnings)
        webinar_hooks.seed_demo_extensions.register(connect.connect_demo_account)
        webinar_hooks.seed_demo_report.register(connect.report_demo_account)
        webinar_hooks.webinar_panels.register(views_connect.webinar_panel)

    def ready_pricing(self) -> None:
        """Plug prices and discount codes into the webinar page and seed_demo."""
        from payments import services, views_pricing
        from webinars import hooks as webinar_hooks

        webinar_hooks.webinar_panels.register(views_pricing.webinar_panel)
        # After connect's extension, which links the demo Stripe account.
        webinar_hooks.seed_demo_extensions.register(services.seed_demo_pricing)
