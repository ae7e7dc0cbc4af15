"""The registrations app's part of the console dashboard: seats sold, failed emails."""

from typing import Any

from django.db.models import Count
from django.utils.translation import ngettext

from organizers.models import Organizer
from registrations.models import EmailLog, Registrant
from webinars.models import Webinar


def dashboard_facts(webinars: list[Webinar]) -> dict[int, dict[str, Any]]:
    """webinars.dashboard_facts_providers: seats taken per webinar and session.

    One query: "sold" adds up a webinar's rows, "sold_by_session" keeps them
    per chosen session (None: registrants of the whole webinar).
    """
    rows = (
        Registrant.objects.filter(webinar_id__in=[w.pk for w in webinars])
        .holding_seats()
        .order_by()
        .values("webinar_id", "session_id")
        .annotate(n=Count("pk"))
    )
    facts: dict[int, dict[str, Any]] = {}
    for row in rows:
        mine = facts.setdefault(row["webinar_id"], {"sold": 0, "sold_by_session": {}})
        mine["sold"] += row["n"]
        mine["sold_by_session"][row["session_id"]] = row["n"]
    return facts


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
