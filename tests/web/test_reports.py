"""Reports and moderation: who may report what (once), the queue and an item's context, each
action's effect (hidden text, ratings, notifications, the audit log), on both backends; twenty
simultaneous identical reports on PostgreSQL."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from db.connection import database
from db.models import AuditLog, FeedbackResponse, Notification, Report, User
from jobs.calculate_user_ratings import calculate_user_ratings
from settings import Settings
from tests.builders import GroupFixture, add_reply, bearer, make_group, make_user, rate, submit
from tests.web.conftest import simultaneously

REPORTS = "/api/v1/reports"


def readable_review(n: int = 3) -> tuple[GroupFixture, User, User, FeedbackResponse]:
    """A group where `owner` wrote all they owe and may read `writer`'s submitted review."""
    group = make_group(n=n)
    owner, writer = group.users[0], group.users[1]
    for response in group.to_review(owner):
        submit(response)
    review = group.response(writer, owner)
    submit(review, "Too long, didn't listen.")
    return group, owner, writer, review


def report(client: TestClient, settings: Settings, user: User, **body: Any) -> httpx.Response:
    return client.post(REPORTS, json={"reason": "low_effort", **body}, headers=bearer(settings, user))


def admin_headers(settings: Settings) -> dict[str, str]:
    return bearer(settings, make_user(is_admin=True))


def test_the_owner_reports_feedback_they_can_read_once(anon: TestClient, settings: Settings) -> None:
    _, owner, writer, review = readable_review()
    first = report(anon, settings, owner, response_id=review.id, text="One line, no detail")
    assert first.status_code == 201 and first.json()["state"] == "open"
    again = report(anon, settings, owner, response_id=review.id, reason="spam")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_reported"
    with database.connection_context():
        stored = Report.get_by_id(first.json()["id"])
        assert (stored.reporter_id, stored.writer_id, stored.reason) == (owner.id, writer.id, "low_effort")
    assert set(first.json()) == {"id", "reason", "state", "created_at"}  # nothing of the writer


def test_nobody_reports_what_they_cannot_read(anon: TestClient, settings: Settings) -> None:
    group, owner, writer, review = readable_review(n=4)
    third = group.users[2]
    locked = group.response(owner, third)  # third has not written what they owe: feedback is locked to them
    for user, response_id in ((writer, review.id), (third, review.id), (make_user(), review.id), (third, locked.id)):
        answer = report(anon, settings, user, response_id=response_id)
        assert answer.status_code == 404, (user.email, answer.text)
    both = report(anon, settings, owner, response_id=review.id, reply_id=1)
    neither = report(anon, settings, owner)
    assert both.status_code == neither.status_code == 422


def test_a_reply_is_reported_by_the_other_person_on_its_thread(anon: TestClient, settings: Settings) -> None:
    group, owner, writer, review = readable_review()
    rate(review, 2)
    theirs = add_reply(review, writer, "Whatever, your mix is bad anyway")
    mine = add_reply(review, owner, "Could you say more?")
    assert report(anon, settings, owner, reply_id=theirs.id, reason="abusive").status_code == 201
    assert report(anon, settings, owner, reply_id=mine.id).status_code == 404  # your own reply
    assert report(anon, settings, group.users[2], reply_id=theirs.id).status_code == 404  # not your thread


def test_twenty_simultaneous_identical_reports_make_one(pg_settings: Settings) -> None:
    _, owner, _, review = readable_review()
    body = {"response_id": review.id, "reason": "spam"}
    answers = simultaneously(pg_settings, "POST", REPORTS, json=body, headers=bearer(pg_settings, owner))
    assert Counter(answer.status_code for answer in answers) == {201: 1, 409: 19}
    with database.connection_context():
        assert Report.select().count() == 1


def test_the_queue_is_oldest_first_and_an_item_opens_with_its_context(anon: TestClient, settings: Settings) -> None:
    group, owner, writer, review = readable_review()
    rate(review, 1)
    reply = add_reply(review, writer, "Spam spam spam")
    first = report(anon, settings, owner, response_id=review.id).json()["id"]
    second = report(anon, settings, owner, reply_id=reply.id, reason="spam").json()["id"]
    headers = admin_headers(settings)
    queue = anon.get("/api/v1/admin/reports", params={"state": "open"}, headers=headers).json()
    assert [item["id"] for item in queue["items"]] == [first, second]
    assert queue["items"][1]["excerpt"] == "Spam spam spam" and queue["items"][1]["item"]["type"] == "reply"
    spam = anon.get("/api/v1/admin/reports", params={"reason": "spam"}, headers=headers).json()
    assert [item["id"] for item in spam["items"]] == [second]
    detail = anon.get(f"/api/v1/admin/reports/{second}", headers=headers).json()["report"]
    assert detail["writer"]["email"] == writer.email and detail["reporter"]["email"] == owner.email
    assert detail["feedback"]["text"] == "Too long, didn't listen." and detail["group"]["id"] == group.group.id
    assert [r["text"] for r in detail["replies"]] == ["Spam spam spam"]
    assert {past["id"] for past in detail["writer_history"]} == {first, second}


