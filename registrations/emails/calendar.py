"""iCalendar (RFC 5545) invitations for the sessions a registrant attends."""

from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from registrations.emails.context import join_url, organizer_name, sessions_for
from registrations.models import Registrant
from webinars.models import Session

PRODID = "-//Tessera//Webinar registration//EN"


def escape_text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def escape_param(value: str) -> str:
    """Quote a parameter value; DQUOTE itself cannot appear in one."""
    return '"' + value.replace('"', "'") + '"'


def fold(line: str) -> str:
    """Fold a content line at 75 octets without splitting a UTF-8 character."""
    if line.isascii():
        # One octet per character: cut every 75, then every 74 (each
        # continuation line starts with a space). Most lines, and the long
        # ones (links, descriptions) of every confirmation.
        if len(line) <= 75:
            return line
        head = [line[:75]]
        rest = [line[start : start + 74] for start in range(75, len(line), 74)]
        return "\r\n ".join(head + rest)
    encoded = line.encode()
    if len(encoded) <= 75:
        return line
    parts: list[str] = []
    current = b""
    limit = 75
    for char in line:
        char_bytes = char.encode()
        if len(current) + len(char_bytes) > limit:
            parts.append(current.decode())
            current = b""
            limit = 74  # continuation lines start with a space
        current += char_bytes
    parts.append(current.decode())
    return "\r\n ".join(parts)


def format_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def site_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def event_uid(registrant: Registrant, session: Session) -> str:
    """Return the UID of a session in a registrant's calendar; never changes."""
    return f"tessera-r{registrant.pk}-s{session.pk}@{site_domain()}"


def ics_for(
    registrant: Registrant,
    *,
    method: str = "REQUEST",
    sessions: Iterable[Session] | None = None,
) -> bytes:
    """Return an iCalendar invitation (or cancellation) for the registrant.

    REQUEST lists every session the registrant attends; CANCEL withdraws them
    (or the given sessions, e.g. one session that was cancelled).
    """
    method = method.upper()
    if method not in {"REQUEST", "CANCEL", "PUBLISH"}:
        raise ValueError(f"Unsupported iTIP method: {method}")
    webinar = registrant.webinar
    owner = webinar.owner
    chosen = list(sessions) if sessions is not None else sessions_for(registrant)
    link = join_url(registrant)
    stamp = format_utc(timezone.now())
    lines = [
        "BEGIN:VCALENDAR",
        f"PRODID:{PRODID}",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
    ]
    description = "\n\n".join(
        part for part in (webinar.description.strip(), link) if part
    )
    organizer = organizer_name(webinar)
    for session in chosen:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event_uid(registrant, session)}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{format_utc(session.starts_at)}",
            f"DTEND:{format_utc(session.ends_at)}",
            # A cancellation must carry a higher sequence than the invitation.
            f"SEQUENCE:{1 if method == 'CANCEL' else 0}",
            f"SUMMARY:{escape_text(webinar.title)}",
            f"DESCRIPTION:{escape_text(description)}",
            f"LOCATION:{escape_text(link)}",
            f"URL:{link}",
            f"ORGANIZER;CN={escape_param(organizer)}:mailto:{owner.email}",
            f"ATTENDEE;CN={escape_param(registrant.full_name or registrant.email)};"
            f"ROLE=REQ-PARTICIPANT;PARTSTAT="
            f"{'DECLINED' if method == 'CANCEL' else 'ACCEPTED'};RSVP=FALSE:"
            f"mailto:{registrant.email}",
            f"STATUS:{'CANCELLED' if method == 'CANCEL' else 'CONFIRMED'}",
            "TRANSP:OPAQUE",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(fold(line) for line in lines) + "\r\n").encode()
