"""Stripe Connect: which connection sells a webinar, and linking or unlinking one.

An account either has one account-wide connection (only admins manage it) or one
connection per organizer (each organizer manages their own). Connecting goes
through Stripe's OAuth; disconnecting stops open checkouts at Stripe first, then
makes the webinars it sold free (prices are kept for a later reconnection).
"""

import logging
import secrets
import time
from collections import defaultdict
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from organizers.models import Account, Organizer
from payments import gateway
from payments.models import (
    Payment,
    Price,
    PriceChange,
    StripeConnection,
    StripeDisconnection,
)
from webinars.models import Webinar

logger = logging.getLogger(__name__)

SESSION_KEY = "payments_stripe_oauth"
# An authorization started and never finished is dropped after this long.
STATE_MAX_AGE = 60 * 60

SellingState = Literal["free", "paid", "unavailable"]


class ConnectError(Exception):
    """Connecting or disconnecting Stripe failed; the message is safe to show."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class Target:
    """The connection an organizer manages: the account's, or their own."""

    account: Account
    organizer: Organizer | None

    def current(self) -> StripeConnection | None:
        return StripeConnection.objects.filter(
            account=self.account,
            organizer=self.organizer,
            disconnected_at__isnull=True,
        ).first()


# -- who sells what ---------------------------------------------------------------


def active_connection(
    *, account: Account, organizer: Organizer | None = None
) -> StripeConnection | None:
    """Return the live connection of the account, or of its organizer."""
    qs = StripeConnection.objects.filter(account=account, disconnected_at__isnull=True)
    if account.stripe_scope == Account.StripeScope.ORGANIZER:
        if organizer is None:
            return None
        return qs.filter(organizer=organizer).first()
    return qs.filter(organizer__isnull=True).first()


def connection_for(webinar: Webinar) -> StripeConnection | None:
    """Return the connection that sells this webinar: the account's, or its owner's."""
    return active_connection(account=webinar.account, organizer=webinar.owner)


def selling_state(webinar: Webinar) -> SellingState:
    """Tell whether the webinar registers for free, sells, or cannot sell right now.

    "unavailable" means payments are on but no connection can take them (not
    connected, or Stripe disabled charges): the registration page must not
    register for free then.
    """
    price = Price.objects.filter(webinar=webinar).first()
    if price is None or not price.enabled:
        return "free"
    connection = connection_for(webinar)
    if connection is not None and connection.is_usable:
        return "paid"
    return "unavailable"


def sold_webinars(connection: StripeConnection) -> QuerySet[Webinar]:
    """Return the webinars this connection sells under the account's current scope."""
    account = connection.account
    qs = Webinar.objects.filter(account=account)
    if connection.organizer_id is None:
        if account.stripe_scope != Account.StripeScope.ACCOUNT:
            return qs.none()
        return qs
    if account.stripe_scope != Account.StripeScope.ORGANIZER:
        return qs.none()
    return qs.filter(owner_id=connection.organizer_id)


def with_open_registration(qs: QuerySet[Webinar]) -> QuerySet[Webinar]:
    """Keep webinars that still take registrations (not cancelled, not over)."""
    now = timezone.now()
    return (
        qs.filter(cancelled_at__isnull=True)
        .filter(
            Q(kind=Webinar.Kind.ON_DEMAND)
            | Q(sessions__ends_at__gte=now, sessions__cancelled_at__isnull=True)
        )
        .distinct()
    )


def open_paid_webinars(connection: StripeConnection) -> QuerySet[Webinar]:
    """Return the paid webinars with open registration this connection sells."""
    return with_open_registration(
        sold_webinars(connection).filter(price__enabled=True)
    ).order_by("title", "pk")


# -- permissions -------------------------------------------------------------------


def connection_target(organizer: Organizer) -> Target | None:
    """Return the connection this organizer may manage under the current scope."""
    account = organizer.account
    if account.stripe_scope == Account.StripeScope.ORGANIZER:
        return Target(account=account, organizer=organizer)
    if organizer.is_admin:
        return Target(account=account, organizer=None)
    return None


