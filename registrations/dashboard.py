"""The registrations app's part of the console dashboard: seats sold, failed emails."""

from typing import Any

from django.db.models import Count
from django.utils.translation import ngettext

from organizers.models import Organizer
from registrations.models import EmailLog, Registrant
from webinars.models import Webinar


def dashboard_facts(webinars: list[Webinar]) -> dict[int, dict[str, Any]]:
    """webinars.dashboard_facts_providers: seats taken per webinar (one query)."""
    rows = (
        Registrant.objects.filter(webinar_id__in=[w.pk for w in webinars])
        .holding_seats()
        .order_by()
        .values("webinar_id")
        .annotate(n=Count("pk"))
    )
    return {row["webinar_id"]: {"sold": row["n"]} for row in rows}


def email_warnings(organizer: Organizer) -> list[str]:
    """webinars.dashboard_warning_providers: emails that could not be delivered."""
    failed = EmailLog.objects.filter(
        registrant__webinar__in=Webinar.objects.visible_to(organizer),
        status=EmailLog.Status.FAILED,
    ).count()
    if not failed:
        return []
    return [
        ngettext(
            "%(count)d email could not be delivered: see the registrant's email "
            "history to check the address and send it again.",
            "%(count)d emails could not be delivered: see each registrant's email "
            "history to check the address and send it again.",
            failed,
        )
        % {"count": failed}
    ]
