"""The emails of a waitlist entry: joined, seat offered, offer expired, cancelled.

They go through the same outbox as every email (an EmailLog row, with the
entry instead of a registrant) and are rendered here, in the entry's language.
"""

from typing import Any

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from registrations.emails.content import AUTO_SUBMITTED, RenderedEmail, to_message
from registrations.emails.context import (
    describe_session,
    from_address,
    organizer_name,
    site_url,
)
from registrations.models import EmailLog, WaitlistEntry
from registrations.purchase import format_moment
from registrations.waitlist.line import offer_window, position
from webinars.models import Webinar

Kind = EmailLog.Kind
Status = WaitlistEntry.Status

# The emails of a waitlist entry (EmailLog.waitlist_entry, no registrant).
WAITLIST_KINDS = frozenset(
    {
        EmailLog.Kind.WAITLIST_JOINED,
        EmailLog.Kind.WAITLIST_OFFER,
        EmailLog.Kind.WAITLIST_EXPIRED,
        EmailLog.Kind.WAITLIST_CANCELLED,
    }
)

SUBJECTS = {
    Kind.WAITLIST_JOINED: _("You're on the waitlist: %(title)s"),
    Kind.WAITLIST_OFFER: _("A seat is yours if you want it: %(title)s"),
    Kind.WAITLIST_EXPIRED: _("Your waitlist offer has expired: %(title)s"),
    Kind.WAITLIST_CANCELLED: _("Cancelled, you are off the waitlist: %(title)s"),
}


def drop_reason(row: EmailLog) -> str:
    """Say why a waitlist email no longer applies when its time comes, or ""."""
    entry = row.waitlist_entry
    if row.kind == Kind.WAITLIST_OFFER and entry.status != Status.OFFERED:
        return f"entry is {entry.status}"
    if row.kind == Kind.WAITLIST_JOINED and not entry.in_line:
        return f"entry is {entry.status}"
    if row.kind == Kind.WAITLIST_CANCELLED and entry.status != Status.CANCELLED:
        return f"entry is {entry.status}"
    return ""


def status_url(entry: WaitlistEntry) -> str:
    """The entry's own page: where they stand, and the button to leave."""
    return site_url(reverse("registrations:waitlist_status", args=[entry.leave_token]))


def offer_url(entry: WaitlistEntry) -> str:
    """The personal link of the entry's offer."""
    return site_url(reverse("registrations:waitlist_offer", args=[entry.offer_token]))


def render_waitlist_email(row: EmailLog) -> RenderedEmail:
    """Render the outbox row of a waitlist email."""
    entry = row.waitlist_entry
    webinar = entry.webinar
    language = entry.language or "en"
    with translation.override(language):
        context: dict[str, Any] = {
            "language": language,
            "entry": entry,
            "webinar": webinar,
            "organizer_name": organizer_name(webinar),
            "session_when": (
                describe_session(entry.session, webinar, language)
                if entry.session is not None
                else ""
            ),
            # Only the session waited for was cancelled; the webinar goes on.
            "session_cancelled": (
                entry.session is not None and webinar.cancelled_at is None
            ),
            "position": position(entry) if entry.pk else 1,
            "status_url": status_url(entry),
            "offer_url": offer_url(entry),
            "registration_url": site_url(webinar.get_registration_url()),
            "expires": (
                format_moment(entry.offer_expires_at, webinar, language)
                if entry.offer_expires_at
                else ""
            ),
        }
        subject = str(SUBJECTS[row.kind]) % {"title": webinar.title}
        context["subject"] = subject
        text = render_to_string(f"emails/{row.kind}.txt", context)
        html = render_to_string(f"emails/{row.kind}.html", context)
    return RenderedEmail(
        subject=subject.replace("\n", " ").strip(),
        text=text,
        html=html,
        to=[entry.email],
        from_email=from_address(webinar),
        reply_to=[webinar.owner.email],
        headers=dict(AUTO_SUBMITTED),
    )


def build_waitlist_message(row: EmailLog) -> Any:
    """Build the message of a waitlist outbox row, with its stable Message-ID."""
    return to_message(render_waitlist_email(row), message_id=row.message_id)


def preview_waitlist_email(
    *, webinar: Webinar, kind: str, language: str
) -> RenderedEmail:
    """Render a waitlist email for the console's preview, to a made-up person."""
    session = webinar.sessions.first() if webinar.is_series else None
    entry = WaitlistEntry(
        webinar=webinar,
        session=session,
        email="alex.martin@example.com",
        first_name="Alex",
        last_name="Martin",
        language=language,
        status=(
            WaitlistEntry.Status.WAITING
            if kind == Kind.WAITLIST_JOINED
            else WaitlistEntry.Status.CANCELLED
            if kind == Kind.WAITLIST_CANCELLED
            else WaitlistEntry.Status.OFFERED
        ),
        offer_expires_at=timezone.now() + offer_window(webinar),
        offer_token="PREVIEW-offer-link-token",  # noqa: S106 - not a secret
        leave_token="PREVIEW-waitlist-link-token",  # noqa: S106
    )
    return render_waitlist_email(EmailLog(waitlist_entry=entry, kind=kind))
