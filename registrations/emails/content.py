"""What each email says: subjects, templates, headers and the .ics part.

Templates live in templates/emails/<kind>.txt and <kind>.html and render in
the recipient's language (registrants: their own; organizers: the site's).
"""

import copy
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.mime.text import MIMEText
from email.utils import formatdate, parseaddr
from typing import Any

from babel.dates import format_date, format_time
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import sanitize_address
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from payments.models import Refund
from payments.money import babel_locale, format_money
from registrations.calendar import ics_for
from registrations.hooks import watch_link_providers
from registrations.models import EmailLog, Registrant
from webinars.models import Session, Webinar

Kind = EmailLog.Kind
Status = Registrant.Status

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
    Kind.NEW_PAID_REGISTRATION: _("New paid registration: %(title)s"),
    Kind.LIMIT_REACHED: _("Registration limit reached: %(title)s"),
    Kind.ORGANIZER_AUTO_REFUNDED: _("A payment was refunded automatically: %(title)s"),
    Kind.DELIVERY_FAILED: _("An email could not be delivered: %(title)s"),
}

# Kinds carrying the invitation (.ics) and its iTIP method.
ICS_METHODS = {
    Kind.CONFIRMATION: "REQUEST",
    Kind.APPROVED: "REQUEST",
    Kind.CANCELLED: "CANCEL",
}
UNSUBSCRIBABLE = frozenset(
    {Kind.REMINDER, Kind.FOLLOWUP_ATTENDED, Kind.FOLLOWUP_ABSENT}
)
UNSUBSCRIBE_SALT = "tessera.emails.unsubscribe"
LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


@dataclass(frozen=True)
class Verdict:
    """Whether a queued email still applies when its time comes."""

    drop: bool = False
    reason: str = ""
    later: datetime | None = None


SEND = Verdict()


@dataclass
class RenderedEmail:
    subject: str
    text: str
    html: str
    to: list[str]
    from_email: str
    reply_to: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    ics: bytes | None = None
    ics_method: str = ""


def site_url(path: str) -> str:
    return settings.SITE_URL + path


def join_url(registrant: Registrant) -> str:
    return site_url(f"/join/{registrant.join_token}/")


def cancel_url(registrant: Registrant) -> str:
    return site_url(f"/cancel/{registrant.cancel_token}/")


def unsubscribe_token(registrant: Registrant) -> str:
    return signing.dumps(registrant.pk, salt=UNSUBSCRIBE_SALT)


def registrant_from_unsubscribe_token(token: str) -> Registrant | None:
    """Return the registrant named by an unsubscribe token, or None if invalid."""
    try:
        pk = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return Registrant.objects.filter(pk=pk).first()


def unsubscribe_url(registrant: Registrant) -> str:
    return site_url(
        reverse("registrations:email_unsubscribe", args=[unsubscribe_token(registrant)])
    )


def history_url(registrant: Registrant) -> str:
    return site_url(
        reverse(
            "registrations:email_history",
            args=[registrant.webinar_id, registrant.pk],
        )
    )


def language_of(registrant: Registrant, kind: str) -> str:
    if kind in (
        Kind.NEW_PAID_REGISTRATION,
        Kind.LIMIT_REACHED,
        Kind.ORGANIZER_AUTO_REFUNDED,
        Kind.DELIVERY_FAILED,
    ):
        return settings.LANGUAGE_CODE
    language = (registrant.language or "").split("-")[0].lower()
    return language if language in LANGUAGE_CODES else settings.LANGUAGE_CODE


def describe_session(
    session: Session, webinar: Webinar, language: str, cache: dict | None = None
) -> str:
    """Return e.g. 'Tuesday, June 3, 2025, 2:00 PM – 3:00 PM (Europe/Paris)'."""
    key = ("when", session.pk, session.starts_at, session.ends_at, language)
    if cache is not None and key in cache:
        return cache[key]
    locale = babel_locale(language)
    start = timezone.localtime(session.starts_at, webinar.tzinfo)
    end = timezone.localtime(session.ends_at, webinar.tzinfo)
    text = "{date}, {start} – {end} ({tz})".format(
        date=format_date(start, "full", locale=locale),
        start=format_time(start, "short", locale=locale),
        end=format_time(end, "short", locale=locale),
        tz=webinar.timezone,
    )
    if cache is not None:
        cache[key] = text
    return text


