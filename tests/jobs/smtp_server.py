"""A real SMTP server on 127.0.0.1 for the e-mail tests (aiosmtpd), keeping what arrives."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

__all__ = ["Mailbox", "smtp_server"]


@dataclass
class Mailbox:
    """What the server received, in order; ``delay_s`` holds each answer back (after keeping
    the message), so a sender can be stopped while it waits for the server's answer."""

    delay_s: float = 0.0
    messages: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Condition = field(init=False)
    host: str = "127.0.0.1"
    port: int = 0

    def __post_init__(self) -> None:
        self.arrived = threading.Condition(self.lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.arrived:
            self.messages.append(parsed)
            self.arrived.notify_all()
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout_s: float = 30.0) -> bool:
        """Wait until ``count`` messages have arrived; False on timeout."""
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.messages) >= count, timeout_s)

    def to(self) -> list[str]:
        """The To address of each message, in order."""
        with self.lock:
            return [str(m["To"]) for m in self.messages]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_server(delay_s: float = 0.0) -> Iterator[Mailbox]:
    """Run the server for the block; the mailbox it fills."""
    mailbox = Mailbox(delay_s=delay_s)
    mailbox.port = _free_port()
    controller = Controller(mailbox, hostname=mailbox.host, port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()
