"""Extension points of the registrations app (see organizers.hooks for the pattern)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connection, transaction

from organizers.hooks import Hook
from registrations.models import Registrant, WaitlistEntry

if TYPE_CHECKING:
    from datetime import datetime

    from django.http import HttpRequest, HttpResponse

    from payments.models import Payment, Refund
    from webinars.models import Session, Webinar

WatchLinkProvider = Callable[
    ["Registrant", "Session | None", "dict | None"], "str | None"
]
JoinPageOverride = Callable[
    ["HttpRequest", "Registrant", "Session | None"], "HttpResponse | None"
]

watch_link_providers: Hook[WatchLinkProvider] = Hook(
    "registrations.watch_link_providers",
    """The registrant's personal watch link, for the emails.

    Each provider takes (registrant, session, memo) and returns the registrant's
    personal watch link (an absolute URL) for that session's post-session
    video, or, with session None, for the replay or on-demand video bought;
    else None. Follow-ups (with their session), confirmations and approvals
    (session None) carry the first link a provider returns. For an unsaved
    registrant (the console's email previews), a provider returns a placeholder
    link when a real registrant would get one. `memo` is a dict the sender
    keeps for one batch of emails (None for a single email): a provider may
    keep there, under keys of its own, what does not change within the batch,
    so that a batch of confirmations asks its question once, not per email.
    """,
)

join_page_overrides: Hook[JoinPageOverride] = Hook(
    "registrations.join_page_overrides",
    """Another response for the join page.

    Each override takes (request, registrant, session) and returns the
    response of the join page (e.g. the recordings app's player for a recorded
    webinar), or None to leave the join page as it is. `session` is the session
    the join link points at now (None when the webinar has no session left).
    The first response returned wins; the device limit has already admitted
    the request.
    """,
)

recording_availability: Hook[Callable[["Webinar"], "datetime | None"]] = Hook(
    "registrations.recording_availability",
    """Until when the replay or on-demand video a webinar sells can be watched.

    Each provider takes a webinar and returns the end of the video's
    availability (an aware datetime), or None when it has no end or there is
    no video. The success page and the confirmation state it; the first
    datetime returned wins.
    """,
)

recording_unsold_reasons: Hook[Callable[["Webinar"], "str | None"]] = Hook(
    "registrations.recording_unsold_reasons",
    """Why a webinar's replay or on-demand video is not for sale, for people.

    Each provider takes a webinar and returns a sentence (e.g. the video's
    viewer limit is reached, or it is no longer available) when a video is
    attached but cannot be sold, else None. A closed registration page states
    it; the first sentence returned wins.
    """,
)

registration_modes: Hook[Callable[["Webinar"], "RegistrationMode | None"]] = Hook(
    "registrations.registration_modes",
    """What the registration page sells when it is not the live sessions.

    Each provider takes a webinar and returns a RegistrationMode when the
    registration page sells something other than the live sessions (the
    recordings app: the replay of an ended webinar, or an on-demand video), or
    None. With a mode, registration stays open after the last session ended
    and takes no session (start_registration with session=None); `amount`,
    when not None, replaces the webinar's regular price (discount codes still
    apply); `notice` is shown on the registration page. The first mode
    returned wins.
    """,
)

registrant_confirmed_handlers: Hook[Callable[["Registrant"], None]] = Hook(
    "registrations.registrant_confirmed_handlers",
    """A registrant has just become confirmed (paid, free, code, approved).

    Called after commit with the confirmed Registrant, e.g. to grant a replay
    at once. A receiver's exception is logged and does not undo anything.
    """,
)


# Who ended a registration, as registrant_cancelled_handlers receive it.
CANCELLED_BY_REGISTRANT = "registrant"
CANCELLED_BY_ORGANIZER = "organizer"
CANCELLED_WITH_WEBINAR = "webinar_cancelled"
CANCELLED_WITH_SESSION = "session_cancelled"

# The handlers below are called INSIDE the transaction that makes the change,
# once per change (the change's own state check is the guard: a Stripe event
# delivered again finds nothing left to change). A receiver writes what must
# commit with the change (the API's webhook outbox: at least once, never for a
# change rolled back) and leaves slow work to after commit; its exception
# undoes the change, so it must not reach the network.

registrant_awaiting_approval_handlers: Hook[Callable[["Registrant"], None]] = Hook(
    "registrations.registrant_awaiting_approval_handlers",
    """A registrant now awaits the organizer's approval (free, or paid).

    Called inside the transaction with the Registrant (status
    awaiting_approval): a free registration of a webinar with manual approval
    when it is taken, a paid one when its payment is settled.
    """,
)

registrant_cancelled_handlers: Hook[Callable[["Registrant", str], None]] = Hook(
    "registrations.registrant_cancelled_handlers",
    """A confirmed or awaiting registration was cancelled.

    Called inside the transaction with (registrant, by): by is
    CANCELLED_BY_REGISTRANT (the cancel page), CANCELLED_BY_ORGANIZER (the
    console or the API, with or without a refund), CANCELLED_WITH_WEBINAR (the
    organizer cancelled the webinar) or CANCELLED_WITH_SESSION (the session
    it was for was cancelled). A checkout never paid, or refunded
    automatically, ends without it.
    """,
)

registrant_refunded_handlers: Hook[Callable[["Registrant", "Refund"], None]] = Hook(
    "registrations.registrant_refunded_handlers",
    """Stripe confirmed a refund of a registrant's payment (full or partial).

    Called inside the transaction once per Refund, when it becomes succeeded,
    after the payment's refunded total and the registrant's status were brought
    up to date, with (registrant, refund). Refunds made in the Stripe dashboard
    included.
    """,
)

payment_failed_handlers: Hook[Callable[["Registrant", "Payment"], None]] = Hook(
    "registrations.payment_failed_handlers",
    """A registrant's payment failed (e.g. a bank debit refused days later).

    Called inside the transaction, once, when the Payment becomes failed, with
    (registrant, payment); the seat it held is already released. A Checkout
    left unpaid until it expires is no failed payment and calls nothing.
    """,
)

webinar_cancelled_handlers: Hook[Callable[["Webinar"], None]] = Hook(
    "registrations.webinar_cancelled_handlers",
    """The organizer cancelled a whole webinar.

    Called inside the transaction by refunds.cancellation.cancel_webinar with
    the Webinar (cancelled_at set), before its registrants are cancelled (each
    then goes through registrant_cancelled_handlers). Cancelling one session of
    a series that goes on calls nothing here.
    """,
)

waitlist_event_handlers: Hook[Callable[[str, "WaitlistEntry"], None]] = Hook(
    "registrations.waitlist_event_handlers",
    """Something happened on a webinar's waitlist.

    Called after commit with (event, entry): event is "joined", "offer_made",
    "offer_accepted" or "offer_expired", entry the WaitlistEntry as it is
    then (e.g. the api app sends the outbound webhooks). A receiver's
    exception is logged and does not undo anything.
    """,
)


@dataclass(frozen=True)
class RegistrationMode:
    """How the registration page sells a webinar whose sessions are not the point."""

    kind: str  # "replay" or "on_demand"
    notice: str
    amount: int | None = None


def recording_available_until(webinar: "Webinar") -> "datetime | None":
    """Return the first end of availability a provider gives, or None."""
    for provider in recording_availability:
        until = provider(webinar)
        if until is not None:
            return until
    return None


def recording_unsold_reason(webinar: "Webinar") -> str:
    """Return why the webinar's video is not for sale, or ""."""
    for provider in recording_unsold_reasons:
        reason = provider(webinar)
        if reason:
            return reason
    return ""