def organizer_name(webinar: Webinar) -> str:
    return webinar.owner.user.get_full_name() or webinar.account.name


def from_address(webinar: Webinar) -> str:
    """DEFAULT_FROM_EMAIL's address with the organizer's name as display name."""
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "noreply@localhost"
    username, _at, domain = address.rpartition("@")
    return str(
        Address(display_name=organizer_name(webinar), username=username, domain=domain)
    )


def webinar_sessions(webinar: Webinar, cache: dict | None) -> list[Session]:
    key = ("sessions", webinar.pk)
    if cache is not None and key in cache:
        return cache[key]
    sessions = list(webinar.sessions.all())
    if cache is not None:
        cache[key] = sessions
    return sessions


def sessions_for(registrant: Registrant, *, cache: dict | None = None) -> list[Session]:
    """The sessions the registrant attends, cancelled ones left out."""
    if registrant.session_id:
        chosen = [registrant.session]
    else:
        chosen = webinar_sessions(registrant.webinar, cache)
    return [s for s in chosen if s.cancelled_at is None]


# Emails that carry the registrant's personal watch link when there is one:
# follow-ups (the session's video), confirmations and approvals (session None:
# the replay or on-demand video bought).
WATCH_LINK_KINDS = frozenset(
    {Kind.FOLLOWUP_ATTENDED, Kind.FOLLOWUP_ABSENT, Kind.CONFIRMATION, Kind.APPROVED}
)


def watch_link(registrant: Registrant, session: Session | None) -> str | None:
    """Return the first watch link a provider gives, or None."""
    if registrant.pk is None:
        # The console's sample registrant (previews) has no grant to link to.
        return None
    for provider in watch_link_providers:
        link = provider(registrant, session)
        if link:
            return link
    return None


def watch_for(registrant: Registrant, kind: str, session: Session | None) -> str | None:
    """Return the watch link an email of this kind carries, or None."""
    if kind not in WATCH_LINK_KINDS:
        return None
    if kind in (Kind.CONFIRMATION, Kind.APPROVED):
        # The video bought (replay, on demand), not a session's.
        session = None
    return watch_link(registrant, session)


def refund_details(registrant: Registrant, variant: int) -> dict[str, Any]:
    """Amount refunded (this refund, or all so far) and the reason given."""
    payment = registrant.payment
    currency = (payment.currency if payment else registrant.currency) or "EUR"
    refund = None
    if payment is not None and payment.pk:
        refunds = Refund.objects.filter(payment=payment)
        refund = (refunds.filter(pk=variant) if variant else refunds).first()
    if refund is not None:
        amount = refund.amount
    elif payment is not None and payment.amount_refunded:
        amount = payment.amount_refunded
    else:
        amount = registrant.amount
    return {
        "amount": amount,
        "currency": currency.upper(),
        "reason": refund.reason if refund else "",
    }


def default_followup_text(kind: str) -> str:
    if kind == Kind.FOLLOWUP_ATTENDED:
        return str(
            _(
                "Thank you for joining us. We hope the session was useful; "
                "reply to this email if you have any question."
            )
        )
    return str(
        _(
            "We are sorry you could not make it. Reply to this email if you "
            "have any question, or register for a next session."
        )
    )


# Bulk kinds render once per webinar, session, language and shape, with
# placeholders where the registrant's own values go; each message then only
# substitutes them. Placeholders are letters only, so HTML escaping leaves
# them intact.
MERGEABLE = UNSUBSCRIBABLE
PLACEHOLDERS = {
    "first_name": "TesseraMergeFirstNameQx",
    "last_name": "TesseraMergeLastNameQx",
    "email": "TesseraMergeEmailQx",
    "join_token": "TesseraMergeJoinTokenQx",
    "cancel_token": "TesseraMergeCancelTokenQx",
    "unsubscribe_url": "TesseraMergeUnsubscribeQx",
    "watch_url": "TesseraMergeWatchUrlQx",
}