def may_manage(*, organizer: Organizer, connection: StripeConnection) -> bool:
    """Tell whether the organizer may disconnect or refresh this connection."""
    if connection.account_id != organizer.account_id:
        return False
    if connection.organizer_id is None:
        return organizer.is_admin
    return connection.organizer_id == organizer.pk


# -- connecting --------------------------------------------------------------------


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
        raise ConnectError(_unavailable_message()) from failure
    except gateway.GatewayError as failure:
        raise ConnectError(
            _(
                "Stripe did not accept this authorization (it may have expired or "
                "been used already). Nothing was changed; please connect again."
            )
        ) from failure

    current = target.current()
    if current is not None and current.stripe_account_id == info.id:
        return _refresh_fields(current, info=info)
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
    expired = _unlink_at_stripe(current) if current is not None else 0
    try:
        with transaction.atomic():
            if current is not None:
                _record_disconnection(
                    connection=current,
                    user=organizer.user,
                    source=StripeDisconnection.Source.REPLACED,
                    expired_sessions=expired,
                )
            return StripeConnection.objects.create(
                account=target.account,
                organizer=target.organizer,
                stripe_account_id=info.id,
                livemode=token.livemode,
                charges_enabled=info.charges_enabled,
                details_submitted=info.details_submitted,
                business_name=(info.business_name or "")[:200],
                connected_by=organizer.user,
                synced_at=timezone.now(),
            )
    except IntegrityError as failure:
        # Two callbacks for the same target at once: the other one won.
        raise ConnectError(
            _(
                "Another Stripe account was connected at the same time. Nothing was "
                "changed; reload the page."
            )
        ) from failure


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


def _unavailable_message() -> str:
    return _(
        "Stripe is unavailable right now. Nothing was changed; please try again in "
        "a few minutes."
    )


def _refresh_fields(
    connection: StripeConnection, *, info: gateway.AccountInfo
) -> StripeConnection:
    result = sync_account(
        stripe_account_id=connection.stripe_account_id,
        charges_enabled=info.charges_enabled,
        details_submitted=info.details_submitted,
        business_name=info.business_name,
    )
    return next((c for c in result if c.pk == connection.pk), connection)


# -- disconnecting -----------------------------------------------------------------


def disconnect_stripe(
    *, connection: StripeConnection, user: AbstractBaseUser | None
) -> StripeDisconnection:
    """Stop open checkouts, unlink at Stripe, then make its paid webinars free.

    Stripe goes first: if it fails, nothing changes here and the call can be
    repeated (expiring a session twice is harmless).
    """
    if not connection.is_active:
        raise ConnectError(_("This Stripe account is already disconnected."))
    expired = _unlink_at_stripe(connection)
    with transaction.atomic():
        record = _record_disconnection(
            connection=connection,
            user=user,
            source=StripeDisconnection.Source.CONSOLE,
            expired_sessions=expired,
        )
    if record is None:
        # The deauthorization webhook got there first and recorded it.
        record = StripeDisconnection.objects.filter(connection=connection).first()
        assert record is not None  # noqa: S101 - a disconnected row has a record
    return record


def handle_deauthorized(
    *, stripe_account_id: str, at: datetime | None = None
) -> list[StripeDisconnection]:
    """Apply a disconnection made from Stripe's side (no call to Stripe)."""
    records = []
    connections = StripeConnection.objects.filter(
        stripe_account_id=stripe_account_id, disconnected_at__isnull=True
    )
    for connection in connections:
        # A late event about an earlier link must not end a newer connection.
        if at is not None and connection.connected_at.replace(microsecond=0) > at:
            continue
        with transaction.atomic():
            record = _record_disconnection(
                connection=connection,
                user=None,
                source=StripeDisconnection.Source.STRIPE,
            )
        if record is not None:
            records.append(record)
    return records


