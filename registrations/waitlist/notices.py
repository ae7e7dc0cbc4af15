"""Queue the emails of a waitlist entry in the outbox (rendered in emails/)."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from registrations.emails.sending import kick_sender
from registrations.emails.waitlist import WAITLIST_KINDS
from registrations.models import EmailLog, WaitlistEntry


def queue_waitlist_email(
    *, entry: WaitlistEntry, kind: str, variant: int = 0
) -> EmailLog:
    """Queue one email to the entry, once per kind and variant; kick the sender."""
    if kind not in WAITLIST_KINDS:
        raise ValueError(f"Not a waitlist email: {kind}")
    key = {"waitlist_entry": entry, "kind": kind, "variant": variant}
    try:
        log, _created = EmailLog.objects.get_or_create(
            **key, defaults={"scheduled_for": timezone.now()}
        )
    except IntegrityError:
        log = EmailLog.objects.get(**key)
    if log.status == EmailLog.Status.QUEUED:
        transaction.on_commit(kick_sender)
    return log
