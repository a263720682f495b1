"""Group deadlines: when feedback is due, the last call, strikes at the deadline (time injected,
never waited for), what strikes cost (no tracks with two; grouped together) and how they end."""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from typing import Any

from starlette.testclient import TestClient

from db import deadlines
from db.connection import database
from db.group_planning import Candidate, plan_groups
from db.models import FeedbackGroup, FeedbackRequest, FeedbackResponse, Notification, Strike, User, utcnow
from jobs.assign_groups import assign_groups
from jobs.enforce_deadlines import enforce_deadlines
from jobs.runner import execute
from settings import Settings
from tests.builders import bearer, feedback_text, make_group, make_request, make_user, soundcloud_url, submit

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def _due(group_id: int) -> datetime:
    with database.connection_context():
        return FeedbackGroup.get_by_id(group_id).due_at  # type: ignore[no-any-return]


def _notified(user: User, kind: str) -> int:
    with database.connection_context():
        return Notification.select().where((Notification.user == user.id) & (Notification.kind == kind)).count()


def _strikes(user: User) -> list[tuple[int, str, Any]]:
    with database.connection_context():
        return [(s.group_id, s.kind, s.cleared_at) for s in Strike.select().where(Strike.user == user.id)]


def _strike(user: User, group_id: int, given: datetime, kind: str = deadlines.NO_SHOW) -> None:
    with database.connection_context():
        Strike.create(user=user, group=group_id, kind=kind, created_at=given, expires_at=given + 30 * DAY)


def test_a_group_is_due_the_configured_hours_after_it_forms(db: str, settings: Settings, client: TestClient) -> None:
    users = [make_user() for _ in range(3)]
    for user in users:
        make_request(user)
    execute("assign_groups", lambda: assign_groups(settings.with_changes(group_deadline_hours=48)))
    summary = client.get("/api/v1/groups", headers=bearer(settings, users[0])).json()["items"][0]
    formed = datetime.fromisoformat(summary["created_at"].rstrip("Z"))
    assert datetime.fromisoformat(summary["due_at"].rstrip("Z")) - formed == dt.timedelta(hours=48)
    group = client.get(f"/api/v1/groups/{summary['id']}", headers=bearer(settings, users[0])).json()["group"]
    assert group["due_at"] == summary["due_at"]


def test_the_last_call_goes_once_to_those_who_still_owe(db: str, settings: Settings) -> None:
    group = make_group(n=3)
    done, owes, owes_too = group.users
    for response in group.to_review(done):
        submit(response)
    due = _due(group.group.id)
    status, result = execute("enforce_deadlines", lambda: enforce_deadlines(settings, due - 13 * HOUR))
    assert status == 0 and result.counts["last_calls"] == 0  # not yet
    status, result = execute("enforce_deadlines", lambda: enforce_deadlines(settings, due - 11 * HOUR))
    assert result.counts["last_calls"] == 2 and result.counts["groups_closed"] == 0
    assert (_notified(done, "last_call"), _notified(owes, "last_call"), _notified(owes_too, "last_call")) == (0, 1, 1)
    status, result = execute("enforce_deadlines", lambda: enforce_deadlines(settings, due - 10 * HOUR))
    assert result.counts["last_calls"] == 0


def test_at_the_deadline_no_shows_and_partial_writers_get_strikes_once(db: str, settings: Settings) -> None:
    group = make_group(n=4)
    done, partial, no_show, _ = group.users
    for response in group.to_review(done):
        submit(response)
    submit(group.to_review(partial)[0])
    for response in group.to_review(group.users[3]):
        submit(response)
    due = _due(group.group.id)
    status, result = execute("enforce_deadlines", lambda: enforce_deadlines(settings, due - HOUR))
    assert result.counts["groups_closed"] == 0 and _strikes(no_show) == []
    status, result = execute("enforce_deadlines", lambda: enforce_deadlines(settings, due + HOUR))
    assert status == 0 and result.counts == result.counts | {"groups_closed": 1, "no_show": 1, "partial": 1}
    assert _strikes(no_show) == [(group.group.id, "no_show", None)]
    assert _strikes(partial) == [(group.group.id, "partial", None)]
    assert _strikes(done) == []
    assert _notified(no_show, "strike") == 1 and _notified(done, "strike") == 0
    status, result = execute("enforce_deadlines", lambda: enforce_deadlines(settings, due + 2 * HOUR))
    assert result.counts["groups_closed"] == 0 and len(_strikes(no_show)) == 1


def test_standing_lists_active_strikes_until_they_expire(db: str, settings: Settings, client: TestClient) -> None:
    user = make_user()
    old, recent = make_group(n=2, users=[user, make_user()]), make_group(n=2, users=[user, make_user()])
    _strike(user, old.group.id, utcnow() - 31 * DAY)  # expired
    _strike(user, recent.group.id, utcnow() - DAY, deadlines.PARTIAL)
    standing = client.get("/api/v1/me", headers=bearer(settings, user)).json()["user"]["standing"]
    assert [(s["group_id"], s["kind"]) for s in standing["strikes"]] == [(recent.group.id, "partial")]
    assert standing["may_submit_tracks"] is True and "30 days" in standing["how_to_clear"]
    clean = client.get("/api/v1/me", headers=bearer(settings, make_user())).json()["user"]["standing"]
    assert clean["strikes"] == [] and clean["may_submit_tracks"] is True


