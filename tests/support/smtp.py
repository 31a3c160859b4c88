"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps every message it is sent, for the tests
that read what the site emails as a person's mailbox would."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
import time
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Mailbox:
    """Every message the server received, parsed; ``wait_for`` a message to one address."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refused: set[str] = set()  # addresses answered 550, as a server answers a mailbox that does not exist
        self._arrived = threading.Condition()
        self.controller = Controller(self, hostname="127.0.0.1", port=_free_port())

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802
        if address.lower() in self.refused:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self._arrived:
            self.messages.append(message)  # type: ignore[arg-type]
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    @property
    def port(self) -> int:
        return int(self.controller.port)

    def start(self) -> Mailbox:
        self.controller.start()
        self.running = True
        return self

    def stop(self) -> None:
        """Stop the server (a test may stop it early, as a mail server goes down)."""
        if getattr(self, "running", False):
            self.controller.stop()
            self.running = False

    def wait_for(self, to: str, *, seconds: float = 15.0) -> EmailMessage:
        """The last message to ``to``, waiting for one to arrive."""
        deadline = time.monotonic() + seconds
        with self._arrived:
            while True:
                found = [m for m in self.messages if to.lower() in str(m["To"]).lower()]
                if found:
                    return found[-1]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no message to {to}; got {[str(m['To']) for m in self.messages]}")
                self._arrived.wait(left)


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def to_whom(mailbox: Mailbox, address: str) -> list[EmailMessage]:
    """Every message to ``address`` so far, oldest first."""
    return [m for m in mailbox.messages if address.lower() in str(m["To"]).lower()]


def first_link(message: EmailMessage, path: str) -> str:
    """The first link in the message whose path starts with ``path``."""
    found = re.search(rf"https?://\S+?({re.escape(path)}\S*)", text_of(message))
    assert found is not None, text_of(message)
    return found.group(1)
