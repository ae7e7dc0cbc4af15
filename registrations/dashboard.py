"""The registrations app's part of the console dashboard: seats sold, failed emails."""

from typing import Any

from django.utils.translation import ngettext

from organizers.models import Organizer
from registrations.capacity import seats_by_scope
from registrations.models import EmailLog
from webinars.models import Webinar


def dashboard_facts(webinars: list[Webinar]) -> dict[int, dict[str, Any]]:
    """webinars.dashboard_facts_providers: seats taken per webinar and session.

    One query (capacity.seats_by_scope, the registration page's exact count,
    open waitlist offers included): "sold" adds up a webinar's seats,
    "sold_by_session" keeps them per chosen session (None: registrants of the
    whole webinar).
    """
    facts: dict[int, dict[str, Any]] = {}
    taken = seats_by_scope([w.pk for w in webinars])
    for (webinar_id, session_id), seats in taken.items():
        mine = facts.setdefault(webinar_id, {"sold": 0, "sold_by_session": {}})
        mine["sold"] += seats
        mine["sold_by_session"][session_id] = seats
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
