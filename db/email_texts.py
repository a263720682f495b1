"""What each email says: the one renderer for every email the service sends (`render`), from an
outbox row joined with what it needs (see db/outbox.py)."""

from __future__ import annotations

import html
from typing import Any

from mail import Message
from settings import Settings

# The kinds of email. The first three announce a group; the others concern the account itself.
GROUPED = "grouped"
REMINDER = "reminder"
LAST_CALL = "last_call"
VERIFY_ADDRESS = "verify_address"
RESET_PASSWORD = "reset_password"
ADDRESS_CHANGED = "address_changed"
ACCOUNT_KINDS = (VERIFY_ADDRESS, RESET_PASSWORD, ADDRESS_CHANGED)
GROUP_KINDS = (GROUPED, REMINDER, LAST_CALL)


def _message(to: str, subject: str, lines: list[str], link: tuple[str, str] | None = None) -> Message:
    text = "\n\n".join(lines + ([link[1]] if link else []))
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    if link:
        body += f'<p><a href="{html.escape(link[1])}">{html.escape(link[0])}</a></p>'
    return Message(to=to, subject=subject, text=text + "\n", html=body)


def _group_email(kind: str, to: str, group_id: int, name: str, settings: Settings) -> Message:
    if kind == GROUPED:
        subject = "You've been grouped! Time to give feedback"
        lead = f"Your request is now in {name}. Listen to the other members' tracks and write your feedback"
    elif kind == LAST_CALL:
        subject = "Last call: your group's feedback is due in 12 hours"
        lead = f"The deadline of {name} is 12 hours away and the others are still waiting for your feedback. Write it"
    else:
        subject = "Reminder: your group is waiting for your feedback"
        lead = f"The other members of {name} are waiting for your feedback. Write it"
    return _message(
        to,
        subject,
        [f"{lead}; you will see the feedback on your own track once you have written yours."],
        (f"Open {name}", f"{settings.web_url}/groups/{group_id}"),
    )


def _reset(to: str, token: str, settings: Settings) -> Message:
    return _message(
        to,
        "Reset your How's My Track? password",
        [
            "Someone asked to reset the password of this account.",
            "Choose a new one with the link below (it works once, for an hour). If it was not you, ignore this email.",
        ],
        ("Choose a new password", f"{settings.web_url}/reset-password?token={token}"),
    )


def _verify(to: str, token: str, change: bool, settings: Settings) -> Message:
    lead = (
        "You asked to use this address for your How's My Track? account."
        if change
        else "Welcome to How's My Track? Please confirm this is your address."
    )
    return _message(
        to,
        "Confirm your email address",
        [lead, "The link below works once, for a day. If it was not you, ignore this email."],
        ("Confirm my address", f"{settings.web_url}/verify-email?token={token}"),
    )


def _address_changed(to: str, new_address: str) -> Message:
    return _message(
        to,
        "Your How's My Track? email address was changed",
        [
            f"The email address of your account is now {new_address}; this one no longer signs in.",
            "If you did not do this, reset your password from the sign-in page and write to us.",
        ],
    )


def render(row: dict[str, Any], settings: Settings) -> Message:
    """The message for an outbox row: `kind`, `email` (the account's address), `to_address` (when it
    goes elsewhere), `payload` (decoded) and, for group emails, `group_id` and `group_name`."""
    kind, payload = row["kind"], row["payload"] or {}
    to = row["to_address"] or row["email"]
    if kind in GROUP_KINDS:
        return _group_email(kind, to, row["group_id"], row["group_name"], settings)
    if kind == RESET_PASSWORD:
        return _reset(to, payload["token"], settings)
    if kind == VERIFY_ADDRESS:
        return _verify(to, payload["token"], bool(payload.get("change")), settings)
    if kind == ADDRESS_CHANGED:
        return _address_changed(to, payload["new_address"])
    raise ValueError(f"unknown email kind {kind!r}")
