"""The email outbox: queue an email once; the sender sends it once.

``queue_email`` creates the row (or returns the existing one) and, after
commit, kicks the sender task (emails/sending.py). Organizer notices go the
same way, through ``notify_organizer``; so do the console's resends.
"""

import logging
from typing import Unpack

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registrations.capacity import is_full
from registrations.emails.rows import EmailOptions, create_log
from registrations.emails.sending import kick_sender
from registrations.models import ORGANIZER_KINDS, EmailLog, Registrant
from webinars.models import Webinar

logger = logging.getLogger(__name__)

Kind = EmailLog.Kind


class EmailError(Exception):
    """An email operation that cannot be done; the message is safe to show."""


def queue_email(
    *,
    registrant: Registrant,
    kind: str,
    counted: int | None = None,
    **options: Unpack[EmailOptions],
) -> EmailLog:
    """Queue one email for the registrant, at most once per kind and session.

    ``when`` delays it (default: now). Queuing the same email again returns
    the existing row. After commit, the sender task is kicked for due rows.
    Queuing a confirmation or an awaiting-approval email also queues the
    organizer's notifications that follow from it (new paid registration when
    opted in, registration limit reached); an automatic refund notice also
    tells the organizer. `counted`: the seat counter, when the caller read it
    under the capacity lock (see capacity.is_full).
    """
    if kind not in Kind.values:
        raise ValueError(f"Unknown email kind: {kind}")
    log = create_log(registrant=registrant, kind=kind, **options)
    first = options.get("variant", 0) == 0
    if kind in (Kind.CONFIRMATION, Kind.AWAITING_APPROVAL) and first:
        queue_registration_notifications(registrant=registrant, counted=counted)
    elif kind == Kind.AUTO_REFUNDED:
        create_log(registrant=registrant, kind=Kind.ORGANIZER_AUTO_REFUNDED)
    if log.status == EmailLog.Status.QUEUED and log.scheduled_for <= timezone.now():
        transaction.on_commit(kick_sender)
    return log


def queue_registration_notifications(
    *, registrant: Registrant, counted: int | None = None
) -> None:
    """Queue the organizer's notifications about a new registration."""
    webinar = registrant.webinar
    if (
        webinar.notify_paid_registrations
        and registrant.amount > 0
        and not _paid_with_an_earlier_one(registrant)
    ):
        create_log(registrant=registrant, kind=Kind.NEW_PAID_REGISTRATION)
    session = registrant.session if webinar.is_series else None
    if is_full(webinar=webinar, session=session, counted=counted):
        create_log(registrant=registrant, kind=Kind.LIMIT_REACHED)


def _paid_with_an_earlier_one(registrant: Registrant) -> bool:
    """Whether one Checkout paid for this session and an earlier registrant's.

    A series' sessions bought together are one registrant each, one payment:
    the organizer hears of the payment once, under its first registrant (the
    email lists every session and the payment's total).
    """
    if registrant.session_id is None or registrant.payment_id is None:
        return False
    return Registrant.objects.filter(
        payment_id=registrant.payment_id, pk__lt=registrant.pk
    ).exists()


def notify_organizer(
    *, registrant: Registrant | None, kind: str, variant: int = 0
) -> EmailLog | None:
    """Queue a notice to the webinar's owner about the registrant.

    ``variant`` names what the notice is about (a refund, a refund request),
    so each gets its own email. None when the owner opted out, or when there
    is no registrant to file the notice under (a payment whose registrant is
    gone).
    """
    if kind not in ORGANIZER_KINDS:
        raise ValueError(f"Not an organizer notification: {kind}")
    if registrant is None:
        logger.warning("No registrant to file the %s notice under", kind)
        return None
    if kind == Kind.NEW_PAID_REGISTRATION and not (
        registrant.webinar.notify_paid_registrations
    ):
        return None
    return queue_email(registrant=registrant, kind=kind, variant=variant)


def resend_confirmation(*, registrant: Registrant) -> EmailLog:
    """Queue a new copy of the confirmation (a console or self-service resend)."""
    if registrant.status != Registrant.Status.CONFIRMED:
        raise EmailError(
            _("Only confirmed registrants can be sent their confirmation.")
        )
    with transaction.atomic():
        # Lock the registrant so two resends never pick the same number.
        Registrant.objects.select_for_update().filter(pk=registrant.pk).first()
        last = (
            EmailLog.objects.filter(registrant=registrant, kind=Kind.CONFIRMATION)
            .order_by("-variant")
            .values_list("variant", flat=True)
            .first()
        )
        return queue_email(
            registrant=registrant,
            kind=Kind.CONFIRMATION,
            variant=0 if last is None else last + 1,
        )


def update_email_settings(
    *,
    webinar: Webinar,
    reminders_enabled: bool,
    reminder_offsets: list[int] | None,
    followups_enabled: bool,
    followup_attended_text: str,
    followup_absent_text: str,
    notify_paid_registrations: bool,
) -> Webinar:
    """Save a webinar's email settings; None offsets = the account's default."""
    webinar.reminders_enabled = reminders_enabled
    webinar.reminder_offsets = reminder_offsets
    webinar.followups_enabled = followups_enabled
    webinar.followup_attended_text = followup_attended_text.strip()
    webinar.followup_absent_text = followup_absent_text.strip()
    webinar.notify_paid_registrations = notify_paid_registrations
    webinar.save(
        update_fields=[
            "reminders_enabled",
            "reminder_offsets",
            "followups_enabled",
            "followup_attended_text",
            "followup_absent_text",
            "notify_paid_registrations",
            "updated_at",
        ]
    )
    return webinar


def unsubscribe(*, registrant: Registrant) -> None:
    """Stop the registrant's reminders and follow-ups (List-Unsubscribe)."""
    Registrant.objects.filter(pk=registrant.pk, unsubscribed_at__isnull=True).update(
        unsubscribed_at=timezone.now()
    )
