"""Every signed token of the registrations app, with its salt.

Each salt is named after what signs with it, as django.contrib.auth.tokens
does; the values predate this module and stay as they are, so links and
cookies already handed out keep working. (The email unsubscribe token lives
with the emails.)
"""

import secrets
from dataclasses import dataclass

from django.core import signing
from django.utils.crypto import salted_hmac

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


def done_token(*, webinar_id: int, status: str, registrant_id: int = 0) -> str:
    """Return the signed token of the page after a free registration.

    It names the webinar and the state to show. A new registration's token
    also names its registrant, so that the page shows their state as it is now
    (cancelled, say); a second registration of an email lands on the same page
    as a new one (views/registration.py) with `registrant_id` 0, naming none.
    The id is masked by a fresh random salt, so the two tokens look alike (a
    registrant's id, old or new, would tell them apart).
    """
    salt = secrets.token_hex(8)
    return signing.dumps(
        [webinar_id, status, salt, registrant_id ^ _done_mask(salt)], salt=DONE_SALT
    )


def _done_mask(salt: str) -> int:
    """Return the secret 63-bit mask of a done token's registrant id."""
    digest = salted_hmac(DONE_SALT, salt).digest()
    return int.from_bytes(digest[:8]) >> 1


@dataclass(frozen=True)
class DoneState:
    webinar_id: int
    status: str
    # The registrant whose page it is, None if the token names none.
    registrant_id: int | None = None


def read_done_token(token: str) -> DoneState | None:
    """Return what a done-page token says, or None if it is not ours."""
    try:
        value = signing.loads(token, salt=DONE_SALT, max_age=DONE_MAX_AGE)
    except signing.BadSignature:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        # A token handed out before it stopped naming the registrant.
        registrant = Registrant.objects.filter(pk=value).first()
        if registrant is None:
            return None
        return DoneState(registrant.webinar_id, registrant.status, registrant.pk)
    match value:
        case [int() as webinar_id, str() as status]:
            return DoneState(webinar_id, status)
        case [int() as webinar_id, str() as status, str() as salt, int() as masked]:
            registrant_id = masked ^ _done_mask(salt)
            return DoneState(webinar_id, status, registrant_id or None)
    return None


def done_state_from_token(token: str) -> tuple[int, str] | None:
    """Return the (webinar id, status) of a done-page token, or None."""
    state = read_done_token(token)
    return None if state is None else (state.webinar_id, state.status)
