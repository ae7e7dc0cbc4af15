"""After a reconnect: the webinars a disconnection made free, to turn back on."""

from django.contrib.auth.models import AbstractBaseUser

from organizers.models import Organizer
from payments.connect.connections import can_sell, with_open_registration
from payments.errors import PaymentsError
from payments.models import StripeDisconnection
from payments.price_changes import set_payments_enabled
from webinars.models import Webinar


def made_free_webinars(organizer: Organizer) -> list[Webinar]:
    """Return the webinars a disconnection made free that could sell again now.

    Those the organizer manages, still free (payments off), not cancelled, with
    open registration, and sold by a usable connection today.
    """
    ids = StripeDisconnection.webinars.through.objects.filter(
        stripedisconnection__account_id=organizer.account_id
    ).values("webinar_id")
    candidates = with_open_registration(
        Webinar.objects.visible_to(organizer).filter(pk__in=ids, price__enabled=False)
    ).select_related("account", "owner__user", "price")
    return [w for w in candidates.order_by("title", "pk") if can_sell(w)]


def restore_payments(
    *, organizer: Organizer, webinar_ids: list[int], user: AbstractBaseUser | None
) -> tuple[list[Webinar], list[tuple[Webinar, str]]]:
    """Turn payments back on for the chosen webinars; return (done, failed)."""
    done: list[Webinar] = []
    failed: list[tuple[Webinar, str]] = []
    for webinar in made_free_webinars(organizer):
        if webinar.pk not in webinar_ids:
            continue
        try:
            set_payments_enabled(webinar=webinar, enabled=True, user=user)
        except PaymentsError as error:
            failed.append((webinar, error.message))
        else:
            done.append(webinar)
    return done, failed