def render_email(
    *,
    registrant: Registrant,
    kind: str,
    session: Session | None = None,
    variant: int = 0,
    cache: dict | None = None,
    failed: EmailLog | None = None,
    language: str | None = None,
) -> RenderedEmail:
    """Render one email for the registrant (or for the organizer about them)."""
    webinar = registrant.webinar
    language = language or language_of(registrant, kind)
    watch = watch_for(registrant, kind, session)
    unsubscribe = (
        unsubscribe_url(registrant) if kind in UNSUBSCRIBABLE and registrant.pk else ""
    )
    if cache is not None and kind in MERGEABLE and registrant.pk:
        subject, text, html, session_list = render_merged(
            registrant=registrant,
            kind=kind,
            session=session,
            variant=variant,
            language=language,
            watch=watch,
            unsubscribe=unsubscribe,
            cache=cache,
        )
    else:
        with translation.override(language):
            context = build_context(
                registrant=registrant,
                kind=kind,
                session=session,
                variant=variant,
                language=language,
                cache=cache,
                failed=failed,
                watch=watch,
            )
            subject = subject_for(kind, webinar, context)
            context["subject"] = subject
            text = render_to_string(f"emails/{kind}.txt", context)
            html = render_to_string(f"emails/{kind}.html", context)
        session_list = context["session_list"]
    for_organizer = kind in (
        Kind.NEW_PAID_REGISTRATION,
        Kind.LIMIT_REACHED,
        Kind.ORGANIZER_AUTO_REFUNDED,
        Kind.DELIVERY_FAILED,
    )
    headers: dict[str, str] = {}
    if unsubscribe:
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    # Tells out-of-office responders not to answer (RFC 3834).
    headers["Auto-Submitted"] = "auto-generated"
    rendered = RenderedEmail(
        subject=subject.replace("\n", " ").strip(),
        text=text,
        html=html,
        to=[webinar.owner.email] if for_organizer else [registrant.email],
        from_email=(
            settings.DEFAULT_FROM_EMAIL if for_organizer else from_address(webinar)
        ),
        reply_to=[] if for_organizer else [webinar.owner.email],
        headers=headers,
    )
    method = ICS_METHODS.get(kind)
    if method and registrant.pk and session_list:
        rendered.ics = ics_for(registrant, method=method, sessions=session_list)
        rendered.ics_method = method
    return rendered


def subject_for(kind: str, webinar: Webinar, context: dict[str, Any]) -> str:
    return str(SUBJECTS[kind]) % {
        "title": webinar.title,
        "when": context.get("starts_relative", ""),
    }


def render_merged(
    *,
    registrant: Registrant,
    kind: str,
    session: Session | None,
    variant: int,
    language: str,
    watch: str | None,
    unsubscribe: str,
    cache: dict,
    substitute: bool = True,
) -> tuple[str, str, str, list[Session]]:
    """Render a bulk email from its cached template with placeholders."""
    key = (
        "merged",
        kind,
        registrant.webinar_id,
        session.pk if session else 0,
        registrant.session_id,
        variant,
        language,
        registrant.amount,
        registrant.currency,
        bool(watch),
    )
    if key not in cache:
        stand_in = copy.copy(registrant)
        for name in ("first_name", "last_name", "email", "join_token", "cancel_token"):
            setattr(stand_in, name, PLACEHOLDERS[name])
        with translation.override(language):
            context = build_context(
                registrant=stand_in,
                kind=kind,
                session=session,
                variant=variant,
                language=language,
                cache=cache,
                failed=None,
                watch=PLACEHOLDERS["watch_url"] if watch else None,
            )
            context["unsubscribe_url"] = PLACEHOLDERS["unsubscribe_url"]
            subject = subject_for(kind, registrant.webinar, context)
            context["subject"] = subject
            cache[key] = (
                subject,
                render_to_string(f"emails/{kind}.txt", context),
                render_to_string(f"emails/{kind}.html", context),
                context["session_list"],
            )
    subject, text, html, session_list = cache[key]
    if not substitute:
        return subject, text, html, session_list
    values = {
        "first_name": registrant.first_name,
        "last_name": registrant.last_name,
        "email": registrant.email,
        "join_token": registrant.join_token,
        "cancel_token": registrant.cancel_token,
        "unsubscribe_url": unsubscribe,
        "watch_url": watch or "",
    }
    for name, value in values.items():
        placeholder = PLACEHOLDERS[name]
        text = text.replace(placeholder, value)
        html = html.replace(placeholder, escape(value))
    return subject, text, html, session_list


