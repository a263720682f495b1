"""Reports and their moderation.

- A user reports a piece of feedback on their own track that they may read, or a reply by the other
  person on a thread open to them; once per item per user (the unique indexes hold it under races).
  Anything else is "not found", as it is everywhere else.
- An admin resolves a report with one action: `dismiss`, `hide` (the item shows as removed by a
  moderator and no longer counts for its writer's rating), `warn` the writer, or `ban` the writer
  (which hides the item too). The action settles every open report on the same item, tells each
  reporter the outcome and the writer what was done, and is recorded once in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from peewee import IntegrityError

from db import audit, bans, notifications
from db.accounts import CurrentUser
from db.connection import database
from db.errors import Conflict, NotFound
from db.models import FeedbackResponse, Reply, Report, iso, utcnow
from db.responses import _role, _thread_role
from db.rows import locked, tuple_rows
from db.sql import Statement

REASONS = ("abusive", "spam", "low_effort", "other")
ACTIONS = ("dismiss", "hide", "warn", "ban")
OUTCOME = {"dismiss": "dismissed", "hide": "hidden", "warn": "warned", "ban": "banned"}
STATES = ("open", *OUTCOME.values())
REMOVED = "Removed by a moderator."


@dataclass(frozen=True)
class Item:
    """What a report is about: feedback (`response_id`) or a reply in its thread (`reply_id`)."""

    response_id: int
    reply_id: int | None
    writer_id: int


def _reportable(user: CurrentUser, response_id: int | None, reply_id: int | None) -> Item:
    if reply_id is not None:
        reply = Reply.select(Reply.response, Reply.author).where(Reply.id == reply_id).first()
        if reply is None or reply.author_id == user.id:
            raise NotFound()
        try:
            _thread_role(user.id, reply.response_id)
        except Conflict:
            raise NotFound() from None
        return Item(reply.response_id, reply_id, reply.author_id)
    assert response_id is not None
    role = _role(user.id, response_id)
    if not role.owner_can_read or role.is_writer:
        raise NotFound()
    return Item(response_id, None, role.writer_id)


def create_report(
    user: CurrentUser, response_id: int | None, reply_id: int | None, reason: str, text: str
) -> dict[str, Any]:
    with database.atomic():
        item = _reportable(user, response_id, reply_id)
        try:
            with database.atomic():
                report = Report.create(
                    reporter=user.id,
                    response=None if item.reply_id else item.response_id,
                    reply=item.reply_id,
                    writer=item.writer_id,
                    reason=reason,
                    text=text,
                )
        except IntegrityError:
            raise Conflict("already_reported", "You already reported this.") from None
    return {"id": report.id, "reason": reason, "state": "open", "created_at": iso(report.created_at)}


# --- moderation ---------------------------------------------------------------------------------

_REPORT = Statement("""
SELECT rp.id, rp.reporter_id, rp.response_id, rp.reply_id, rp.writer_id, rp.reason, rp.text, rp.state,
    rp.created_at, rp.resolved_at, rp.resolved_by_id, reporter.email AS reporter_email, writer.email AS writer_email,
    COALESCE(rp.response_id, rep.response_id) AS thread_id
FROM report rp
JOIN "user" reporter ON reporter.id = rp.reporter_id
JOIN "user" writer ON writer.id = rp.writer_id
LEFT JOIN reply rep ON rep.id = rp.reply_id
WHERE rp.id = :report
""")

_THREAD = Statement("""
SELECT fr.id, fr.feedback, fr.submitted_at, fr.rating, fr.hidden_at, fr.extra, fr.user_id AS writer_id,
    writer.email AS writer_email, req.id AS request_id, req.user_id AS owner_id, owner.email AS owner_email,
    req.media_url, req.genre, g.id AS group_id, g.name AS group_name, g.created_at AS group_created_at,
    g.due_at AS group_due_at
