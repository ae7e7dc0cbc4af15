"""Which connection sells a webinar, and who may manage which connection."""

from dataclasses import dataclass
from typing import Literal

from django.db import connection as database
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import ngettext

from organizers import plain_sql
from organizers.models import Account, Organizer
from organizers.plain_sql import columns, instance
from payments.dashboard import selling_states
from payments.models import Price, StripeConnection
from webinars.models import Webinar

SellingState = Literal["free", "paid", "unavailable"]


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
    """Return the connection that sells this webinar: the account's, or its owner's.

    One query, which reads the account's scope itself: a start calls it with
    the capacity row locked, from the webinar's ids alone. Plain SQL: every
    paid start runs it, and building it with the ORM (a join, two scopes)
    cost five times the CPU of the whole raw query.
    """
    with database.cursor() as cursor:
        plain_sql.execute(
            cursor,
            connection_sql(account="%s", owner="%s"),
            [webinar.account_id, webinar.owner_id],
        )
        row = cursor.fetchone()
    return None if row is None else instance(StripeConnection, row)


# StripeConnection.is_usable as SQL, of the connection `{c}`.
USABLE_SQL = (
    "{c}.disconnected_at IS NULL AND {c}.charges_enabled AND {c}.details_submitted"
)


def connection_sql(*, account: str, owner: str, when: str = "") -> str:
    """The SELECT of the connection selling a webinar of `account` owned by `owner`.

    Both are SQL: placeholders, or the columns of a webinar read in the same
    statement (start_sql.webinar_by_key joins it LATERAL). `when` is one more
    condition (" AND ..."). The account's own connection, or its owner's, as
    the account's scope says.
    """
    scope = Account.StripeScope
    return (
        f"SELECT {columns(StripeConnection, 'c')}"  # noqa: S608 - names and constants
        f" FROM {StripeConnection._meta.db_table} c"
        f" JOIN {Account._meta.db_table} a ON a.id = c.account_id"
        f" WHERE c.account_id = {account} AND c.disconnected_at IS NULL"
        f" AND ((a.stripe_scope = '{scope.ACCOUNT.value}' AND c.organizer_id IS NULL)"
        f" OR (a.stripe_scope = '{scope.ORGANIZER.value}'"
        f" AND c.organizer_id = {owner})){when}"
        " ORDER BY c.connected_at DESC LIMIT 1"
    )


def can_sell(webinar: Webinar) -> bool:
    """Tell whether a connection with charges enabled sells this webinar now."""
    connection = connection_for(webinar)
    return connection is not None and connection.is_usable


def selling_state(webinar: Webinar) -> SellingState:
    """Tell whether the webinar registers for free, sells, or cannot sell right now.

    "unavailable" means payments are on but no connection can take them (not
    connected, or Stripe disabled charges): the registration page must not
    register for free then.
    """
    price = Price.objects.filter(webinar=webinar).first()
    if price is None or not price.enabled:
        return "free"
    return "paid" if can_sell(webinar) else "unavailable"


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


# -- the console dashboard (webinars.hooks.dashboard_warning_providers) -------------


def dashboard_warnings(organizer: Organizer) -> list[str]:
    """Warn about paid webinars that cannot take payments now."""
    candidates = with_open_registration(
        Webinar.objects.visible_to(organizer).filter(price__enabled=True)
    ).select_related("account", "owner")
    webinars = list(candidates.order_by("title"))
    states = selling_states(webinars)  # a fixed number of queries
    stuck = [w for w in webinars if states[w.pk] != "paid"]
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
