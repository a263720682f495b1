"""Sending email: over SMTP when `SMTP_URL` is set; in development without it, into a local folder.

SMTP_URL forms: `smtp://[user:pass@]host[:port]`, `smtp+starttls://...`, `smtps://...` (TLS from
the start).
"""

from __future__ import annotations

import base64
import logging
import re
import smtplib
import ssl
import time
import uuid
from dataclasses import dataclass
from email.header import Header
from email.utils import formatdate
from pathlib import Path
from urllib.parse import unquote, urlparse

from settings import Settings

log = logging.getLogger("howsmytrack.mail")
SENDER = "How's My Track? <no-reply@howsmytrack.invalid>"


class MailError(Exception):
    """A message was not delivered. `permanent`: sending it again cannot help (the server refused
    the recipient for good, or the address cannot be written in a mail envelope)."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    text: str
    html: str


SENDER_ADDRESS = "no-reply@howsmytrack.invalid"


def _header(value: str) -> str:
    return value if value.isascii() else Header(value, "utf-8").encode()


def _part(content_type: str, body: str) -> str:
    encoded = base64.encodebytes(body.encode()).decode()
    return f"Content-Type: {content_type}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{encoded}"


def build(message: Message) -> bytes:
    """The message as MIME multipart/alternative (text and HTML).

    Written out directly rather than with `email.message.EmailMessage`, which costs about 2 ms a
    message: the grouping job sends one to every member who asked, tens of thousands a night.
    """
    boundary = f"=={uuid.uuid4().hex}"
    headers = (
        f"From: {SENDER}\r\nTo: {_header(message.to)}\r\nSubject: {_header(message.subject)}\r\n"
        f"Date: {formatdate(usegmt=True)}\r\nMessage-ID: <{uuid.uuid4().hex}@howsmytrack.invalid>\r\n"
        f'MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'
    )
    body = (
        f"--{boundary}\r\n{_part('text/plain', message.text)}\r\n"
        f"--{boundary}\r\n{_part('text/html', message.html)}\r\n--{boundary}--\r\n"
    )
    return (headers + body.replace("\n", "\r\n").replace("\r\r\n", "\r\n")).encode("ascii")


_LINK = re.compile(r"https?://\S+")
_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)


def _send_pipelined(smtp: smtplib.SMTP, to: str, content: bytes) -> MailError | None:
    """One message with PIPELINING (RFC 2920): MAIL, RCPT and DATA go in one write and their replies
    are read back together, then the content: two round trips where `sendmail` takes four. On the
    grouping job's tens of thousands of messages this halves the time spent talking SMTP."""
    smtp.send(f"MAIL FROM:<{SENDER_ADDRESS}>\r\nRCPT TO:<{to}>\r\nDATA\r\n")
    (mail, mail_text), (rcpt, rcpt_text), (data, data_text) = smtp.getreply(), smtp.getreply(), smtp.getreply()
    if data == 354:  # the server takes content even if it refused the envelope: end it empty
        accepted = mail == 250 and rcpt in (250, 251)
        smtp.send(_LEADING_DOT.sub(b"..", content) + b".\r\n" if accepted else b".\r\n")
        data, data_text = smtp.getreply()
    if 421 in (mail, rcpt, data):
        raise smtplib.SMTPServerDisconnected(f"the server is closing the connection: {data_text!r}")
    if (mail, data) == (250, 250) and rcpt in (250, 251):
        return None
    smtp.rset()
    if mail != 250:
        return MailError(f"message refused: {mail} {mail_text!r}", mail >= 500)
    if rcpt not in (250, 251):
        return MailError(f"recipient refused: {{{to!r}: ({rcpt}, {rcpt_text!r})}}", permanent=rcpt >= 500)
    return MailError(f"message refused: {data} {data_text!r}", data >= 500)


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send_many(self, messages: list[Message]) -> list[Exception | None]:
        """Send each message over one connection; returns, per message, None or its error."""
        if not messages:
            return []
        if not self.settings.smtp_url:
            if not self.settings.is_development:
                return [MailError("SMTP_URL is not set; email cannot be sent") for _ in messages]
            folder = Path(self.settings.mail_folder)
            try:
                folder.mkdir(parents=True, exist_ok=True)
                for message in messages:
                    self._write_to_folder(folder, message)
            except OSError as error:
                return [MailError(f"cannot write to the mail folder {folder}: {error}") for _ in messages]
            return [None for _ in messages]
        results: list[Exception | None] = []
        try:
            with self._connect() as smtp:
                for message in messages:
                    results.append(self._send_one(smtp, message))
        except (OSError, smtplib.SMTPException) as error:
            # The connection failed (or never opened): what went out before stays delivered.
            log.warning("SMTP delivery failed: %s", error)
            failure = MailError(f"SMTP delivery failed: {error}")
            results.extend(failure for _ in messages[len(results) :])
        return results

    @staticmethod
    def _send_one(smtp: smtplib.SMTP, message: Message) -> MailError | None:
        """Send one message; a problem with this message alone is returned, a broken connection raised."""
        if not message.to.isascii() or any(char in message.to for char in "\r\n<>"):
            # SMTP commands are ASCII (we do not use SMTPUTF8); checked before the server sees anything.
            return MailError(f"cannot address {message.to!r}: not a plain ASCII address", permanent=True)
        smtp.ehlo_or_helo_if_needed()
        if smtp.has_extn("pipelining"):
            return _send_pipelined(smtp, message.to, build(message))
        try:
            smtp.sendmail(SENDER_ADDRESS, [message.to], build(message))
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            return MailError(f"recipient refused: {error.recipients}", permanent=all(code >= 500 for code in codes))
        except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as error:
            if error.smtp_code == 421:  # the server is closing the connection
                raise
            return MailError(f"message refused: {error.smtp_code} {error.smtp_error!r}", error.smtp_code >= 500)
        return None

    def send(self, message: Message) -> None:
        error = self.send_many([message])[0]
        if error is not None:
            raise error

    def _connect(self) -> smtplib.SMTP:
        url = urlparse(self.settings.smtp_url)
        host = url.hostname or "localhost"
        if url.scheme == "smtps":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                host, url.port or 465, timeout=10, context=ssl.create_default_context()
            )
        elif url.scheme in ("smtp", "smtp+starttls"):
            smtp = smtplib.SMTP(host, url.port or 25, timeout=10)
            if url.scheme == "smtp+starttls":
                smtp.starttls(context=ssl.create_default_context())
        else:  # Settings refuse other schemes at start-up
            raise MailError(f"unsupported SMTP_URL scheme {url.scheme!r}", permanent=True)
        if url.username:
            smtp.login(unquote(url.username), unquote(url.password or ""))
        return smtp

    def _write_to_folder(self, folder: Path, message: Message) -> None:
        path = folder / f"{time.time_ns()}.eml"
        path.write_bytes(build(message))
        links = " ".join(_LINK.findall(message.text))
        # The file's parts are base64: the log carries the links a developer needs to follow.
        log.info(
            "email to %s (%s) written to %s%s", message.to, message.subject, path, f"; links: {links}" * bool(links)
        )
        return None
