from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        # Registers the events drain's, the events sweeps' and the connection
        # sync's Celery tasks (autodiscovery reads tasks.py).
        from payments import event_drain, event_recovery  # noqa: F401
        from payments.connect import account_sync  # noqa: F401

        self.ready_connect()
        self.ready_pricing()

    def ready_connect(self) -> None:
        """Plug Stripe Connect into the console, the webhooks and seed_demo."""
        # `handlers` is imported for its @handles decorators (Connect webhooks).
        from organizers import hooks as organizer_hooks
        from payments import demo
        from payments.connect import connections, handlers, scope_change  # noqa: F401
        from payments.views import connect as connect_views
        from webinars import hooks as webinar_hooks

        organizer_hooks.account_panels.register(connect_views.account_panel)
        organizer_hooks.account_change_consequences.register(
            scope_change.scope_consequences
        )
        webinar_hooks.dashboard_warning_providers.register(
            connections.dashboard_warnings
        )
        webinar_hooks.seed_demo_extensions.register(demo.connect_demo_account)
        webinar_hooks.seed_demo_report.register(demo.report_demo_account)
        webinar_hooks.webinar_panels.register(connect_views.webinar_panel)

    def ready_pricing(self) -> None:
        """Plug prices and discount codes into the webinar page and seed_demo."""
        from payments import dashboard, demo
        from payments.views import pricing as pricing_views
        from webinars import hooks as webinar_hooks

        webinar_hooks.webinar_panels.register(pricing_views.webinar_panel)
        webinar_hooks.dashboard_facts_providers.register(dashboard.dashboard_facts)
        # After connect_demo_account, which links the demo Stripe account.
        webinar_hooks.seed_demo_extensions.register(demo.seed_demo_pricing)