def registration_mode(webinar: "Webinar") -> RegistrationMode | None:
    """Return the first registration mode a provider gives the webinar, or None."""
    for provider in registration_modes:
        mode = provider(webinar)
        if mode is not None:
            return mode
    return None


def announce(hook: Hook, *args: object) -> None:
    """Call the receivers of one of the in-transaction hooks above."""
    for handler in hook:
        handler(*args)


def announce_confirmed(registrant: Registrant) -> None:
    """Run the registrant_confirmed_handlers after commit (e.g. a replay's grant).

    `registrant`: the instance the committed transaction confirmed. The
    handlers get it as it is, once the database says it is still confirmed
    (another transaction may have changed it since the commit).
    """
    if not registrant_confirmed_handlers:
        return

    def announce() -> None:
        if not _still_confirmed(registrant.pk):
            return
        for handler in registrant_confirmed_handlers:
            handler(registrant)

    transaction.on_commit(announce, robust=True)


def _still_confirmed(registrant_id: int) -> bool:
    """Registrant.objects.filter(pk=..., status=CONFIRMED).exists(), in plain SQL.

    Only the status is read again: reading the row with its webinar and
    account cost a free start more CPU than all of its handlers, and building
    even this query with the ORM cost more than running it (every free start
    and every paid confirmation asks).
    """
    table = connection.ops.quote_name(Registrant._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {table} WHERE id = %s AND status = %s",  # noqa: S608
            [registrant_id, Registrant.Status.CONFIRMED.value],
        )
        return cursor.fetchone() is not None


def announce_waitlist_event(event: str, entry: WaitlistEntry) -> None:
    """Run the waitlist_event_handlers after commit, with the entry as it is then."""
    if not waitlist_event_handlers:
        return
    entry_id = entry.pk

    def announce() -> None:
        fresh = (
            WaitlistEntry.objects.select_related("webinar__account", "session")
            .filter(pk=entry_id)
            .first()
        )
        if fresh is None:
            return
        for handler in waitlist_event_handlers:
            handler(event, fresh)

    transaction.on_commit(announce, robust=True)
