from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from settings import Settings
from tests.builders import GroupFixture, add_reply, bearer, feedback_text, make_group, make_user, rate, submit


def unlocked_group() -> GroupFixture:
    """A group of three where everyone has written everything."""
    group = make_group(n=3)
    for user in group.users:
        for response in group.to_review(user):
            submit(response)
    return group


# --- submitting feedback ------------------------------------------------------------------------


def test_submit_response_by_its_writer(anon: TestClient, settings: Settings) -> None:
    group = make_group(n=3)
    writer, owner = group.users[0], group.users[1]
    response = group.response(writer, owner)
    url = f"/api/v1/responses/{response.id}"
    text = feedback_text("Punchy drums; the vocal needs air.")
    body = {"feedback": f"  {text}  ", "allow_replies": True}
    assert anon.put(url, json=body).status_code == 401
    assert anon.put(url, json=body, headers=bearer(settings, make_user())).status_code == 404
    assert anon.put(url, json=body, headers=bearer(settings, group.users[2])).status_code == 404
    result = anon.put(url, json=body, headers=bearer(settings, writer))
    assert result.status_code == 200
    submitted = result.json()["response"]
    assert submitted["feedback"] == text and submitted["submitted"] is True
    assert submitted["allow_replies"] is True and submitted["rating"] is None
    assert submitted["request"]["id"] == group.requests[owner.id].id
    again = anon.put(url, json=body, headers=bearer(settings, writer))
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_submitted"


@pytest.mark.parametrize(
    "body", [{"feedback": "   ", "allow_replies": True}, {"feedback": "ok"}, {"feedback": 3, "allow_replies": True}]
)
def test_submit_response_validates(anon: TestClient, settings: Settings, body: dict) -> None:
    group = make_group(n=3)
    response = group.to_review(group.users[0])[0]
    result = anon.put(f"/api/v1/responses/{response.id}", json=body, headers=bearer(settings, group.users[0]))
    assert result.status_code == 422


def test_the_track_owner_cannot_edit_feedback(anon: TestClient, settings: Settings) -> None:
    group = unlocked_group()
    response = group.response(group.users[0], group.users[1])
    result = anon.put(
        f"/api/v1/responses/{response.id}",
        json={"feedback": feedback_text("mine now"), "allow_replies": False},
        headers=bearer(settings, group.users[1]),
    )
    assert result.status_code == 403


# --- rating -------------------------------------------------------------------------------------


def test_rating_follows_every_rule(anon: TestClient, settings: Settings) -> None:
    group = make_group(n=3)
    owner, writer, third = group.users
    response = group.response(writer, owner)
    url = f"/api/v1/responses/{response.id}/rating"
    assert anon.put(url, json={"rating": 4}).status_code == 401
    assert anon.put(url, json={"rating": 4}, headers=bearer(settings, make_user())).status_code == 404
    assert anon.put(url, json={"rating": 4}, headers=bearer(settings, third)).status_code == 404
    locked = anon.put(url, json={"rating": 4}, headers=bearer(settings, owner))
    assert locked.status_code == 409 and locked.json()["error"]["code"] == "feedback_locked"
    for mine in group.to_review(owner):
        submit(mine)
    not_submitted = anon.put(url, json={"rating": 4}, headers=bearer(settings, owner))
    assert not_submitted.status_code == 409 and not_submitted.json()["error"]["code"] == "not_submitted"
    submit(response)
    assert anon.put(url, json={"rating": 4}, headers=bearer(settings, writer)).status_code == 403
    for bad in (0, 6, "4", 4.5, None):
        assert anon.put(url, json={"rating": bad}, headers=bearer(settings, owner)).status_code == 422, bad
    rated = anon.put(url, json={"rating": 4}, headers=bearer(settings, owner))
    assert rated.status_code == 200 and rated.json()["response"]["rating"] == 4
    again = anon.put(url, json={"rating": 5}, headers=bearer(settings, owner))
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_rated"


def test_writers_never_see_the_rating_their_feedback_got(anon: TestClient, settings: Settings) -> None:
    group = unlocked_group()
    owner, writer = group.users[0], group.users[1]
    rate(group.response(writer, owner), 1)
    as_writer = anon.get(f"/api/v1/groups/{group.group.id}", headers=bearer(settings, writer)).json()["group"]
    assert all(item["rating"] is None for item in as_writer["to_review"])
    as_owner = anon.get(f"/api/v1/groups/{group.group.id}", headers=bearer(settings, owner)).json()["group"]
    assert sorted(item["rating"] or 0 for item in as_owner["received"]) == [0, 1]


# --- replies ------------------------------------------------------------------------------------


