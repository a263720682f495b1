"""The emails about the account itself (password reset, address verification, address change),
sent straight after the answer rather than through the outbox: each concerns one request only."""

from __future__ import annotations

import html
import logging

from anyio import to_thread
from starlette.background import BackgroundTask

from mail import Mailer, MailError, Message
from settings import Settings

log = logging.getLogger("howsmytrack.mail")


def _message(to: str, subject: str, lines: list[str], link: tuple[str, str] | None = None) -> Message:
    text = "\n\n".join(lines + ([link[1]] if link else []))
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    if link:
        body += f'<p><a href="{html.escape(link[1])}">{html.escape(link[0])}</a></p>'
    return Message(to=to, subject=subject, text=text + "\n", html=body)


def reset_message(settings: Settings, address: str, token: str) -> Message:
    return _message(
        address,
        "Reset your How's My Track? password",
        [
            "Someone asked to reset the password of this account.",
            "Choose a new one with the link below (it works once, for an hour). If it was not you, ignore this email.",
        ],
        ("Choose a new password", f"{settings.web_url}/reset-password?token={token}"),
    )


def verify_message(settings: Settings, address: str, token: str, change: bool) -> Message:
    lead = (
        "You asked to use this address for your How's My Track? account."
        if change
        else "Welcome to How's My Track? Please confirm this is your address."
    )
    return _message(
        address,
        "Confirm your email address",
        [lead, "The link below works once, for a day. If it was not you, ignore this email."],
        ("Confirm my address", f"{settings.web_url}/verify-email?token={token}"),
    )


def changed_notice(address: str, new_address: str) -> Message:
    return _message(
        address,
        "Your How's My Track? email address was changed",
        [
            f"The email address of your account is now {new_address}; this one no longer signs in.",
            "If you did not do this, reset your password from the sign-in page and write to us.",
        ],
    )


def send_after(settings: Settings, *messages: Message) -> BackgroundTask:
    """Send after the answer (so its timing does not tell whether an account exists); failures are logged."""
    return BackgroundTask(_send_quietly, Mailer(settings), list(messages))


async def _send_quietly(mailer: Mailer, messages: list[Message]) -> None:
    for message in messages:
        try:
            await to_thread.run_sync(mailer.send, message)
        except MailError as error:
            log.warning("account email not sent: %s", error)
        except Exception:  # after the answer: a failure here must not break the client's connection
            log.exception("account email not sent")
