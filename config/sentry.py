"""Error reporting to Sentry, switched on by SENTRY_DSN (config/settings.py)."""

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.logging import LoggingIntegration


def init_sentry(
    *, dsn: str, environment: str, release: str | None, traces_sample_rate: float
) -> None:
    """Send unhandled errors of the web and Celery processes to Sentry.

    No personal data: registrants' emails and addresses stay out of reports
    (send_default_pii off); ERROR log records become events, lower levels
    only breadcrumbs.
    """
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        send_default_pii=False,
        traces_sample_rate=traces_sample_rate,
        integrations=[
            DjangoIntegration(),
            CeleryIntegration(),
            LoggingIntegration(event_level="ERROR"),
        ],
    )