def test_replies_visible_to_writer_and_to_owner_after_rating(anon: TestClient, settings: Settings) -> None:
    group = unlocked_group()
    owner, writer, third = group.users
    response = group.response(writer, owner)
    url = f"/api/v1/responses/{response.id}/replies"
    add_reply(response, writer, "Happy to explain more.")
    assert anon.get(url).status_code == 401
    assert anon.get(url, headers=bearer(settings, make_user())).status_code == 404
    assert anon.get(url, headers=bearer(settings, third)).status_code == 404
    unrated = anon.get(url, headers=bearer(settings, owner))  # the owner reads it but has not rated it yet
    assert unrated.status_code == 409 and unrated.json()["error"]["code"] == "rate_first"
    as_writer = anon.get(url, headers=bearer(settings, writer)).json()
    assert as_writer["replies"][0]["author"] == "you" and as_writer["allow_further_replies"] is True
    rate(response, 5)
    as_owner = anon.get(url, headers=bearer(settings, owner)).json()
    assert [(r["author"], r["text"]) for r in as_owner["replies"]] == [("them", "Happy to explain more.")]


def test_posting_replies(anon: TestClient, settings: Settings) -> None:
    group = unlocked_group()
    owner, writer, third = group.users
    response = group.response(writer, owner)
    url = f"/api/v1/responses/{response.id}/replies"
    body = {"text": "Which part?", "allow_replies": True}
    assert anon.post(url, json=body).status_code == 401
    assert anon.post(url, json=body, headers=bearer(settings, third)).status_code == 404
    assert anon.post(url, json=body, headers=bearer(settings, owner)).json()["error"]["code"] == "rate_first"
    rate(response, 4)
    created = anon.post(url, json=body, headers=bearer(settings, owner))
    assert created.status_code == 201
    reply = created.json()["reply"]
    assert reply["author"] == "you" and reply["text"] == "Which part?" and reply["read_at"] is None
    blank = anon.post(url, json={"text": " ", "allow_replies": True}, headers=bearer(settings, writer))
    assert blank.status_code == 422
    closing = anon.post(
        url, json={"text": "The intro. Good luck!", "allow_replies": False}, headers=bearer(settings, writer)
    )
    assert closing.status_code == 201
    closed = anon.post(url, json=body, headers=bearer(settings, owner))
    assert closed.status_code == 409 and closed.json()["error"]["code"] == "replies_closed"
    thread = anon.get(url, headers=bearer(settings, owner)).json()
    assert thread["allow_further_replies"] is False and [r["author"] for r in thread["replies"]] == ["you", "them"]


def test_no_replies_when_the_writer_did_not_allow_them(anon: TestClient, settings: Settings) -> None:
    group = make_group(n=3)
    owner, writer, _ = group.users
    for user in group.users:
        for response in group.to_review(user):
            submit(response, allow_replies=False)
    response = group.response(writer, owner)
    rate(response, 3)
    result = anon.post(
        f"/api/v1/responses/{response.id}/replies",
        json={"text": "Thanks", "allow_replies": True},
        headers=bearer(settings, owner),
    )
    assert result.status_code == 409 and result.json()["error"]["code"] == "replies_closed"


def test_mark_read_only_marks_the_other_persons_replies_on_my_threads(anon: TestClient, settings: Settings) -> None:
    group = unlocked_group()
    owner, writer, third = group.users
    response = group.response(writer, owner)
    rate(response, 5)
    theirs = add_reply(response, writer, "From the writer")
    mine = add_reply(response, owner, "From the owner")
    elsewhere = add_reply(group.response(third, writer), third, "Not the owner's thread")
    me = anon.get("/api/v1/me", headers=bearer(settings, owner)).json()["user"]["notifications"]
    assert me["unread_replies"] == 1
    assert anon.post("/api/v1/replies/read", json={"reply_ids": [1]}).status_code == 401
    marked = anon.post(
        "/api/v1/replies/read",
        json={"reply_ids": [theirs.id, mine.id, elsewhere.id, 999999]},
        headers=bearer(settings, owner),
    )
    assert marked.status_code == 200 and marked.json() == {"marked": 1}
    assert anon.post(
        "/api/v1/replies/read", json={"reply_ids": [theirs.id]}, headers=bearer(settings, owner)
    ).json() == {"marked": 0}
    me = anon.get("/api/v1/me", headers=bearer(settings, owner)).json()["user"]["notifications"]
    assert me["unread_replies"] == 0
    too_many = anon.post("/api/v1/replies/read", json={"reply_ids": list(range(1001))}, headers=bearer(settings, owner))
    assert too_many.status_code == 422


def test_notifications_count_owed_feedback_and_unread_replies(anon: TestClient, settings: Settings) -> None:
    group = make_group(n=4)
    me, writer = group.users[0], group.users[1]
    notes = anon.get("/api/v1/me", headers=bearer(settings, me)).json()["user"]["notifications"]
    assert notes == {"incomplete_responses": 3, "unread_replies": 0, "total": 3, "unread_notifications": 0}
    submit(group.to_review(me)[0])
    response = group.response(writer, me)
    submit(response)
    add_reply(response, writer, "hidden until rated")
    notes = anon.get("/api/v1/me", headers=bearer(settings, me)).json()["user"]["notifications"]
    assert notes == {"incomplete_responses": 2, "unread_replies": 0, "total": 2, "unread_notifications": 0}
    rate(response, 4)
    notes = anon.get("/api/v1/me", headers=bearer(settings, me)).json()["user"]["notifications"]
    assert notes == {"incomplete_responses": 2, "unread_replies": 1, "total": 3, "unread_notifications": 0}
