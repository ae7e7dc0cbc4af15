"""An email backend that writes each message as one .eml file (the dev outbox)."""

import hashlib
import os
import secrets
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage
from django.utils import timezone


class EmlFileBackend(BaseEmailBackend):
    """Write every message to ``EMAIL_FILE_PATH/<time>-<key>.eml``.

    ``<key>`` derives from the Message-ID when the message has one (every
    outbox email does): the same message sent again, by a worker that was
    killed before it could record the first send, is not written twice.
    Each file is written under a temporary name and renamed, so a process
    killed mid-write leaves no torn message.
    """

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        folder = Path(settings.EMAIL_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            message_id = (message.extra_headers or {}).get("Message-ID", "")
            if message_id:
                key = hashlib.sha256(message_id.encode()).hexdigest()[:20]
                if any(folder.glob(f"*-{key}.eml")):
                    sent += 1
                    continue
            else:
                key = secrets.token_hex(4)
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
            path = folder / f"{stamp}-{key}.eml"
            partial = folder / f".{path.name}.{secrets.token_hex(4)}.tmp"
            partial.write_bytes(message.message().as_bytes())
            os.replace(partial, path)
            sent += 1
        return sent
