"""An email backend that writes each message as one .eml file (the dev outbox)."""

import hashlib
import os
import re
import secrets
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage
from django.utils import timezone

# Beside the messages: one small file per Message-ID, naming its message's file.
INDEX = ".by-message-id"


class EmlFileBackend(BaseEmailBackend):
    """Write every message to ``EMAIL_FILE_PATH/<time>-<key>.eml``.

    ``<key>`` derives from the Message-ID when the message has one (every
    outbox email does): the same message sent again, by a worker that was
    killed before it could record the first send, is not written twice.
    Whether it was is one lookup, whatever the number of messages already in
    the folder: the first send of a Message-ID claims it in ``INDEX`` (a
    file created only if absent, holding the message's file name) before it
    writes the message, and a send that finds the claim writes nothing,
    unless the claimed file is missing (its writer killed between the two),
    which it then writes, or the claim names no file (left empty by a crash
    of the machine), which it then takes. Each file is written under a
    temporary name and renamed, so a process killed mid-write leaves no torn
    message.
    """

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        folder = Path(settings.EMAIL_FILE_PATH)
        (folder / INDEX).mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            message_id = (message.extra_headers or {}).get("Message-ID", "")
            if message_id:
                path = _claim(folder, message_id)
            else:
                path = folder / f"{_stamp()}-{secrets.token_hex(4)}.eml"
            if path is not None:
                _write(path, message.message().as_bytes())
            sent += 1
        return sent


def _claim(folder: Path, message_id: str) -> Path | None:
    """The file a message goes to, or None when it is written already."""
    key = hashlib.sha256(message_id.encode()).hexdigest()[:20]
    claim = folder / INDEX / key
    name = f"{_stamp()}-{key}.eml"
    partial = folder / INDEX / f".{key}.{secrets.token_hex(4)}.tmp"
    try:
        partial.write_text(name)
        _create_claim(partial, claim, name)
    except FileExistsError:
        claimed = claim.read_text()
        if _CLAIMED.fullmatch(claimed) and claimed.endswith(f"-{key}.eml"):
            path = folder / claimed
            return None if path.is_file() else path
        # A claim the machine's crash left empty or torn: this send's now.
        os.replace(partial, claim)
    finally:
        partial.unlink(missing_ok=True)
    return folder / name


def _create_claim(partial: Path, claim: Path, name: str) -> None:
    """Create `claim` holding `name` where nothing is; FileExistsError otherwise.

    A hard link to `partial` is created whole, and only where nothing is.
    A folder that takes no hard links (some mounted volumes refuse them)
    gets an exclusive create, then the name: a send of the same message that
    reads the claim between the two finds it empty and takes it as a
    crash's leftover, so there the message may, rarely, be written twice.
    """
    try:
        os.link(partial, claim)
    except FileExistsError:
        raise
    except OSError:
        descriptor = os.open(claim, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(descriptor, "w") as file:
            file.write(name)


_CLAIMED = re.compile(r"[0-9]{8}-[0-9]{6}-[0-9]{6}-[0-9a-f]{20}\.eml")


def _write(path: Path, data: bytes) -> None:
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    partial.write_bytes(data)
    os.replace(partial, path)


def _stamp() -> str:
    return timezone.now().strftime("%Y%m%d-%H%M%S-%f")
