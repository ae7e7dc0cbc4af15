"""The Stripe connection a paid start sells through, read before its lock.

A paid start holds the capacity row's lock until it commits, and the other
starts of the webinar wait for it: the connection, which depends only on the
webinar's account and owner, is read before the lock instead. A connection
revoked between that read and the lock is the same as one revoked just after
the commit: the Checkout (or the webhook) refuses it, and the seat is
released as for any payment that never comes. One connected meanwhile is
seen by the next start, as if it had connected just after this one's commit.
"""

from dataclasses import dataclass

from payments.connect import connections
from payments.models import StripeConnection
from webinars.models import Webinar


@dataclass(frozen=True)
class Seller:
    """The connection read for (account, owner); `read` False when none was."""

    account_id: int
    owner_id: int | None
    connection: StripeConnection | None
    read: bool
    # Read with a webinar row kept a moment (registrations.key_rows).
    kept: bool = False

    def for_locked(self, webinar: Webinar) -> StripeConnection | None:
        """Return the connection selling the locked `webinar` (its price enabled).

        Read again when the early read did not (payments turned on since),
        came with a row kept a moment (registrations.key_rows), or the
        webinar moved to another account or owner meanwhile.
        """
        moved = (self.account_id, self.owner_id) != (
            webinar.account_id,
            webinar.owner_id,
        )
        if self.read and not self.kept and not moved:
            return self.connection
        return connections.connection_for(webinar)


def read_seller(webinar: Webinar) -> Seller:
    """Read the connection that sells `webinar`, without a lock.

    None is read when the webinar came with its price (start_sql.webinar_by_key)
    and takes no payment: a free start reads no connection. On PostgreSQL a
    paid webinar came with its connection as well: no query here.
    """
    price_field = Webinar._meta.get_field("price")
    if price_field.is_cached(webinar):
        price = price_field.get_cached_value(webinar)
        if price is None or not price.enabled:
            return Seller(webinar.account_id, webinar.owner_id, None, read=False)
    if hasattr(webinar, "selling_connection"):
        # Read with the webinar, in the same statement (PostgreSQL).
        connection = webinar.selling_connection
        kept = getattr(webinar, "key_row_kept", False)
        return Seller(
            webinar.account_id, webinar.owner_id, connection, read=True, kept=kept
        )
    connection = connections.connection_for(webinar)
    return Seller(webinar.account_id, webinar.owner_id, connection, read=True)
