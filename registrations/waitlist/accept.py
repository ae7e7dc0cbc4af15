"""Accept a waitlist offer: the normal registration, on the offer's seat."""

from django.db.models import QuerySet

from registrations import hooks
from registrations.models import WaitlistEntry
from registrations.registration import Registration, start_registration


def accept_offer(*, entry: WaitlistEntry, base_url: str) -> Registration:
    """Register the entry on the seat its offer holds.

    Runs start_registration (Checkout at the price valid now, or confirmed at
    once when there is nothing to pay) with the offer, which it claims under
    the capacity lock. Raise RegistrationError (the offer expired, the email
    is registered already, payments unavailable...).
    """
    registration = start_registration(
        webinar=entry.webinar,
        first_name=entry.first_name,
        last_name=entry.last_name,
        email=entry.email,
        answers=entry.answers,
        session=entry.session,
        language=entry.language,
        base_url=base_url,
        offer=entry,
    )
    accepted: QuerySet[WaitlistEntry] = WaitlistEntry.objects.filter(pk=entry.pk)
    accepted.update(registrant=registration.registrant)
    entry.refresh_from_db()
    hooks.announce_waitlist_event("offer_accepted", entry)
    return registration
