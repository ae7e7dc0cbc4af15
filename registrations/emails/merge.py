"""Bulk emails sent over SMTP, merged at the byte level.

The whole MIME message is generated once per template (with placeholders in
the bodies and headers) and each registrant's copy only substitutes its
values: a bulk send renders and encodes once, not once per registrant.
"""

from dataclasses import dataclass
from email.utils import formatdate

from django.conf import settings
from django.core.mail.message import sanitize_address
from django.utils.html import escape

from registrations.emails.content import (
    AUTO_SUBMITTED,
    MERGEABLE,
    PLACEHOLDERS,
    RenderedEmail,
    merge_values,
    render_merged,
    to_message,
    unsubscribe_headers,
)
from registrations.emails.context import EmailSpec, from_address, unsubscribe_url
from registrations.models import EmailLog

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
    spec = EmailSpec.of(
        registrant, kind, session=row.session, variant=row.variant, cache=cache
    )
    key = spec.shape("bytes")
    if key not in cache:
        cache[key] = merge_template(spec, cache=cache)
    template = cache[key]
    if template is None:
        return None
    unsubscribe = unsubscribe_url(registrant)
    data = template.data
    values = merge_values(registrant, unsubscribe=unsubscribe, watch=spec.watch)
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


def merge_template(spec: EmailSpec, *, cache: dict) -> MergeTemplate | None:
    """Generate the MIME bytes of a bulk email with placeholders everywhere."""
    subject, text, html, _sessions = render_merged(
        spec, unsubscribe="", cache=cache, substitute=False
    )
    for name, token in PLACEHOLDERS.items():
        html = html.replace(token, HTML_PLACEHOLDERS[name])
    webinar = spec.registrant.webinar
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
                **unsubscribe_headers(MERGE_HEADERS["unsubscribe"]),
                **AUTO_SUBMITTED,
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
