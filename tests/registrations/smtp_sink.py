"""A real local SMTP server (aiosmtpd) for email tests, with faults on demand."""

import asyncio
import email
import email.policy
import socket
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class SinkHandler:
    """Keep every accepted message; refuse, stall or hang up when told to."""

    # (recipients, raw bytes) of every accepted message; parsed on demand.
    accepted: list[tuple[list[str], bytes]] = field(default_factory=list)
    # address -> SMTP reply to RCPT TO, e.g. "550 5.1.1 No such user".
    refuse: dict[str, str] = field(default_factory=dict)
    # Hang up (no reply) on the DATA of these message numbers (1-based,
    # counted over the server's lifetime).
    drop_on: set[int] = field(default_factory=set)
    # Wait this long before answering DATA for these recipients.
    stall: dict[str, float] = field(default_factory=dict)
    data_count: int = 0
    connections: int = 0
    # DATA commands being answered right now (stalled).
    answering: int = 0

    async def handle_EHLO(  # noqa: N802 - aiosmtpd's hook name
        self, server, session, envelope, hostname, responses
    ):
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(  # noqa: N802
        self, server, session, envelope, address, rcpt_options
    ):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.data_count += 1
        if self.data_count in self.drop_on:
            server.transport.close()
            return "421 closing"
        self.answering += 1
        try:
            for address in envelope.rcpt_tos:
                if address in self.stall:
                    await asyncio.sleep(self.stall[address])
            self.accepted.append((list(envelope.rcpt_tos), envelope.content))
        finally:
            # Accepted, or cancelled with its connection.
            self.answering -= 1
        return "250 Message accepted"

    @property
    def recipients(self) -> list[str]:
        return [address for rcpt_tos, _raw in self.accepted for address in rcpt_tos]


class SmtpSink:
    """Start with ``with SmtpSink() as sink:``; point Django at it with use()."""

    def __init__(self) -> None:
        self.handler = SinkHandler()
        self.port = free_port()
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, ready_timeout=5
        )

    def __enter__(self) -> "SmtpSink":
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.controller._thread is not None:  # noqa: SLF001
            self.controller.stop()

    def use(self, settings) -> None:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = self.port
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 5

    @property
    def messages(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(raw, policy=email.policy.default)
            for _rcpt_tos, raw in self.handler.accepted
        ]

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m["To"]]
