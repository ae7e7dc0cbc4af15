"""Why an email was not sent, kept as a kind with parameters, worded when read.

The sender used to write its reasons as English sentences into `last_error`
(``registrant is cancelled``); they are now a `EmailLog.DropReason` and its
params, read in the reader's language. `LEGACY_DROP_REASONS` maps the old
sentences for the migration that converts those rows.
"""

from collections.abc import Mapping
from typing import Any

from django.db import models
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _


class DropReasonKind(models.TextChoices):
    # Not dropped, or dropped before reasons had kinds: `last_error` says.
    NONE = "", _("None")
    NOT_CONFIRMED = "not_confirmed", _("Registrant no longer confirmed")
    STATUS = "status", _("Registrant's status")
    UNSUBSCRIBED = "unsubscribed", _("Registrant unsubscribed")
    FOLLOWUPS_OFF = "followups_off", _("Follow-ups turned off")
    REMINDERS_OFF = "reminders_off", _("Reminders turned off")
    NOTIFICATIONS_OFF = "notifications_off", _("Notifications turned off")
    SESSION_CANCELLED = "session_cancelled", _("Session cancelled")
    MOVED = "moved", _("Registrant moved to another session")
    REMINDER_REMOVED = "reminder_removed", _("Reminder removed")
    STARTED = "started", _("Session already started")


DROP_TEXTS = {
    "not_confirmed": gettext_noop("The registrant is no longer confirmed."),
    "status": gettext_noop("The registrant's status is now: %(status)s."),
    "unsubscribed": gettext_noop("The registrant unsubscribed."),
    "followups_off": gettext_noop("Follow-ups were turned off."),
    "reminders_off": gettext_noop("Reminders were turned off."),
    "notifications_off": gettext_noop("Notifications were turned off."),
    "session_cancelled": gettext_noop("The session was cancelled."),
    "moved": gettext_noop("The registrant moved to another session."),
    "reminder_removed": gettext_noop("This reminder was removed from the schedule."),
    "started": gettext_noop("The session had already started."),
}

LEGACY_DROP_REASONS = {
    "registrant no longer confirmed": "not_confirmed",
    "registrant unsubscribed": "unsubscribed",
    "follow-ups turned off": "followups_off",
    "reminders turned off": "reminders_off",
    "notifications turned off": "notifications_off",
    "session cancelled": "session_cancelled",
    "registrant moved to another session": "moved",
    "reminder removed from the schedule": "reminder_removed",
    "session already started": "started",
}
LEGACY_STATUS_PREFIX = "registrant is "


def describe_drop(
    kind: str, params: Mapping[str, Any], statuses: Mapping[str, Any]
) -> str:
    """Return why an email was dropped, in the active language.

    `statuses` maps a registrant status to its label, for `params["status"]`.
    """
    template = DROP_TEXTS.get(kind)
    if template is None:
        return ""
    values = dict(params)
    if "status" in values:
        values["status"] = statuses.get(values["status"], values["status"])
    try:
        return gettext(template) % values
    except (KeyError, TypeError, ValueError):
        return gettext(template).split(":")[0]


def legacy_drop(text: str) -> tuple[str, dict[str, str]] | None:
    """Return the kind and params of a sentence the sender used to write, or None."""
    text = text.strip()
    if text in LEGACY_DROP_REASONS:
        return LEGACY_DROP_REASONS[text], {}
    if text.startswith(LEGACY_STATUS_PREFIX):
        status = text.removeprefix(LEGACY_STATUS_PREFIX).strip()
        if status.replace("_", "").isalpha():
            return "status", {"status": status}
    return None


def convert_drop_reasons(email_log_model: Any) -> int:
    """Give every dropped email whose reason is a known sentence its kind.

    Return how many rows were converted. Takes the model (the migration's
    historical one, or the real one in tests); unknown text stays in
    `last_error`, shown as it is.
    """
    converted = 0
    rows = email_log_model.objects.filter(status="dropped", drop_reason="")
    for row in rows.exclude(last_error=""):
        parsed = legacy_drop(row.last_error)
        if parsed is None:
            continue
        row.drop_reason, row.drop_params = parsed
        row.last_error = ""
        row.save(update_fields=["drop_reason", "drop_params", "last_error"])
        converted += 1
    return converted
