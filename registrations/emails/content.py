"""Render an email: its subject, text and HTML bodies, headers and .ics part.

Bulk kinds (reminders, follow-ups) render once per webinar, session, language
and shape, with placeholders where the registrant's own values go; each
message then only substitutes them (see emails/merge.py for the byte level).
"""

import copy
import secrets
from dataclasses import dataclass, field, replace
from email.mime.text import MIMEText
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape

from registrations.emails.calendar import ics_for
from registrations.emails.context import (
    UNSUBSCRIBABLE,
    EmailSpec,
    build_context,
    from_address,
    unsubscribe_url,
)
from registrations.emails.subjects import subject_for
from registrations.models import ORGANIZER_KINDS, EmailLog, Registrant
from webinars.models import Session

Kind = EmailLog.Kind

# The organizer's emails about one person's request or payment: a reply
# reaches that person (the others are about the webinar, a bounce or a bank).
REPLY_TO_REGISTRANT = frozenset({Kind.NEW_PAID_REGISTRATION, Kind.REFUND_REQUEST})

# Kinds carrying the invitation (.ics) and its iTIP method.
ICS_METHODS = {
    Kind.CONFIRMATION: "REQUEST",
    Kind.APPROVED: "REQUEST",
    Kind.CANCELLED: "CANCEL",
}

# Placeholders are letters only, so HTML escaping leaves them intact.
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
# Headers telling out-of-office responders not to answer (RFC 3834), and
# offering one-click unsubscribe (RFC 8058) where the kind allows it.
AUTO_SUBMITTED = {"Auto-Submitted": "auto-generated"}


def unsubscribe_headers(url: str) -> dict[str, str]:
    return {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


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


def merge_values(
    registrant: Registrant, *, unsubscribe: str, watch: str | None
) -> dict[str, str]:
    """Return the registrant's own value for each placeholder."""
    return {
        "first_name": registrant.first_name,
        "last_name": registrant.last_name,
        "email": registrant.email,
        "join_token": registrant.join_token,
        "cancel_token": registrant.cancel_token,
        "unsubscribe_url": unsubscribe,
        "watch_url": watch or "",
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
    spec = EmailSpec.of(
        registrant,
        kind,
        session=session,
        variant=variant,
        language=language,
        cache=cache,
    )
    unsubscribe = (
        unsubscribe_url(registrant) if kind in UNSUBSCRIBABLE and registrant.pk else ""
    )
    if cache is not None and kind in MERGEABLE and registrant.pk:
        subject, text, html, session_list = render_merged(
            spec, unsubscribe=unsubscribe, cache=cache
        )
    else:
        subject, text, html, session_list = render_parts(
            spec, cache=cache, failed=failed
        )
    for_organizer = kind in ORGANIZER_KINDS
    headers = unsubscribe_headers(unsubscribe) if unsubscribe else {}
    headers.update(AUTO_SUBMITTED)
    rendered = RenderedEmail(
        subject=subject.replace("\n", " ").strip(),
        text=text,
        html=html,
        to=[webinar.owner.email] if for_organizer else [registrant.email],
        from_email=(
            settings.DEFAULT_FROM_EMAIL if for_organizer else from_address(webinar)
        ),
        reply_to=(
            [registrant.email]
            if kind in REPLY_TO_REGISTRANT
            else []
            if for_organizer
            else [webinar.owner.email]
        ),
        headers=headers,
    )
    method = ICS_METHODS.get(kind)
    if method and registrant.pk and session_list:
        rendered.ics = ics_for(registrant, method=method, sessions=session_list)
        rendered.ics_method = method
    return rendered


def render_parts(
    spec: EmailSpec,
    *,
    cache: dict | None,
    failed: EmailLog | None = None,
    unsubscribe: str | None = None,
) -> tuple[str, str, str, list[Session]]:
    """Return the subject, text, HTML and sessions of an email, in its language."""
    with translation.override(spec.language):
        context = build_context(spec, cache=cache, failed=failed)
        if unsubscribe is not None:
            context["unsubscribe_url"] = unsubscribe
        subject = subject_for(spec, context, cache=cache)
        context["subject"] = subject
        return (
            subject,
            render_to_string(f"emails/{spec.kind}.txt", context),
            render_to_string(f"emails/{spec.kind}.html", context),
            context["session_list"],
        )


def render_merged(
    spec: EmailSpec, *, unsubscribe: str, cache: dict, substitute: bool = True
) -> tuple[str, str, str, list[Session]]:
    """Render a bulk email from its cached template with placeholders.

    With ``substitute=False``, return the template itself, placeholders in.
    """
    key = spec.shape("merged")
    if key not in cache:
        stand_in = copy.copy(spec.registrant)
        for name in ("first_name", "last_name", "email", "join_token", "cancel_token"):
            setattr(stand_in, name, PLACEHOLDERS[name])
        placeholder_watch = PLACEHOLDERS["watch_url"] if spec.watch else None
        cache[key] = render_parts(
            replace(spec, registrant=stand_in, watch=placeholder_watch),
            cache=cache,
            unsubscribe=PLACEHOLDERS["unsubscribe_url"],
        )
    subject, text, html, session_list = cache[key]
    if not substitute:
        return subject, text, html, session_list
    values = merge_values(spec.registrant, unsubscribe=unsubscribe, watch=spec.watch)
    for name, value in values.items():
        placeholder = PLACEHOLDERS[name]
        text = text.replace(placeholder, value)
        html = html.replace(placeholder, escape(value))
    return subject, text, html, session_list


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
    """Turn a rendered email into a message with its alternatives attached."""
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
