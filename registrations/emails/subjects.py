"""What an email's subject says: the kind's subject, and the session it is about.

A webinar of several sessions sends some emails once per session (a series'
confirmations, one per session chosen; every session's reminders): their
subjects name the session, "You're registered: Stripe payments 101, Tue,
8 Dec 2026, 3:00 pm CET", so that they never read as copies of one another
(registrations/moments.py, subject_moment_text). A single session's subjects
name no date: the title says it all.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _

from registrations.emails.context import EmailSpec, cached, webinar_sessions
from registrations.models import EmailLog
from registrations.moments import subject_moment_text

Kind = EmailLog.Kind

SUBJECTS = {
    Kind.CONFIRMATION: _("You're registered: %(title)s"),
    Kind.AWAITING_APPROVAL: _("Your registration is awaiting approval: %(title)s"),
    Kind.APPROVED: _("Your registration is approved: %(title)s"),
    Kind.DENIED: _("Your registration was not approved: %(title)s"),
    Kind.REMINDER: _("Reminder: %(title)s starts %(when)s"),
    Kind.FOLLOWUP_ATTENDED: _("Thank you for attending %(title)s"),
    Kind.FOLLOWUP_ABSENT: _("Sorry we missed you at %(title)s"),
    Kind.CANCELLED: _("Your registration is cancelled: %(title)s"),
    Kind.REFUND: _("Your refund for %(title)s"),
    Kind.AUTO_REFUNDED: _("We could not confirm your seat: %(title)s"),
    Kind.PAYMENT_FAILED: _("Your payment did not go through: %(title)s"),
    Kind.CHECKOUT_EXPIRED: _("Your seat is no longer held: %(title)s"),
    Kind.NEW_PAID_REGISTRATION: _("New paid registration: %(title)s"),
    Kind.LIMIT_REACHED: _("Registration limit reached: %(title)s"),
    Kind.ORGANIZER_AUTO_REFUNDED: _("A payment was refunded automatically: %(title)s"),
    Kind.DELIVERY_FAILED: _("An email could not be delivered: %(title)s"),
    Kind.REFUND_FAILED: _("A refund failed: %(title)s"),
    Kind.REFUND_REQUEST: _("Refund request: %(title)s"),
    Kind.DISPUTE_OPENED: _("Payment disputed: %(title)s"),
    Kind.DISPUTE_CLOSED: _("Dispute closed (%(status)s): %(title)s"),
    Kind.ALREADY_REGISTERED: _("You are already registered: %(title)s"),
}

# The same subjects naming the one session the email is about, when the
# webinar has several (see context.subject_session): a series' confirmations,
# one per session, would otherwise read as copies of one another.
SESSION_SUBJECTS = {
    Kind.CONFIRMATION: _("You're registered: %(title)s, %(session)s"),
    Kind.AWAITING_APPROVAL: _(
        "Your registration is awaiting approval: %(title)s, %(session)s"
    ),
    Kind.APPROVED: _("Your registration is approved: %(title)s, %(session)s"),
    Kind.DENIED: _("Your registration was not approved: %(title)s, %(session)s"),
    Kind.CANCELLED: _("Your registration is cancelled: %(title)s, %(session)s"),
    Kind.REMINDER: _("Reminder: %(title)s starts %(when)s (%(session)s)"),
    Kind.FOLLOWUP_ATTENDED: _("Thank you for attending %(title)s (%(session)s)"),
    Kind.FOLLOWUP_ABSENT: _("Sorry we missed you at %(title)s (%(session)s)"),
}

# Emails about a registration: one per session in a series whose registrants
# choose their sessions (one registrant per session chosen).
REGISTRATION_SESSION_KINDS = frozenset(
    {
        Kind.CONFIRMATION,
        Kind.AWAITING_APPROVAL,
        Kind.APPROVED,
        Kind.DENIED,
        Kind.CANCELLED,
    }
)
# Emails about one session (the row's), in any webinar: one per session.
SESSION_KINDS = frozenset({Kind.REMINDER, Kind.FOLLOWUP_ATTENDED, Kind.FOLLOWUP_ABSENT})


def subject_for(spec: EmailSpec, context: dict[str, Any], *, cache: dict | None) -> str:
    """Return the email's subject, in the active language."""
    session = subject_session(spec, cache)
    subject = SESSION_SUBJECTS[spec.kind] if session else SUBJECTS[spec.kind]
    return str(subject) % {
        "title": spec.registrant.webinar.title,
        "when": context.get("starts_relative", ""),
        "status": context.get("dispute_status", ""),
        "session": session,
    }


def subject_session(spec: EmailSpec, cache: dict | None) -> str:
    """Return the session the subject names ("Tue, 8 Dec 2026, 3:00 pm CET"), or "".

    A series' registration names the registrant's session; a reminder or a
    follow-up names its own, when the webinar has several. The console's
    preview passes a session with every kind: only these kinds read it.
    """
    registrant, kind = spec.registrant, spec.kind
    webinar = registrant.webinar
    session = None
    if kind in REGISTRATION_SESSION_KINDS and webinar.is_series:
        session = registrant.session if registrant.session_id else None
    elif kind in SESSION_KINDS and (
        # The sessions are read once per batch (and already, for the
        # registrant's own list of sessions).
        webinar.is_series or len(webinar_sessions(webinar, cache)) > 1
    ):
        session = spec.session
    if session is None:
        return ""
    key = ("subject_when", session.pk, session.starts_at, spec.language)
    return cached(
        cache,
        key,
        lambda: subject_moment_text(session.starts_at, webinar, spec.language),
    )
