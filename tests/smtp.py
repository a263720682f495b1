"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import email
import threading
import time
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

from tests.pg import free_port


class _Handler:
    def __init__(self, refuse: frozenset[str], accept_at_most: int | None, pipelining: bool) -> None:
        self.messages: list[Message] = []
        self.arrival_times: list[float] = []  # time.monotonic() as each message was accepted
        self.arrived = threading.Condition()
        self.refuse = refuse
        self.accept_at_most = accept_at_most
        self.pipelining = pipelining

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        # aiosmtpd reads pipelined commands one line at a time (as RFC 2920 allows) but does not
        # advertise the extension; real servers do. (With this hook defined, setting the session's
        # host name is the hook's job.)
        session.host_name = hostname
        if not self.pipelining:
            return responses
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.accept_at_most is not None and len(self.messages) >= self.accept_at_most:
            return "421 4.3.2 closing the connection, try later"
        with self.arrived:
            self.messages.append(email.message_from_bytes(envelope.content))
            self.arrival_times.append(time.monotonic())
            self.arrived.notify_all()
        return "250 OK"


class SmtpSink:
    """`refuse`: recipients answered 550; `accept_at_most`: messages taken before it answers 421;
    `pipelining`: whether it offers PIPELINING (as most servers do); `port`: where to listen (a free
    one by default)."""

    def __init__(
        self,
        refuse: frozenset[str] = frozenset(),
        accept_at_most: int | None = None,
        pipelining: bool = True,
        port: int | None = None,
    ) -> None:
        self.handler = _Handler(refuse, accept_at_most, pipelining)
        self.port = port or free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self) -> list[Message]:
        return self.handler.messages

    def expect(self, count: int = 1, to: str | None = None, timeout: float = 30.0) -> list[Message]:
        """Wait until `count` messages (to `to`, when given) have arrived, and return them (the web
        processes send account emails just after the answer, from their outbox sender)."""

        def matching() -> list[Message]:
            return [message for message in self.messages if to is None or message["To"] == to]

        with self.handler.arrived:
            if not self.handler.arrived.wait_for(lambda: len(matching()) >= count, timeout):
                raise AssertionError(f"{len(matching())} of {count} expected message(s) to {to or 'anyone'} arrived")
            return matching()

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    @staticmethod
    def bodies(message: Message) -> tuple[str, str]:
        text = html = ""
        for part in message.walk():
            if part.get_content_type() == "text/plain":
                text = part.get_payload(decode=True).decode()
            elif part.get_content_type() == "text/html":
                html = part.get_payload(decode=True).decode()
        return text, html
