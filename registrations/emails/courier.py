"""One SMTP connection that sends messages and reports each outcome."""

import logging
import queue
import smtplib
import threading
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpEmailBackend
from django.core.mail.message import sanitize_address

from registrations.models import EmailLog

logger = logging.getLogger(__name__)

# What the courier thread reports last, once it has sent everything.
END = object()


class Courier:
    """One SMTP connection, optionally driven from a thread of its own.

    With Django's SMTP backend the message bytes are produced by the caller
    and handed to smtplib directly; any other backend (files, memory) gets
    the message through ``send_messages``. Outcomes are collected with
    ``finished()`` so that only the calling thread touches the database.
    """

    DEPTH = 16

    def __init__(self, *, threaded: bool = False) -> None:
        self.backend = get_connection(fail_silently=False)
        self.smtp = isinstance(self.backend, SmtpEmailBackend)
        self.threaded = threaded
        self.outgoing: queue.Queue = queue.Queue(maxsize=self.DEPTH)
        self.done: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.finished_sending = False
        self.is_open = False
        self.down: BaseException | None = None

    def __enter__(self) -> "Courier":
        if self.threaded:
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish()

    def prepare(self, message: Any) -> Any:
        """Turn a message into what the courier sends (bytes for SMTP)."""
        if not self.smtp:
            return message
        encoding = message.encoding or settings.DEFAULT_CHARSET
        return (
            sanitize_address(message.from_email, encoding),
            [sanitize_address(a, encoding) for a in message.recipients()],
            message.message().as_bytes(linesep="\r\n"),
        )

    def submit(self, row: EmailLog, payload: Any) -> None:
        if self.threaded:
            self.outgoing.put((row, payload))
        else:
            self.done.put((row, self.deliver(payload)))

    def finished(self) -> list[tuple[EmailLog, BaseException | None]]:
        """Return the outcomes reported since the last call."""
        outcomes = []
        while True:
            try:
                item = self.done.get_nowait()
            except queue.Empty:
                return outcomes
            if item is not END:
                outcomes.append(item)

    def drain(self) -> Iterator[tuple[EmailLog, BaseException | None]]:
        """Send what is queued and hang up, yielding each outcome at once.

        Each accepted message is handed back as soon as the server answers,
        so the caller records it while the next one goes out: a worker
        killed meanwhile leaves only the message in flight unrecorded (sent
        again later, with the same Message-ID).
        """
        if not self.finished_sending and self.threaded:
            self.finished_sending = True
            self.outgoing.put(None)
            while (item := self.done.get()) is not END:
                yield item
            self.thread.join()
            self.hang_up()
        self.finish()
        yield from self.finished()

    def finish(self) -> None:
        """Wait until every submitted message has an outcome; hang up."""
        if self.finished_sending:
            return
        self.finished_sending = True
        if self.threaded and self.thread.is_alive():
            self.outgoing.put(None)
            self.thread.join()
        self.hang_up()

    def hang_up(self) -> None:
        if self.is_open:
            close_quietly(self.backend)
            self.is_open = False

    def run(self) -> None:
        while (item := self.outgoing.get()) is not None:
            row, payload = item
            self.done.put((row, self.deliver(payload)))
        self.done.put(END)

    def deliver(self, payload: Any) -> BaseException | None:
        """Send one message; return None once accepted, else the error."""
        if self.down is not None:
            return self.down
        if not self.is_open:
            try:
                self.backend.open()
                self.is_open = True
            except Exception as error:  # noqa: BLE001
                # The server is unreachable: every row left counts one
                # attempt rather than waiting on a timeout each.
                self.down = error
                return error
        try:
            if self.smtp:
                from_email, recipients, data = payload
                self.backend.connection.sendmail(from_email, recipients, data)
            else:
                self.backend.send_messages([payload])
        except (
            smtplib.SMTPRecipientsRefused,
            smtplib.SMTPDataError,
            smtplib.SMTPSenderRefused,
        ) as error:
            # Refused by the server; the connection itself is fine.
            return error
        except Exception as error:  # noqa: BLE001
            # Dropped or timed out: the message may not have been accepted;
            # it is retried, and the next one reconnects.
            close_quietly(self.backend)
            self.is_open = False
            return error
        return None


def describe(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        parts = [
            f"{address}: {code} {reply.decode(errors='replace')}"
            for address, (code, reply) in error.recipients.items()
        ]
        return "recipient refused: " + "; ".join(parts)
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error
        if isinstance(text, bytes):
            text = text.decode(errors="replace")
        return f"{error.__class__.__name__}: {error.smtp_code} {text}"
    return f"{error.__class__.__name__}: {error}"[:1000]


def close_quietly(smtp: object) -> None:
    try:
        smtp.close()  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - the connection is gone either way
        logger.debug("Ignoring an error while closing the SMTP connection")
        smtp.connection = None  # type: ignore[attr-defined]
