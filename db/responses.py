"""Writing feedback, rating it, and the reply threads between a writer and a track's owner.

Who may see a response: its writer always; the owner of the track it is about once it is submitted
and they have written everything they owe in that group. Threads open to the owner only after they
rate the response. Anyone else is told the response does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from peewee import SQL

from db import aspects, deadlines, notifications, response_details, submissions, visibility
from db.accounts import CurrentUser
from db.connection import database, is_postgres
from db.errors import Conflict, Forbidden, NotFound
from db.feedback_form import Submission
from db.groups import ONE_RESPONSE
from db.models import FeedbackResponse, Reply, iso, utcnow
from db.payloads import response_payload
from db.rows import dict_rows
from db.sql import Statement

MAX_MARK = 1000


@dataclass(frozen=True)
class Role:
    response_id: int
    writer_id: int
    owner_id: int
    group_id: int
    request_id: int
    is_writer: bool
    is_owner: bool
    submitted: bool
    rated: bool
    allow_replies: bool
    owner_unlocked: bool
    thread_open: bool
    replies_open: bool
    asked: list[str]  # the focus aspects the track's owner asked about
    track_length_s: int | None

    @property
    def owner_can_read(self) -> bool:
        """The caller owns the track and may read this (submitted) feedback."""
        return self.is_owner and self.submitted and self.owner_unlocked


ROLE = Statement(f"""
SELECT fr.user_id AS writer_id, fr.group_id, fr.request_id, fr.submitted_at, fr.rating, fr.allow_replies, reviewed.user_id AS owner_id,
    reviewed.aspects, reviewed.track_length_s,
    {visibility.unlocked("reviewed.user_id", "fr.group_id")} AS owner_unlocked,
    {visibility.thread_open_to(":user", "fr", owner="reviewed.user_id")} AS thread_open,
    {visibility.replies_open("fr")} AS replies_open
FROM feedback_response fr JOIN feedback_request reviewed ON fr.request_id = reviewed.id
WHERE fr.id = :response
""")


def _role(user_id: int, response_id: int) -> Role:
    row = ROLE.first(user=user_id, response=response_id)
    if row is None or user_id not in (row["writer_id"], row["owner_id"]):
        raise NotFound()
    is_owner = row["owner_id"] == user_id
    return Role(
        response_id=response_id,
        writer_id=row["writer_id"],
        owner_id=row["owner_id"],
        group_id=row["group_id"],
        request_id=row["request_id"],
        is_writer=row["writer_id"] == user_id,
        is_owner=is_owner,
        submitted=row["submitted_at"] is not None,
        rated=row["rating"] is not None,
        allow_replies=bool(row["allow_replies"]),
        owner_unlocked=is_owner and bool(row["owner_unlocked"]),
        thread_open=bool(row["thread_open"]),
        replies_open=bool(row["replies_open"]),
        asked=aspects.parsed(row["aspects"]),
        track_length_s=row["track_length_s"],
    )


def _payload(user_id: int, response_id: int, as_owner: bool) -> dict[str, Any]:
    row = ONE_RESPONSE.first(user=user_id, response=response_id)
    assert row is not None
    parts = response_details.read(response_details.ONE, user_id, response=response_id)
    return response_payload(row, as_owner, parts[response_id])


def submit_response(user: CurrentUser, response_id: int, submission: Submission) -> dict[str, Any]:
    """Store the feedback, its aspect answers and its marks in one transaction, once. Feedback the
    effort gate refuses is not stored; the refusal is (db/effort.py)."""
    with database.atomic():
        role = _role(user.id, response_id)
        if not role.is_writer:
            if role.owner_can_read:
                raise Forbidden("forbidden", "Only the writer of this feedback can change it.")
            raise NotFound()
        if role.submitted:
            raise submissions.ALREADY_SUBMITTED
        target = submissions.Target(role.request_id, role.asked, role.track_length_s)
        checked = submissions.check(user.id, target, submission)
        if isinstance(checked, submissions.Checked):
            submissions.store(response_id, checked)
            _after_submission(user.id, response_id)
            return _payload(user.id, response_id, as_owner=False)
    raise checked.error()  # after the transaction, which keeps the record of the refusal


AFTER_SUBMISSION = Statement(f"""
SELECT reviewed.user_id AS owner_id, reviewed.id AS request_id, fr.group_id,
    (SELECT COUNT(*) FROM feedback_response got WHERE got.request_id = reviewed.id AND got.submitted_at IS NOT NULL)
        AS received,
    {visibility.unlocked("reviewed.user_id", "fr.group_id")} AS owner_unlocked,
    {visibility.unlocked(":writer", "fr.group_id")} AS writer_unlocked,
    mine.id AS writer_request,
    (SELECT COUNT(*) FROM feedback_response got WHERE got.request_id = mine.id AND got.submitted_at IS NOT NULL)
        AS writer_received