def test_two_active_strikes_refuse_tracks_but_not_feedback(db: str, settings: Settings, client: TestClient) -> None:
    user = make_user()
    first, second = make_group(n=2, users=[user, make_user()]), make_group(n=2, users=[user, make_user()])
    _strike(user, first.group.id, utcnow() - 2 * DAY)
    _strike(user, second.group.id, utcnow() - DAY)
    headers = bearer(settings, user)
    tracked = {"media_url": soundcloud_url(), "genre": "electronic", "feedback_prompt": ""}
    refused = client.post("/api/v1/feedback-requests", headers=headers, json=tracked)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "too_many_strikes"
    assert (utcnow() + 28 * DAY).date().isoformat() in refused.json()["error"]["message"]  # the first to expire
    trackless = client.post("/api/v1/feedback-requests", headers=headers, json={"genre": "electronic"})
    assert trackless.status_code == 201
    request_id = trackless.json()["request"]["id"]
    made_tracked = client.patch(f"/api/v1/feedback-requests/{request_id}", headers=headers, json=tracked)
    assert made_tracked.status_code == 409 and made_tracked.json()["error"]["code"] == "too_many_strikes"
    standing = client.get("/api/v1/me", headers=headers).json()["user"]["standing"]
    assert standing["may_submit_tracks"] is False and len(standing["strikes"]) == 2


def test_writing_everything_on_time_clears_the_oldest_strike(db: str, settings: Settings, client: TestClient) -> None:
    user = make_user()
    missed, later = make_group(n=2, users=[user, make_user()]), make_group(n=3, users=[user, make_user(), make_user()])
    _strike(user, missed.group.id, utcnow() - DAY)
    mine = later.to_review(user)
    client.put(
        f"/api/v1/responses/{mine[0].id}",
        headers=bearer(settings, user),
        json={"feedback": feedback_text(), "allow_replies": True},
    )
    assert _strikes(user)[0][2] is None  # one of two written: not yet
    client.put(
        f"/api/v1/responses/{mine[1].id}",
        headers=bearer(settings, user),
        json={"feedback": feedback_text(), "allow_replies": True},
    )
    assert _strikes(user)[0][2] is not None


def test_writing_everything_late_clears_nothing(db: str, settings: Settings, client: TestClient) -> None:
    user = make_user()
    missed, late = make_group(n=2, users=[user, make_user()]), make_group(n=2, users=[user, make_user()])
    _strike(user, missed.group.id, utcnow() - DAY)
    with database.connection_context():
        FeedbackGroup.update(due_at=utcnow() - HOUR).where(FeedbackGroup.id == late.group.id).execute()
    [owed] = late.to_review(user)
    client.put(
        f"/api/v1/responses/{owed.id}",
        headers=bearer(settings, user),
        json={"feedback": feedback_text(), "allow_replies": True},
    )
    assert _strikes(user)[0][2] is None


def _candidate(index: int, struck: bool, tracked: bool = True) -> Candidate:
    return Candidate(index, index, tracked, "electronic", datetime(2026, 1, 1), 4.0 if index % 2 else 2.0, struck)


def test_struck_members_are_grouped_with_each_other() -> None:
    candidates = [_candidate(i, struck=i in (2, 5, 7, 8)) for i in range(1, 9)]
    candidates.append(_candidate(20, struck=True, tracked=False))
    groups, _ = plan_groups(candidates)
    assert [len(group.tracked) for group in groups] == [4, 4]  # the size rule holds
    struck_group = next(group for group in groups if any(c.struck for c in group.tracked))
    assert {c.id for c in struck_group.tracked} == {2, 5, 7, 8}
    assert [c.id for c in struck_group.trackless] == [20]


def test_the_grouping_job_groups_struck_members_together(db: str, settings: Settings) -> None:
    users = [make_user() for _ in range(8)]
    struck = users[::2]
    history = make_group(n=4, users=struck)
    for user in struck:
        _strike(user, history.group.id, utcnow() - DAY)
    for user in users:
        make_request(user)
    execute("assign_groups", lambda: assign_groups(settings))
    with database.connection_context():
        placed = {
            r.user_id: r.group_id
            for r in FeedbackRequest.select().where(
                FeedbackRequest.group.is_null(False) & (FeedbackRequest.group != history.group.id)
            )
        }
        assert FeedbackResponse.select().count() > 0
    assert len({placed[u.id] for u in struck}) == 1
    assert not {placed[u.id] for u in struck} & {placed[u.id] for u in users[1::2]}