def test_hiding_removes_the_text_for_the_owner_and_tells_both_sides(anon: TestClient, settings: Settings) -> None:
    group, owner, writer, review = readable_review()
    report_id = report(anon, settings, owner, response_id=review.id).json()["id"]
    headers = admin_headers(settings)
    answer = anon.post(
        f"/api/v1/admin/reports/{report_id}/resolve", json={"action": "hide", "note": "empty"}, headers=headers
    )
    assert answer.status_code == 200 and answer.json()["report"]["state"] == "hidden"
    again = anon.post(
        f"/api/v1/admin/reports/{report_id}/resolve", json={"action": "dismiss", "note": "again"}, headers=headers
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_resolved"
    seen = anon.get(f"/api/v1/groups/{group.group.id}", headers=bearer(settings, owner)).json()["group"]
    [received] = [r for r in seen["received"] if r["id"] == review.id]
    assert received["feedback"] == "" and received["removed_by_moderator"] is True
    with database.connection_context():
        told = {(n.user_id, n.kind) for n in Notification.select() if n.kind.startswith(("report", "content"))}
        assert told == {(owner.id, "report_upheld"), (writer.id, "content_removed")}
        entries = list(AuditLog.select())
    assert [(e.action, e.target_type, e.target_id, e.reason) for e in entries] == [
        ("report_hidden", "report", report_id, "empty")
    ]


def test_one_action_settles_every_open_report_on_the_item(anon: TestClient, settings: Settings) -> None:
    _, owner, writer, review = readable_review()
    rate(review, 2)
    reply = add_reply(review, writer, "rude words")
    first = report(anon, settings, owner, reply_id=reply.id, reason="abusive").json()["id"]
    with database.connection_context():  # a second report of the same reply (by an earlier co-owner, say)
        other = make_user()
        Report.create(reporter=other.id, reply=reply.id, writer=writer.id, reason="abusive")
    headers = admin_headers(settings)
    anon.post(f"/api/v1/admin/reports/{first}/resolve", json={"action": "warn", "note": "be kind"}, headers=headers)
    with database.connection_context():
        assert {r.state for r in Report.select()} == {"warned"}
        assert Notification.select().where(Notification.kind == "moderation_warning").count() == 1
        assert Notification.select().where(Notification.kind == "report_upheld").count() == 2
        assert AuditLog.select().count() == 1


def test_hidden_feedback_no_longer_counts_for_its_writers_rating(anon: TestClient, settings: Settings) -> None:
    writer = make_user()
    reviews = []
    for _ in range(4):
        group = make_group(n=2, users=[make_user(), writer])
        owner = group.users[0]
        for response in group.to_review(owner):
            submit(response)
        review = group.response(writer, owner)
        submit(review)
        rate(review, 5 if len(reviews) < 3 else 1)
        reviews.append((owner, review))
    with database.connection_context():
        calculate_user_ratings()
        assert User.get_by_id(writer.id).rating == pytest.approx(4.0)
    owner, low = reviews[-1]
    report_id = report(anon, settings, owner, response_id=low.id).json()["id"]
    anon.post(
        f"/api/v1/admin/reports/{report_id}/resolve",
        json={"action": "hide", "note": "abusive"},
        headers=admin_headers(settings),
    )
    with database.connection_context():
        calculate_user_ratings()
        assert User.get_by_id(writer.id).rating == pytest.approx(5.0)


def test_a_hidden_reply_shows_as_removed_in_the_thread(anon: TestClient, settings: Settings) -> None:
    _, owner, writer, review = readable_review()
    rate(review, 3)
    reply = add_reply(review, writer, "nasty")
    report_id = report(anon, settings, owner, reply_id=reply.id, reason="abusive").json()["id"]
    anon.post(
        f"/api/v1/admin/reports/{report_id}/resolve",
        json={"action": "hide", "note": "abusive"},
        headers=admin_headers(settings),
    )
    for user in (owner, writer):
        thread = anon.get(f"/api/v1/responses/{review.id}/replies", headers=bearer(settings, user)).json()
        assert [(r["text"], r["removed_by_moderator"]) for r in thread["replies"]] == [("", True)]


def test_twenty_simultaneous_resolutions_act_once(pg_settings: Settings) -> None:
    _, owner, writer, review = readable_review()
    admin = make_user(is_admin=True)
    with database.connection_context():
        report_id = Report.create(reporter=owner.id, response=review.id, writer=writer.id, reason="spam").id
    url, body = f"/api/v1/admin/reports/{report_id}/resolve", {"action": "ban", "note": "spam"}
    answers = simultaneously(pg_settings, "POST", url, json=body, headers=bearer(pg_settings, admin))
    assert Counter(answer.status_code for answer in answers) == {200: 1, 409: 19}
    with database.connection_context():
        assert AuditLog.select().count() == 1
        assert Notification.select().where(Notification.kind == "report_upheld").count() == 1
        assert User.get_by_id(writer.id).banned_at is not None


def test_a_ban_from_the_queue_refuses_an_admin_or_someone_already_banned(anon: TestClient, settings: Settings) -> None:
    headers = admin_headers(settings)
    _, owner, writer, review = readable_review()
    with database.connection_context():
        User.update(is_admin=True).where(User.id == writer.id).execute()
    report_id = report(anon, settings, owner, response_id=review.id).json()["id"]
    url, ban = f"/api/v1/admin/reports/{report_id}/resolve", {"action": "ban", "note": "abuse"}
    refused = anon.post(url, json=ban, headers=headers)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "cannot_ban_admin"
    with database.connection_context():
        User.update(is_admin=False).where(User.id == writer.id).execute()
    assert anon.post(f"/api/v1/admin/users/{writer.id}/ban", json={"reason": "x"}, headers=headers).status_code == 200
    again = anon.post(url, json=ban, headers=headers)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_banned"
    hidden = anon.post(url, json={"action": "hide", "note": "abusive"}, headers=headers)  # what is left to do
    assert hidden.status_code == 200 and hidden.json()["report"]["state"] == "hidden"


def test_every_resolution_needs_a_note_for_the_audit_log(anon: TestClient, settings: Settings) -> None:
    _, owner, _, review = readable_review()
    report_id = report(anon, settings, owner, response_id=review.id).json()["id"]
    for action in ("dismiss", "hide", "warn", "ban"):
        for body in ({"action": action}, {"action": action, "note": "   "}):
            answer = anon.post(f"/api/v1/admin/reports/{report_id}/resolve", json=body, headers=admin_headers(settings))
            assert answer.status_code == 422 and "note" in answer.json()["error"]["fields"]


def test_a_hide_can_be_undone_and_the_undo_is_audited(anon: TestClient, settings: Settings) -> None:
    group, owner, writer, review = readable_review()
    report_id = report(anon, settings, owner, response_id=review.id).json()["id"]
    headers = admin_headers(settings)
    restore = f"/api/v1/admin/reports/{report_id}/restore"
    early = anon.post(restore, json={"note": "nothing hidden yet"}, headers=headers)
    assert early.status_code == 409 and early.json()["error"]["code"] == "not_hidden"
    resolve = f"/api/v1/admin/reports/{report_id}/resolve"
    assert anon.post(resolve, json={"action": "hide", "note": "rude"}, headers=headers).status_code == 200
    assert anon.post(restore, json={}, headers=headers).status_code == 422  # the note is needed
    undone = anon.post(restore, json={"note": "read it again: it was fair"}, headers=headers)
    assert undone.status_code == 200 and undone.json()["report"]["feedback"]["hidden"] is False
    seen = anon.get(f"/api/v1/groups/{group.group.id}", headers=bearer(settings, owner)).json()["group"]
    [received] = [r for r in seen["received"] if r["id"] == review.id]
    assert received["removed_by_moderator"] is False and received["feedback"]
    log = anon.get("/api/v1/admin/audit-log", headers=headers).json()["items"]
    assert [(e["action"], e["reason"]) for e in log][:2] == [
        ("report_restored", "read it again: it was fair"),
        ("report_hidden", "rude"),
    ]
    assert anon.post(restore, json={"note": "twice"}, headers=bearer(settings, writer)).status_code == 404
