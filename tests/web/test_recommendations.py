"""Tracks that need feedback: the pool at the deadline, the nightly recommendations (exclusions and
the preference for overlap), the per-day route, and extra feedback on a recommended track."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from starlette.testclient import TestClient

from db.connection import database
from db.models import FeedbackGroup, FeedbackResponse, NeedsFeedback, Notification, Recommendation, Strike, User, utcnow
from jobs.calculate_user_ratings import calculate_user_ratings
from jobs.enforce_deadlines import enforce_deadlines
from jobs.recommend_tracks import recommend_tracks
from jobs.runner import execute
from settings import Settings
from tests.builders import GroupFixture, bearer, feedback_text, make_group, make_request, make_user, submit
from tests.web.conftest import simultaneously

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def _close(settings: Settings, group: GroupFixture) -> dt.datetime:
    with database.connection_context():
        due = FeedbackGroup.get_by_id(group.group.id).due_at
    status, _ = execute("enforce_deadlines", lambda: enforce_deadlines(settings, due + HOUR))
    assert status == 0
    return due + HOUR  # type: ignore[no-any-return]


def _pool() -> dict[int, int]:
    with database.connection_context():
        return {row.request_id: row.missing for row in NeedsFeedback.select()}


def _recommended(user: User, day: dt.date) -> list[int]:
    with database.connection_context():
        rows = Recommendation.select().where((Recommendation.user == user.id) & (Recommendation.day == day.isoformat()))
        return [row.request_id for row in rows.order_by(Recommendation.rank)]


def _short_group(n: int = 4) -> tuple[GroupFixture, User]:
    """A group where the first member wrote all they owed and got only one review."""
    group = make_group(n=n)
    owner, generous, *_ = group.users
    for response in group.to_review(owner):
        submit(response)
    submit(group.response(generous, owner))
    return group, owner


def test_at_the_deadline_short_tracks_of_those_who_wrote_their_share_enter_the_pool(
    db: str, settings: Settings
) -> None:
    group, owner = _short_group()
    closed = _close(settings, group)
    assert _pool() == {group.requests[owner.id].id: 2}  # the others wrote nothing: not theirs
    # Fourteen days later the track leaves the pool.
    execute("recommend_tracks", lambda: recommend_tracks(settings, closed + 13 * DAY))
    assert _pool() != {}
    execute("recommend_tracks", lambda: recommend_tracks(settings, closed + 15 * DAY))
    assert _pool() == {}


def test_recommendations_exclude_own_reviewed_and_same_group_tracks(db: str, settings: Settings) -> None:
    group, owner = _short_group()
    track = group.requests[owner.id].id
    now = _close(settings, group)
    outsider, idle = make_user(), make_user()
    make_request(outsider, created_at=now - DAY)  # active: asked for feedback lately
    execute("recommend_tracks", lambda: recommend_tracks(settings, now))
    assert _recommended(outsider, now.date()) == [track]
    assert _recommended(idle, now.date()) == []  # not active
    for member in group.users:  # the owner, those who reviewed it, and the rest of its group
        assert track not in _recommended(member, now.date())


def test_recommendations_prefer_tracks_that_co_reviewers_reviewed(db: str, settings: Settings) -> None:
    me, neighbour = make_user(), make_user()
    shared = make_group(n=3, users=[make_user(), me, neighbour])
    submit(shared.response(me, shared.users[0]))
    submit(shared.response(neighbour, shared.users[0]))
    near_group, near_owner = _short_group()
    far_group, far_owner = _short_group()
    # The neighbour reviewed the near track elsewhere (as extra feedback, say).
    with database.connection_context():
        FeedbackResponse.create(
            request=near_group.requests[near_owner.id].id,
            user=neighbour,
            group=near_group.group.id,
            feedback="x",
            submitted_at=utcnow(),
            extra=True,
        )
    now = _close(settings, near_group)
    _close(settings, far_group)
    with database.connection_context():
        NeedsFeedback.update(missing=2).execute()  # equal need: fit decides
    make_request(me, created_at=now - DAY)
    execute("recommend_tracks", lambda: recommend_tracks(settings, now))
    assert _recommended(me, now.date())[:2] == [
        near_group.requests[near_owner.id].id,
        far_group.requests[far_owner.id].id,
    ]


def _day(client: TestClient, settings: Settings, user: User, **params: Any) -> Any:
    return client.get("/api/v1/me/recommendations", headers=bearer(settings, user), params=params)


def test_the_route_gives_a_days_list_empty_days_and_refuses_future_ones(client: TestClient, settings: Settings) -> None:
    group, owner = _short_group()
    now = _close(settings, group)
    reader = make_user()
    make_request(reader, created_at=now - DAY)
    today = utcnow()
    execute("recommend_tracks", lambda: recommend_tracks(settings, today))
    answer = _day(client, settings, reader).json()
    assert answer["date"] == today.date().isoformat()
    [item] = answer["items"]
    assert item["rank"] == 1 and item["request"]["id"] == group.requests[owner.id].id and item["missing"] == 2
    assert item["my_feedback"] is None and "email_when_grouped" not in item["request"]
    past = _day(client, settings, reader, date=(today - 3 * DAY).date().isoformat())
    assert past.status_code == 200 and past.json() == {"date": (today - 3 * DAY).date().isoformat(), "items": []}
    assert _day(client, settings, reader, date=today.date().isoformat()).json() == answer
    for bad in ((today + DAY).date().isoformat(), "yesterday", "2026-13-01"):
        refused = _day(client, settings, reader, date=bad)
        assert refused.status_code == 422 and refused.json()["error"]["code"] == "validation_error"


def test_extra_feedback_reaches_the_owner_at_once_and_counts(client: TestClient, settings: Settings) -> None:
    group, owner = _short_group()
    track = group.requests[owner.id].id
    now = _close(settings, group)
    writer, second = make_user(), make_user()
    for user in (writer, second):
        make_request(user, created_at=now - DAY)
    with database.connection_context():
        old = make_group(n=2, users=[writer, make_user()])
        Strike.create(
            user=writer, group=old.group.id, kind="no_show", created_at=utcnow(), expires_at=utcnow() + 9 * DAY
        )
    execute("recommend_tracks", lambda: recommend_tracks(settings, utcnow()))
    body = {"feedback": feedback_text("The chorus needs more air."), "allow_replies": True}
    url = f"/api/v1/feedback-requests/{track}/extra-feedback"
    written = client.post(url, headers=bearer(settings, writer), json=body)
    assert written.status_code == 201
    response_id = written.json()["response_id"]
    received = client.get(f"/api/v1/groups/{group.group.id}", headers=bearer(settings, owner)).json()["group"][
        "received"
    ]
    assert body["feedback"] in [item["feedback"] for item in received]
    rated = client.put(f"/api/v1/responses/{response_id}/rating", headers=bearer(settings, owner), json={"rating": 5})
    assert rated.status_code == 200
    again = client.post(url, headers=bearer(settings, writer), json=body)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_submitted"
    assert _pool() == {track: 1}
    with database.connection_context():
        assert Strike.get(Strike.user == writer.id).cleared_at is not None
        assert (
            Notification.select()
            .where((Notification.user == owner.id) & (Notification.response_id == response_id))
            .exists()
        )
    mine = _day(client, settings, writer).json()["items"][0]
    assert mine["my_feedback"] == body["feedback"]
    # The second writer meets the need; after that the track needs nothing more.
    assert client.post(url, headers=bearer(settings, second), json=body).status_code == 201
    assert _pool() == {}
    late = make_user()
    with database.connection_context():
        Recommendation.create(user=late, day=utcnow().date().isoformat(), rank=1, request=track, score=1)
    refused = client.post(url, headers=bearer(settings, late), json=body)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "no_longer_needed"


def test_extra_feedback_needs_a_recommendation(client: TestClient, settings: Settings) -> None:
    group, owner = _short_group()
    _close(settings, group)
    answer = client.post(
        f"/api/v1/feedback-requests/{group.requests[owner.id].id}/extra-feedback",
        headers=bearer(settings, make_user()),
        json={"feedback": feedback_text("Hello"), "allow_replies": False},
    )
    assert answer.status_code == 404


def test_rated_extra_feedback_counts_toward_the_writers_rating(db: str, settings: Settings) -> None:
    writer = make_user()
    for rating in (5, 4, 3):
        group, owner = _short_group(n=2)
        with database.connection_context():
            FeedbackResponse.create(
                request=group.requests[owner.id].id,
                user=writer,
                group=group.group.id,
                feedback="extra",
                submitted_at=utcnow(),
                extra=True,
                rating=rating,
                rated_at=utcnow(),
            )
    execute("calculate_user_ratings", lambda: calculate_user_ratings(settings))
    with database.connection_context():
        assert User.get_by_id(writer.id).rating == pytest.approx(4.0)


def test_twenty_simultaneous_extra_feedbacks_on_one_track_write_one(pg_settings: Settings) -> None:
    group, owner = _short_group()
    track = group.requests[owner.id].id
    _close(pg_settings, group)
    writer = make_user()
    with database.connection_context():
        Recommendation.create(user=writer, day=utcnow().date().isoformat(), rank=1, request=track, score=1)
    url = f"/api/v1/feedback-requests/{track}/extra-feedback"
    body = {"feedback": feedback_text("The chorus needs more air."), "allow_replies": True}
    answers = simultaneously(pg_settings, "POST", url, json=body, headers=bearer(pg_settings, writer))
    assert sorted(answer.status_code for answer in answers) == [201] + [409] * 19
    assert {answer.json()["error"]["code"] for answer in answers if answer.status_code == 409} == {"already_submitted"}
    with database.connection_context():
        assert FeedbackResponse.select().where(FeedbackResponse.user == writer.id).count() == 1
