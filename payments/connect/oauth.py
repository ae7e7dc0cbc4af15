"""Linking a Stripe account through Stripe's OAuth: state, authorize URL, callback."""

import secrets
import time
from collections.abc import MutableMapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from organizers.models import Organizer
from payments import gateway
from payments.connect.account_sync import (
    store_account_info,
    store_new_connection,
    unavailable_message,
)
from payments.connect.connections import Target, connection_target
from payments.connect.disconnect import record_disconnection, unlink_at_stripe
from payments.errors import ConnectError
from payments.models import StripeConnection, StripeDisconnection

SESSION_KEY = "payments_stripe_oauth"
# An authorization started and never finished is dropped after this long.
STATE_MAX_AGE = 60 * 60


def start_connect(
    *, session: MutableMapping[str, Any], organizer: Organizer, redirect_uri: str
) -> str:
    """Bind a fresh OAuth `state` to the session and return Stripe's authorize URL."""
    target = connection_target(organizer)
    if target is None:
        raise ConnectError(_("Only an account admin can connect Stripe."))
    state = secrets.token_urlsafe(32)
    session[SESSION_KEY] = {
        "state": state,
        "account": organizer.account_id,
        "organizer": target.organizer.pk if target.organizer else None,
        "user": organizer.user_id,
        "started": int(time.time()),
    }
    return gateway.oauth_authorize_url(state=state, redirect_uri=redirect_uri)


def complete_connect(
    *,
    session: MutableMapping[str, Any],
    organizer: Organizer,
    state: str,
    code: str,
    error: str = "",
) -> StripeConnection:
    """Check the OAuth callback, link the Stripe account and store the connection.

    Nothing is stored when anything fails. A connection to another Stripe
    account is replaced under the disconnect rules.
    """
    # One use per state: a replayed callback finds nothing in the session.
    pending = session.pop(SESSION_KEY, None)
    target = connection_target(organizer)
    if not _state_matches(pending, state, organizer, target):
        raise ConnectError(
            _(
                "This Stripe connection request is not valid any more. Nothing was "
                "changed; please start again."
            )
        )
    if error:
        if error == "access_denied":
            raise ConnectError(
                _("The connection was declined on Stripe. Nothing was changed.")
            )
        raise ConnectError(
            _("Stripe could not connect the account. Nothing was changed.")
        )
    if not code:
        raise ConnectError(
            _("Stripe sent no authorization back. Nothing was changed; try again.")
        )
    assert target is not None  # noqa: S101 - _state_matches checked it
    try:
        token = gateway.oauth_exchange_code(code=code)
        _check_mode(token.livemode)
        info = gateway.retrieve_account(account=token.stripe_user_id)
    except gateway.StripeUnavailable as failure:
        raise ConnectError(unavailable_message()) from failure
    except gateway.GatewayError as failure:
        raise ConnectError(
            _(
                "Stripe did not accept this authorization (it may have expired or "
                "been used already). Nothing was changed; please connect again."
            )
        ) from failure

    current = target.current()
    if current is not None and current.stripe_account_id == info.id:
        return store_account_info(current, info=info)
    taken = StripeConnection.objects.filter(
        stripe_account_id=info.id, disconnected_at__isnull=True
    )
    if taken.exists():
        raise ConnectError(
            _(
                "This Stripe account is already connected to Tessera elsewhere. "
                "Nothing was changed."
            )
        )
    expired = unlink_at_stripe(current) if current is not None else 0
    with transaction.atomic():
        if current is not None:
            record_disconnection(
                connection=current,
                user=organizer.user,
                source=StripeDisconnection.Source.REPLACED,
                expired_sessions=expired,
            )
        return store_new_connection(
            target=target, info=info, livemode=token.livemode, user=organizer.user
        )


def _state_matches(
    pending: Any, state: str, organizer: Organizer, target: Target | None
) -> bool:
    if not isinstance(pending, dict) or not state or target is None:
        return False
    expected = str(pending.get("state") or "")
    if not expected or not secrets.compare_digest(expected, state):
        return False
    return (
        pending.get("account") == organizer.account_id
        and pending.get("user") == organizer.user_id
        and pending.get("organizer")
        == (target.organizer.pk if target.organizer else None)
        and int(time.time()) - int(pending.get("started") or 0) <= STATE_MAX_AGE
    )


def _check_mode(livemode: bool) -> None:
    if livemode == settings.STRIPE_LIVEMODE:
        return
    if settings.STRIPE_LIVEMODE:
        message = _(
            "This is a test-mode Stripe account, but Tessera takes real payments. "
            "Connect your live Stripe account. Nothing was changed."
        )
    else:
        message = _(
            "This is a live Stripe account, but this Tessera runs in test mode. "
            "Connect a test-mode account. Nothing was changed."
        )
    raise ConnectError(message)