def build_context(
    *,
    registrant: Registrant,
    kind: str,
    session: Session | None,
    variant: int,
    language: str,
    cache: dict | None,
    failed: EmailLog | None,
    watch: str | None = None,
) -> dict[str, Any]:
    webinar = registrant.webinar
    if kind == Kind.CANCELLED:
        session_list = (
            [registrant.session]
            if registrant.session_id
            else webinar_sessions(webinar, cache)
        )
        session_list = [s for s in session_list if s.cancelled_at is None]
    else:
        session_list = sessions_for(registrant, cache=cache)
    context: dict[str, Any] = {
        "kind": kind,
        "language": language,
        "registrant": registrant,
        "webinar": webinar,
        "organizer_name": organizer_name(webinar),
        "organizer_email": webinar.owner.email,
        "site_url": settings.SITE_URL,
        "session_list": session_list,
        "sessions": [
            {"session": s, "when": describe_session(s, webinar, language, cache)}
            for s in session_list
        ],
        "join_url": join_url(registrant),
        "cancel_url": cancel_url(registrant),
        "amount_paid": (
            format_money(registrant.amount, registrant.currency, language)
            if registrant.amount and registrant.currency
            else ""
        ),
    }
    if session is not None:
        context["session"] = {
            "session": session,
            "when": describe_session(session, webinar, language, cache),
        }
    if kind in UNSUBSCRIBABLE and registrant.pk:
        context["unsubscribe_url"] = unsubscribe_url(registrant)
    if kind == Kind.REMINDER and session is not None:
        context["starts_relative"] = starts_relative(variant, session, language)
    if kind in (Kind.FOLLOWUP_ATTENDED, Kind.FOLLOWUP_ABSENT):
        custom = (
            webinar.followup_attended_text
            if kind == Kind.FOLLOWUP_ATTENDED
            else webinar.followup_absent_text
        )
        context["followup_text"] = custom.strip() or default_followup_text(kind)
    if kind in WATCH_LINK_KINDS:
        context["watch_url"] = watch
    if kind in (
        Kind.DENIED,
        Kind.REFUND,
        Kind.AUTO_REFUNDED,
        Kind.ORGANIZER_AUTO_REFUNDED,
    ):
        refund = refund_details(registrant, variant if kind == Kind.REFUND else 0)
        context["refund_amount"] = (
            format_money(refund["amount"], refund["currency"], language)
            if refund["amount"]
            else ""
        )
        context["refund_currency"] = refund["currency"]
        context["refund_reason"] = refund["reason"]
    if kind == Kind.DELIVERY_FAILED:
        if failed is None and variant:
            failed = EmailLog.objects.filter(pk=variant).first()
        context["failed"] = failed
        context["failed_kind"] = failed.get_kind_display() if failed else ""
    if kind in (
        Kind.NEW_PAID_REGISTRATION,
        Kind.LIMIT_REACHED,
        Kind.ORGANIZER_AUTO_REFUNDED,
        Kind.DELIVERY_FAILED,
    ):
        context["console_url"] = site_url(webinar.get_absolute_url())
        if registrant.pk:
            context["history_url"] = history_url(registrant)
    return context


