"""Panelists and co-organizers: a free registration with its join link."""

from django.db import transaction
from django.utils import timezone

from registrations.capacity import STAFF_SOURCES
from registrations.emails.outbox import queue_email
from registrations.models import Registrant
from webinars.models import Webinar, WebinarMember

Status = Registrant.Status


def register_member(member: WebinarMember) -> Registrant:
    """Give a panelist or co-organizer a free registration with its join link."""
    source = (
        Registrant.Source.PANELIST
        if member.role == WebinarMember.Role.PANELIST
        else Registrant.Source.CO_ORGANIZER
    )
    with transaction.atomic():
        Webinar.objects.select_for_update().get(pk=member.webinar_id)
        existing = Registrant.objects.filter(
            webinar_id=member.webinar_id,
            email__iexact=member.email,
            source__in=STAFF_SOURCES,
        ).first()
        if existing is not None:
            return existing
        # Each part fits its column: the member form refuses longer ones.
        first, last = WebinarMember.split_name(member.name)
        registrant = Registrant.objects.create(
            webinar_id=member.webinar_id,
            email=member.email,
            first_name=first,
            last_name=last,
            status=Status.CONFIRMED,
            source=source,
            amount=0,
            confirmed_at=timezone.now(),
        )
        queue_email(registrant=registrant, kind="confirmation")
    return registrant
