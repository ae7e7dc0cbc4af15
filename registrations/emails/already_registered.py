"""Telling the owner of an email that someone registered it again.

The public registration page answers a second registration of an email exactly
as it answers a new one, so whoever types an address learns nothing about it;
the address's owner is told instead, with their own links.
"""

from django.db import transaction

from registrations.emails.outbox import queue_email
from registrations.models import EmailLog, Registrant

# At most this many such emails per registration: the register page's rate
# limit slows a script, this stops it filling someone's inbox.
MAX_NOTICES = 5


def notify_already_registered(*, registrant: Registrant) -> EmailLog | None:
    """Queue the "you are already registered" email with the registrant's links.

    Return None once MAX_NOTICES were queued for this registration.
    """
    with transaction.atomic():
        # Lock the registrant so two attempts never pick the same number.
        Registrant.objects.select_for_update().filter(pk=registrant.pk).first()
        last = (
            EmailLog.objects.filter(
                registrant=registrant, kind=EmailLog.Kind.ALREADY_REGISTERED
            )
            .order_by("-variant")
            .values_list("variant", flat=True)
            .first()
        )
        if last is not None and last + 1 >= MAX_NOTICES:
            return None
        return queue_email(
            registrant=registrant,
            kind=EmailLog.Kind.ALREADY_REGISTERED,
            variant=0 if last is None else last + 1,
        )