FROM feedback_response fr JOIN feedback_request reviewed ON fr.request_id = reviewed.id
LEFT JOIN feedback_request mine ON mine.group_id = fr.group_id AND mine.user_id = :writer AND mine.media_url IS NOT NULL
WHERE fr.id = :response
""")


def _after_submission(writer_id: int, response_id: int) -> None:
    """The owner hears of new feedback (a count; which one only once they may read it). If that was
    the last the writer owed in the group, on time it clears their oldest strike, and they hear that
    the feedback on their own track is unlocked."""
    row = AFTER_SUBMISSION.first(writer=writer_id, response=response_id)
    assert row is not None
    if row["writer_unlocked"]:
        deadlines.clear_on_completion(writer_id, row["group_id"], utcnow())
    notifications.notify(
        row["owner_id"],
        notifications.FEEDBACK_RECEIVED,
        group_id=row["group_id"],
        request_id=row["request_id"],
        response_id=response_id if row["owner_unlocked"] else None,
        count=int(row["received"]),
    )
    if row["writer_unlocked"] and row["writer_request"] is not None:
        notifications.notify(
            writer_id,
            notifications.FEEDBACK_UNLOCKED,
            group_id=row["group_id"],
            request_id=row["writer_request"],
            count=int(row["writer_received"]),
        )


def rate_response(user: CurrentUser, response_id: int, rating: int) -> dict[str, Any]:
    with database.atomic():
        role = _role(user.id, response_id)
        if not role.is_owner:
            raise Forbidden("forbidden", "Only the owner of the track can rate its feedback.")
        if not role.owner_unlocked:
            raise Conflict("feedback_locked", "Write all the feedback you owe in this group first.")
        if not role.submitted:
            raise Conflict("not_submitted", "This feedback has not been submitted yet.")
        updated = (
            FeedbackResponse.update(rating=rating, rated_at=utcnow())
            .where(
                (FeedbackResponse.id == response_id)
                & FeedbackResponse.rating.is_null()
                & FeedbackResponse.submitted_at.is_null(False)
            )
            .execute()
        )
        if not updated:
            raise Conflict("already_rated", "You already rated this feedback.")
        return _payload(user.id, response_id, as_owner=True)


def _thread_role(user_id: int, response_id: int) -> Role:
    role = _role(user_id, response_id)
    if role.thread_open:
        return role
    if role.owner_can_read:
        # The owner knows this feedback exists; the thread opens once they rate it.
        raise Conflict("rate_first", "Rate this feedback to open its thread.")
    raise NotFound()


def _reply_payload(reply: dict[str, Any], user_id: int) -> dict[str, Any]:
    return {
        "id": reply["id"],
        "author": "you" if reply["author"] == user_id else "them",
        "text": "" if reply["hidden_at"] else reply["text"],
        "removed_by_moderator": reply["hidden_at"] is not None,
        "allow_replies": bool(reply["allow_replies"]),
        "created_at": iso(reply["created_at"]),
        "read_at": iso(reply["read_at"]),
    }


def _thread(response_id: int) -> list[dict[str, Any]]:
    return dict_rows(
        Reply.select(
            Reply.id, Reply.author, Reply.text, Reply.allow_replies, Reply.created_at, Reply.read_at, Reply.hidden_at
        )
        .where(Reply.response == response_id)
        .order_by(Reply.created_at, Reply.id)
    )


REPLIES_OPEN = Statement(
    f"SELECT {visibility.replies_open('fr')} AS open FROM feedback_response fr WHERE fr.id = :response"
)


def list_replies(user: CurrentUser, response_id: int) -> dict[str, Any]:
    role = _thread_role(user.id, response_id)
    thread = _thread(response_id)
    return {
        "replies": [_reply_payload(reply, user.id) for reply in thread],
        "allow_further_replies": role.replies_open,
    }


def create_reply(user: CurrentUser, response_id: int, text: str, allow_replies: bool) -> dict[str, Any]:
    with database.atomic():
        role = _thread_role(user.id, response_id)
        if is_postgres():
            # Lock the response row so two replies cannot both pass the "still open" check.
            FeedbackResponse.select(FeedbackResponse.id).where(
                FeedbackResponse.id == response_id
            ).for_update().execute()
        still_open = REPLIES_OPEN.first(response=response_id)
        if not (still_open and still_open["open"]):
            raise Conflict("replies_closed", "This conversation is closed to further replies.")
        reply = Reply.create(response=response_id, author=user.id, text=text, allow_replies=allow_replies)
        # The other person hears of it when the thread is open to them (the owner: once they rated).
        if role.is_owner or role.rated:
            recipient = role.writer_id if role.is_owner else role.owner_id
            notifications.notify(recipient, notifications.REPLY, group_id=role.group_id, response_id=response_id)
        return _reply_payload(
            {
                "id": reply.id,
                "author": user.id,
                "text": text,
                "allow_replies": allow_replies,
                "created_at": reply.created_at,
                "read_at": None,
                "hidden_at": None,
            },
            user.id,
        )


def mark_read(user: CurrentUser, reply_ids: list[int]) -> int:
    """Mark replies read; only those by the other person on threads open to the caller."""
    ids = sorted(set(reply_ids))[:MAX_MARK]
    if not ids:
        return 0
    me = str(int(user.id))  # an integer, so safe to write into the SQL text
    markable = SQL(
        f"{visibility.unread_by(me, 'reply')} AND EXISTS (SELECT 1 FROM feedback_response fr "
        f"WHERE fr.id = reply.response_id AND {visibility.thread_open_to(me, 'fr')})"
    )
    with database.atomic():
        return int(Reply.update(read_at=utcnow()).where(Reply.id.in_(ids) & markable).execute())