def _unlink_at_stripe(connection: StripeConnection) -> int:
    """Expire the connection's open Checkout Sessions and deauthorize it."""
    payments = Payment.objects.filter(
        account=connection.account,
        stripe_account_id=connection.stripe_account_id,
        status__in=[Payment.Status.OPEN, Payment.Status.CREATED],
        checkout_session_id__isnull=False,
    ).exclude(checkout_session_id="")
    expired = 0
    try:
        for payment in payments.iterator():
            try:
                gateway.expire_checkout_session(
                    account=connection.stripe_account_id,
                    session_id=payment.checkout_session_id,
                )
                expired += 1
            except gateway.InvalidRequest:
                # Already expired or completed at Stripe: nothing left to stop.
                continue
        gateway.oauth_deauthorize(account=connection.stripe_account_id)
    except gateway.AccountDisconnected:
        # Unlinked from Stripe's dashboard already: nothing left to do there.
        logger.info("Stripe account %s already unlinked", connection.stripe_account_id)
    except gateway.GatewayError as failure:
        raise ConnectError(
            _(
                "Stripe is unavailable right now, so the account is still connected "
                "and nothing was changed. Please try again in a few minutes."
            )
        ) from failure
    return expired


def _record_disconnection(
    *,
    connection: StripeConnection,
    user: AbstractBaseUser | None,
    source: str,
    expired_sessions: int = 0,
) -> StripeDisconnection | None:
    """Mark the connection ended and make its open paid webinars free.

    Return None when the connection had already ended (a concurrent webhook).
    """
    locked = (
        StripeConnection.objects.select_for_update()
        .select_related("account")
        .get(pk=connection.pk)
    )
    if locked.disconnected_at is not None:
        return None
    webinars = list(open_paid_webinars(locked))
    now = timezone.now()
    locked.disconnected_at = now
    locked.disconnected_by = user
    locked.save(update_fields=["disconnected_at", "disconnected_by"])
    connection.disconnected_at = now
    connection.disconnected_by = user
    prices = Price.objects.filter(webinar__in=webinars, enabled=True)
    PriceChange.objects.bulk_create(
        PriceChange(
            price=price,
            changed_by=user,
            description=_(
                "Payments turned off: Stripe account %(account)s disconnected."
            )
            % {"account": locked.masked_id},
        )
        for price in prices
    )
    # The amounts stay: reconnecting and turning payments on restores them.
    prices.update(enabled=False, updated_at=now)
    record = StripeDisconnection.objects.create(
        connection=locked,
        account=locked.account,
        stripe_account_id=locked.stripe_account_id,
        source=source,
        disconnected_by=user,
        webinar_titles=[webinar.title for webinar in webinars],
        expired_sessions=expired_sessions,
    )
    record.webinars.set(webinars)
    return record


# -- keeping the state in sync -----------------------------------------------------


def sync_account(
    *,
    stripe_account_id: str,
    charges_enabled: bool,
    details_submitted: bool,
    business_name: str | None = None,
    at: datetime | None = None,
) -> list[StripeConnection]:
    """Store what Stripe says of an account; tell organizers if charges stopped.

    `at` is when Stripe said it (an event's `created`); an older statement than
    the stored one is ignored, since events arrive in any order.
    """
    updated = []
    with transaction.atomic():
        connections = StripeConnection.objects.select_for_update().filter(
            stripe_account_id=stripe_account_id, disconnected_at__isnull=True
        )
        for connection in connections:
            if at is not None and connection.synced_at and at < connection.synced_at:
                continue
            was_enabled = connection.charges_enabled
            connection.charges_enabled = charges_enabled
            connection.details_submitted = details_submitted
            if business_name:
                connection.business_name = business_name[:200]
            connection.synced_at = at or timezone.now()
            connection.save(
                update_fields=[
                    "charges_enabled",
                    "details_submitted",
                    "business_name",
                    "synced_at",
                ]
            )
            updated.append(connection)
            if was_enabled and not charges_enabled:
                webinar_ids = list(
                    open_paid_webinars(connection).values_list("pk", flat=True)
                )
                if webinar_ids:
                    transaction.on_commit(
                        lambda ids=webinar_ids, pk=connection.pk: (
                            send_charges_disabled_emails(
                                connection_id=pk, webinar_ids=ids
                            )
                        ),
                        robust=True,
                    )
    return updated