FROM feedback_response fr
JOIN "user" writer ON writer.id = fr.user_id
JOIN feedback_request req ON req.id = fr.request_id
JOIN "user" owner ON owner.id = req.user_id
JOIN feedback_group g ON g.id = fr.group_id
WHERE fr.id = :response
""")

_REPLIES = Statement("""
SELECT r.id, r.author_id, u.email AS author_email, r.text, r.created_at, r.hidden_at
FROM reply r JOIN "user" u ON u.id = r.author_id WHERE r.response_id = :response ORDER BY r.created_at, r.id
""")

_WRITER_HISTORY = Statement("""
SELECT rp.id, rp.reason, rp.state, rp.created_at, rp.response_id, rp.reply_id
FROM report rp WHERE rp.writer_id = :writer ORDER BY rp.created_at DESC, rp.id DESC LIMIT 50
""")


def _item(row: dict[str, Any]) -> dict[str, Any]:
    return {"type": "reply" if row["reply_id"] else "response", "id": row["reply_id"] or row["response_id"]}


def report_payload(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "reason": row["reason"],
        "text": row["text"],
        "state": row["state"],
        "created_at": iso(row["created_at"]),
        "resolved_at": iso(row["resolved_at"]),
        "item": _item(row),
        "reporter": {"id": row["reporter_id"], "email": row["reporter_email"]},
        "writer": {"id": row["writer_id"], "email": row["writer_email"]},
    }


def report_detail(report_id: int) -> dict[str, Any]:
    """A report with its context: the thread, the group, the writer's history (admins only)."""
    row = _REPORT.first(report=report_id)
    if row is None:
        raise NotFound()
    thread = _THREAD.first(response=row["thread_id"])
    assert thread is not None
    return report_payload(row) | {
        "feedback": {
            "id": thread["id"],
            "text": thread["feedback"],
            "submitted_at": iso(thread["submitted_at"]),
            "rating": thread["rating"],
            "hidden": thread["hidden_at"] is not None,
            "extra": bool(thread["extra"]),
            "writer": {"id": thread["writer_id"], "email": thread["writer_email"]},
        },
        "track": {
            "request_id": thread["request_id"],
            "media_url": thread["media_url"],
            "genre": thread["genre"],
            "owner": {"id": thread["owner_id"], "email": thread["owner_email"]},
        },
        "group": {
            "id": thread["group_id"],
            "name": thread["group_name"],
            "created_at": iso(thread["group_created_at"]),
            "due_at": iso(thread["group_due_at"]),
        },
        "replies": [
            {
                "id": reply["id"],
                "author": {"id": reply["author_id"], "email": reply["author_email"]},
                "text": reply["text"],
                "created_at": iso(reply["created_at"]),
                "hidden": reply["hidden_at"] is not None,
            }
            for reply in _REPLIES.rows(response=row["thread_id"])
        ],
        "writer_history": [
            {
                "id": past["id"],
                "reason": past["reason"],
                "state": past["state"],
                "created_at": iso(past["created_at"]),
                "item": _item(past),
            }
            for past in _WRITER_HISTORY.rows(writer=row["writer_id"])
        ],
    }


def resolve(actor: audit.Actor, report_id: int, action: str, note: str) -> dict[str, Any]:
    """Act on a report (see the module's docstring), in one transaction."""
    now = utcnow()
    with database.atomic():
        report = locked(Report.select().where(Report.id == report_id)).first()
        if report is None:
            raise NotFound()
        if report.state != "open":
            raise Conflict("already_resolved", "This report was already resolved.")
        on_item = (Report.reply == report.reply_id) if report.reply_id else (Report.response == report.response_id)
        settled = [r.id for r in Report.select(Report.id).where(on_item & (Report.state == "open"))]
        thread_id = report.response_id or Reply.select(Reply.response).where(Reply.id == report.reply_id).scalar()
        if action in ("hide", "ban"):
            if report.reply_id:
                Reply.update(hidden_at=now).where((Reply.id == report.reply_id) & Reply.hidden_at.is_null()).execute()
            else:
                FeedbackResponse.update(hidden_at=now).where(
                    (FeedbackResponse.id == report.response_id) & FeedbackResponse.hidden_at.is_null()
                ).execute()
        if action == "ban":
            bans.suspend(report.writer_id, note)
        Report.update(state=OUTCOME[action], resolved_at=now, resolved_by_id=actor.id).where(
            Report.id.in_(settled)
        ).execute()
        group_id = FeedbackResponse.select(FeedbackResponse.group).where(FeedbackResponse.id == thread_id).scalar()
        told = notifications.REPORT_DISMISSED if action == "dismiss" else notifications.REPORT_UPHELD
        for (reporter_id,) in sorted(set(tuple_rows(Report.select(Report.reporter).where(Report.id.in_(settled))))):
            notifications.notify(reporter_id, told, group_id=group_id, response_id=thread_id)
        if action == "warn":
            notifications.notify(
                report.writer_id, notifications.MODERATION_WARNING, group_id=group_id, response_id=thread_id
            )
        elif action in ("hide", "ban"):
            notifications.notify(
                report.writer_id, notifications.CONTENT_REMOVED, group_id=group_id, response_id=thread_id
            )
        audit.record(
            actor,
            f"report_{OUTCOME[action]}",
            "report",
            report_id,
            note,
            reports=settled,
            item=_item({"reply_id": report.reply_id, "response_id": report.response_id}),
            writer_id=report.writer_id,
        )
    return report_detail(report_id)


def restore(actor: audit.Actor, report_id: int, note: str) -> dict[str, Any]:
    """Undo a hide: the reported item shows again (the report keeps its outcome; the audit log
    records the restore). Conflict when the item is not hidden."""
    with database.atomic():
        report = locked(Report.select().where(Report.id == report_id)).first()
        if report is None:
            raise NotFound()
        if report.reply_id:
            shown = Reply.update(hidden_at=None).where((Reply.id == report.reply_id) & Reply.hidden_at.is_null(False))
        else:
            shown = FeedbackResponse.update(hidden_at=None).where(
                (FeedbackResponse.id == report.response_id) & FeedbackResponse.hidden_at.is_null(False)
            )
        if not shown.execute():
            raise Conflict("not_hidden", "The reported item is not hidden.")
        audit.record(
            actor,
            "report_restored",
            "report",
            report_id,
            note,
            item=_item({"reply_id": report.reply_id, "response_id": report.response_id}),
            writer_id=report.writer_id,
        )
    return report_detail(report_id)
