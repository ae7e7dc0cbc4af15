"""Helpers of the waitlist tests: a full webinar with its waitlist on, a line."""

from __future__ import annotations

from typing import Any

from registrations.models import Registrant, WaitlistEntry
from registrations.waitlist.join import join_waitlist
from tests import factories
from webinars.models import Webinar


def full_webinar(*, owner: Any, seats: int = 2, **kwargs: Any) -> Webinar:
    """Return a free webinar whose `seats` seats are taken, waitlist on."""
    webinar = factories.WebinarFactory(
        owner=owner,
        account=owner.account,
        registration_limit=seats,
        waitlist_enabled=True,
        **kwargs,
    )
    factories.RegistrantFactory.create_batch(seats, webinar=webinar)
    return webinar


def line_up(
    webinar: Webinar, count: int, *, session: Any = None, start: int = 0
) -> list[WaitlistEntry]:
    """Put `count` people in the webinar's line; return their entries in order."""
    return [
        join_waitlist(
            webinar=webinar,
            first_name="Wai",
            last_name=f"Ting{n}",
            email=f"waiting{n}@example.com",
            answers={},
            session=session,
        ).entry
        for n in range(start, start + count)
    ]


def a_confirmed(webinar: Webinar) -> Registrant:
    return Registrant.objects.filter(
        webinar=webinar, status=Registrant.Status.CONFIRMED
    ).first()