def refresh_connection(*, connection: StripeConnection) -> StripeConnection:
    """Ask Stripe for the account's state now and store it."""
    if not connection.is_active:
        raise ConnectError(_("This Stripe account is disconnected."))
    try:
        info = gateway.retrieve_account(account=connection.stripe_account_id)
    except gateway.AccountDisconnected as failure:
        raise ConnectError(
            _(
                "Stripe says this account is no longer connected to Tessera. "
                "Disconnect it here and connect again."
            )
        ) from failure
    except gateway.GatewayError as failure:
        raise ConnectError(_unavailable_message()) from failure
    return _refresh_fields(connection, info=info)


def send_charges_disabled_emails(*, connection_id: int, webinar_ids: list[int]) -> None:
    """Tell each owner of the affected paid webinars that sales are paused."""
    connection = StripeConnection.objects.get(pk=connection_id)
    by_owner: dict[Organizer, list[Webinar]] = defaultdict(list)
    webinars = Webinar.objects.filter(pk__in=webinar_ids).select_related("owner__user")
    for webinar in webinars.order_by("title"):
        by_owner[webinar.owner].append(webinar)
    for owner, owned in by_owner.items():
        context = {
            "owner": owner,
            "webinars": owned,
            "connection": connection,
            "site_url": settings.SITE_URL,
        }
        subject = render_to_string(
            "payments/connect/email/charges_disabled_subject.txt", context
        )
        body = render_to_string("payments/connect/email/charges_disabled.txt", context)
        send_mail(
            " ".join(subject.split()),
            body,
            None,
            [owner.email],
        )


# -- hooks for the console and seed_demo ------------------------------------------


def dashboard_warnings(organizer: Organizer) -> list[str]:
    """Warn about paid webinars that cannot take payments now."""
    candidates = with_open_registration(
        Webinar.objects.visible_to(organizer).filter(price__enabled=True)
    ).select_related("account", "owner")
    stuck = [w for w in candidates.order_by("title") if selling_state(w) != "paid"]
    if not stuck:
        return []
    titles = ", ".join(w.title for w in stuck)
    return [
        ngettext(
            "%(count)d paid webinar cannot take payments because no Stripe account "
            "with charges enabled is connected: %(titles)s. Registration is "
            "unavailable until Stripe is connected (Payments settings).",
            "%(count)d paid webinars cannot take payments because no Stripe account "
            "with charges enabled is connected: %(titles)s. Registration is "
            "unavailable until Stripe is connected (Payments settings).",
            len(stuck),
        )
        % {"count": len(stuck), "titles": titles}
    ]


def connect_demo_account(
    *,
    account: Account,
    admin: Organizer,
    organizer: Organizer,
    webinars: dict[str, Webinar],
) -> None:
    """Link the demo account to the sandbox's fixed Stripe account (idempotent)."""
    if not settings.STRIPE_SANDBOX:
        return
    if account.stripe_scope != Account.StripeScope.ACCOUNT:
        return
    if active_connection(account=account) is not None:
        return
    StripeConnection.objects.create(
        account=account,
        stripe_account_id=settings.DEMO_STRIPE_ACCOUNT,
        livemode=False,
        charges_enabled=True,
        details_submitted=True,
        business_name="Demo Webinars Ltd",
        connected_by=admin.user,
        synced_at=timezone.now(),
    )


def report_demo_account(*, account: Account) -> list[str]:
    """Return the line seed_demo prints about the demo's Stripe account."""
    connection = active_connection(account=account)
    if connection is None:
        return ["Stripe account: not connected"]
    return [f"Stripe account: {connection.stripe_account_id}"]
