"""Every signed token of the registrations app, with its salt.

Each salt is named after what signs with it, as django.contrib.auth.tokens
does; the values predate this module and stay as they are, so links and
cookies already handed out keep working. (The email unsubscribe token lives
with the emails.)
"""

from django.core import signing

from registrations.models import Registrant

# registrations.tokens.checkout_cancel_token: Checkout's cancel link.
CHECKOUT_CANCEL_SALT = "registrations.checkout-cancel"
CHECKOUT_CANCEL_MAX_AGE = 2 * 24 * 3600
# registrations.tokens.done_token: the page after a free registration.
DONE_SALT = "registrations.done"
DONE_MAX_AGE = 7 * 24 * 3600
# registrations.devices: the signed device cookie of personal links.
DEVICE_COOKIE_SALT = "registrations.device"


def _registrant_pk(token: str, *, salt: str, max_age: int) -> int | None:
    try:
        pk = signing.loads(token, salt=salt, max_age=max_age)
    except signing.BadSignature:
        return None
    return pk if isinstance(pk, int) else None


def checkout_cancel_token(registrant: Registrant) -> str:
    """Return the signed token of the Checkout cancel link."""
    return signing.dumps(registrant.pk, salt=CHECKOUT_CANCEL_SALT)


def registrant_from_checkout_cancel_token(token: str) -> Registrant | None:
    """Return the registrant named by a cancel link, or None if it is not ours."""
    pk = _registrant_pk(
        token, salt=CHECKOUT_CANCEL_SALT, max_age=CHECKOUT_CANCEL_MAX_AGE
    )
    if pk is None:
        return None
    return Registrant.objects.select_related("payment", "webinar").filter(pk=pk).first()


def done_token(*, webinar_id: int, status: str) -> str:
    """Return the signed token of the page after a free registration.

    It names the webinar and the state to show, not the registrant: a second
    registration of an email lands on the same page as a new one
    (views/registration.py), and a registrant's id would tell them apart.
    """
    return signing.dumps([webinar_id, status], salt=DONE_SALT)


def done_state_from_token(token: str) -> tuple[int, str] | None:
    """Return the (webinar id, status) of a done-page token, or None."""
    try:
        value = signing.loads(token, salt=DONE_SALT, max_age=DONE_MAX_AGE)
    except signing.BadSignature:
        return None
    if isinstance(value, int):
        # A token handed out before it stopped naming the registrant.
        registrant = Registrant.objects.filter(pk=value).first()
        return (
            None if registrant is None else (registrant.webinar_id, registrant.status)
        )
    match value:
        case [int() as webinar_id, str() as status]:
            return webinar_id, status
    return None