def starts_relative(variant: int, session: Session, language: str) -> str:
    """'in 1 day', 'in 1 hour' from the reminder's offset, localised by Babel."""
    from babel.dates import format_timedelta

    minutes = variant or max(
        int((session.starts_at - timezone.now()).total_seconds() // 60), 1
    )
    return format_timedelta(
        timedelta(minutes=minutes),
        add_direction=True,
        threshold=1.0,
        locale=babel_locale(language),
    )


# Bulk emails sent over SMTP are merged at the byte level: the whole MIME
# message is generated once per template (with placeholders in the bodies
# and headers) and each registrant's copy only substitutes its values.
HTML_PLACEHOLDERS = {name: token[:-1] + "h" for name, token in PLACEHOLDERS.items()}
MERGE_TO = "tesseramergeto@merge.invalid"
MERGE_HEADERS = {
    "message_id": "<TesseraMergeMessageIdQx@merge.invalid>",
    "date": "TesseraMergeDateQx",
    "unsubscribe": "TesseraMergeHeaderUnsubscribeQx",
}
MAX_LINE = 998  # RFC 5322


@dataclass
class MergeTemplate:
    from_email: str
    data: bytes


def merged_payload(
    row: EmailLog, *, cache: dict
) -> tuple[str, list[str], bytes] | None:
    """Return (envelope from, recipients, bytes) for a bulk email, or None.

    None means "build it the ordinary way" (not a bulk kind, a non-ASCII
    address, a body the generator had to re-encode...).
    """
    registrant = row.registrant
    kind = row.kind
    if kind not in MERGEABLE or not registrant.email.isascii():
        return None
    session = row.session
    watch = watch_for(registrant, kind, session)
    language = language_of(registrant, kind)
    key = (
        "bytes",
        kind,
        registrant.webinar_id,
        session.pk if session else 0,
        registrant.session_id,
        row.variant,
        language,
        registrant.amount,
        registrant.currency,
        bool(watch),
    )
    if key not in cache:
        cache[key] = merge_template(
            registrant=registrant,
            kind=kind,
            session=session,
            variant=row.variant,
            language=language,
            watch=watch,
            cache=cache,
        )
    template = cache[key]
    if template is None:
        return None
    unsubscribe = unsubscribe_url(registrant)
    values = {
        "first_name": registrant.first_name,
        "last_name": registrant.last_name,
        "email": registrant.email,
        "join_token": registrant.join_token,
        "cancel_token": registrant.cancel_token,
        "unsubscribe_url": unsubscribe,
        "watch_url": watch or "",
    }
    data = template.data
    for name, value in values.items():
        data = data.replace(PLACEHOLDERS[name].encode(), value.encode())
        data = data.replace(HTML_PLACEHOLDERS[name].encode(), escape(value).encode())
    data = (
        data.replace(MERGE_TO.encode(), registrant.email.encode())
        .replace(MERGE_HEADERS["message_id"].encode(), row.message_id.encode())
        .replace(MERGE_HEADERS["unsubscribe"].encode(), unsubscribe.encode())
        .replace(
            MERGE_HEADERS["date"].encode(),
            formatdate(localtime=settings.EMAIL_USE_LOCALTIME).encode(),
        )
    )
    if max(map(len, data.split(b"\r\n"))) > MAX_LINE:
        return None
    return template.from_email, [registrant.email], data


def merge_template(
    *,
    registrant: Registrant,
    kind: str,
    session: Session | None,
    variant: int,
    language: str,
    watch: str | None,
    cache: dict,
) -> MergeTemplate | None:
    """Generate the MIME bytes of a bulk email with placeholders everywhere."""
    subject, text, html, _sessions = render_merged(
        registrant=registrant,
        kind=kind,
        session=session,
        variant=variant,
        language=language,
        watch=PLACEHOLDERS["watch_url"] if watch else None,
        unsubscribe=PLACEHOLDERS["unsubscribe_url"],
        cache=cache,
        substitute=False,
    )
    for name, token in PLACEHOLDERS.items():
        html = html.replace(token, HTML_PLACEHOLDERS[name])
    webinar = registrant.webinar
    message = to_message(
        RenderedEmail(
            subject=subject.replace("\n", " ").strip(),
            text=text,
            html=html,
            to=[MERGE_TO],
            from_email=from_address(webinar),
            reply_to=[webinar.owner.email],
            headers={
                "Date": MERGE_HEADERS["date"],
                "List-Unsubscribe": f"<{MERGE_HEADERS['unsubscribe']}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "Auto-Submitted": "auto-generated",
            },
        ),
        message_id=MERGE_HEADERS["message_id"],
    )
    data = message.message().as_bytes(linesep="\r\n")
    # Re-encoded bodies (quoted-printable, base64) would hide the
    # placeholders: build such emails one by one instead.
    tokens = [MERGE_TO, *MERGE_HEADERS.values(), PLACEHOLDERS["first_name"]]
    if b"Content-Transfer-Encoding: 8bit" not in data and (
        b"Content-Transfer-Encoding: 7bit" not in data
    ):
        return None
    if any(token.encode() not in data for token in tokens):
        return None
    encoding = message.encoding or settings.DEFAULT_CHARSET
    return MergeTemplate(
        from_email=sanitize_address(message.from_email, encoding), data=data
    )


def build_message(
    row: EmailLog, *, cache: dict | None = None
) -> EmailMultiAlternatives:
    """Build the message of an outbox row, with its stable Message-ID."""
    rendered = render_email(
        registrant=row.registrant,
        kind=row.kind,
        session=row.session,
        variant=row.variant,
        cache=cache,
    )
    return to_message(rendered, message_id=row.message_id)


class OutboxMessage(EmailMultiAlternatives):
    """An email whose MIME boundaries are set before the generator runs."""

    def message(self) -> Any:
        msg = super().message()
        # The stdlib's generator otherwise compiles a fresh regex per
        # boundary to check it against the body; a 128-bit random boundary
        # cannot collide, and this is most of the cost of a bulk send.
        for part in msg.walk():
            if part.is_multipart() and part.get_boundary() is None:
                part.set_boundary(f"==tessera-{secrets.token_hex(16)}==")
        return msg


def to_message(
    rendered: RenderedEmail, *, message_id: str | None = None
) -> EmailMultiAlternatives:
    headers = dict(rendered.headers)
    if message_id:
        headers["Message-ID"] = message_id
    message = OutboxMessage(
        subject=rendered.subject,
        body=rendered.text,
        from_email=rendered.from_email,
        to=rendered.to,
        reply_to=rendered.reply_to,
        headers=headers,
    )
    message.attach_alternative(rendered.html, "text/html")
    if rendered.ics:
        part = MIMEText(rendered.ics.decode(), "calendar", "utf-8")
        part.set_param("method", rendered.ics_method)
        part.add_header("Content-Disposition", "attachment", filename="invite.ics")
        message.attach(part)
    return message


def still_applies(row: EmailLog, *, now: datetime | None = None) -> Verdict:
    """Tell whether a queued email should still go out now, later, or never."""
    now = now or timezone.now()
    registrant = row.registrant
    webinar = registrant.webinar
    kind = row.kind
    status = registrant.status
    if kind == Kind.REMINDER:
        return reminder_verdict(row, now=now)
    if kind in (Kind.FOLLOWUP_ATTENDED, Kind.FOLLOWUP_ABSENT):
        if status != Status.CONFIRMED:
            return Verdict(drop=True, reason="registrant no longer confirmed")
        if registrant.unsubscribed_at:
            return Verdict(drop=True, reason="registrant unsubscribed")
        if not webinar.followups_enabled:
            return Verdict(drop=True, reason="follow-ups turned off")
        if row.session is None or row.session.cancelled_at:
            return Verdict(drop=True, reason="session cancelled")
        return SEND
    if kind in (Kind.CONFIRMATION, Kind.APPROVED) and status != Status.CONFIRMED:
        return Verdict(drop=True, reason=f"registrant is {status}")
    if kind == Kind.AWAITING_APPROVAL and status != Status.AWAITING:
        return Verdict(drop=True, reason=f"registrant is {status}")
    if kind == Kind.NEW_PAID_REGISTRATION and not webinar.notify_paid_registrations:
        return Verdict(drop=True, reason="notifications turned off")
    return SEND


def reminder_verdict(row: EmailLog, *, now: datetime) -> Verdict:
    registrant = row.registrant
    webinar = registrant.webinar
    session = row.session
    if registrant.status != Status.CONFIRMED:
        return Verdict(drop=True, reason=f"registrant is {registrant.status}")
    if registrant.unsubscribed_at:
        return Verdict(drop=True, reason="registrant unsubscribed")
    if session is None or session.cancelled_at or webinar.cancelled_at:
        return Verdict(drop=True, reason="session cancelled")
    if registrant.session_id and registrant.session_id != session.pk:
        return Verdict(drop=True, reason="registrant moved to another session")
    if not webinar.reminders_enabled:
        return Verdict(drop=True, reason="reminders turned off")
    if row.variant and row.variant not in webinar.effective_reminder_offsets:
        return Verdict(drop=True, reason="reminder removed from the schedule")
    if session.starts_at <= now:
        return Verdict(drop=True, reason="session already started")
    remind_at = session.starts_at - timedelta(minutes=row.variant)
    # The session moved later since this reminder was queued: wait for it.
    if remind_at > now + timedelta(minutes=1):
        return Verdict(later=remind_at)
    return SEND
