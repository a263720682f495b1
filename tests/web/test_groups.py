from __future__ import annotations

from starlette.testclient import TestClient

from db.connection import database
from db.models import FeedbackRequest
from settings import Settings
from tests.builders import add_reply, bearer, make_group, make_user, rate, submit
from tests.conftest import QueryCounter


def test_groups_need_a_session(anon: TestClient) -> None:
    group = make_group(n=3)
    assert anon.get("/api/v1/groups").status_code == 401
    assert anon.get(f"/api/v1/groups/{group.group.id}").status_code == 401


def test_strangers_see_no_group(anon: TestClient, settings: Settings) -> None:
    group = make_group(n=3)
    stranger = make_user()
    assert anon.get("/api/v1/groups", headers=bearer(settings, stranger)).json()["total"] == 0
    response = anon.get(f"/api/v1/groups/{group.group.id}", headers=bearer(settings, stranger))
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert anon.get("/api/v1/groups/424242", headers=bearer(settings, stranger)).status_code == 404


def test_group_list_summarises_each_group(anon: TestClient, settings: Settings) -> None:
    group = make_group(n=3, trackless=1)
    member = group.users[0]
    submit(group.to_review(member)[0])
    submit(group.response(group.users[1], member))
    page = anon.get("/api/v1/groups", headers=bearer(settings, member)).json()
    assert page["total"] == 1 and page["page"] == 1 and page["per_page"] == 20
    summary = page["items"][0]
    assert summary == {
        "id": group.group.id,
        "name": group.group.name,
        "created_at": summary["created_at"],
        "due_at": summary["due_at"],
        "genres": ["electronic"],
        "size": 4,
        "members": 2,
        "trackless_members": 1,
        "to_review_total": 2,
        "to_review_done": 1,
        "owed": 1,
        "received_count": 1,
        "unlocked": False,
        "unread_replies": 0,
        "my_track_title": None,
    }


def test_group_detail_for_a_member(anon: TestClient, settings: Settings) -> None:
    group = make_group(n=4, trackless=1)
    member = group.users[0]
    response = anon.get(f"/api/v1/groups/{group.group.id}", headers=bearer(settings, member))
    assert response.status_code == 200
    detail = response.json()["group"]
    assert detail["id"] == group.group.id and detail["name"].startswith(f"Feedback Group #{group.group.id} - ")
    assert detail["my_request"]["id"] == group.requests[member.id].id
    assert detail["members"] == 3 and detail["trackless_members"] == 1
    assert len(detail["to_review"]) == 3
    reviewed = {item["request"]["id"] for item in detail["to_review"]}
    assert reviewed == {group.requests[user.id].id for user in group.users[1:4]}
    assert all("email_when_grouped" not in item["request"] for item in detail["to_review"])
    assert detail["received_count"] == 0 and detail["received"] is None


def test_trackless_member_reviews_everyone_and_receives_nothing(anon: TestClient, settings: Settings) -> None:
    group = make_group(n=3, trackless=1)
    trackless = group.users[-1]
    detail = anon.get(f"/api/v1/groups/{group.group.id}", headers=bearer(settings, trackless)).json()["group"]
    assert len(detail["to_review"]) == 3 and detail["my_request"]["media_url"] is None
    assert detail["members"] == 3 and detail["trackless_members"] == 0


def test_feedback_on_my_track_is_hidden_until_i_have_written_all_mine(anon: TestClient, settings: Settings) -> None:
    group = make_group(n=4)
    me = group.users[0]
    for other in group.users[1:]:
        submit(group.response(other, me), f"feedback from {other.id}")
    url = f"/api/v1/groups/{group.group.id}"
    headers = bearer(settings, me)
    mine = group.to_review(me)
    # Step 0: nothing written.
    detail = anon.get(url, headers=headers).json()["group"]
    assert detail["received_count"] == 3 and detail["received"] is None
    # Steps 1 and 2: some written.
    for count, response in enumerate(mine[:2], start=1):
        submit(response)
        detail = anon.get(url, headers=headers).json()["group"]
        assert sum(item["submitted"] for item in detail["to_review"]) == count
        assert detail["received"] is None and detail["received_count"] == 3
    # Step 3: all written.
    submit(mine[2])
    detail = anon.get(url, headers=headers).json()["group"]
    assert sorted(item["feedback"] for item in detail["received"]) == sorted(
        f"feedback from {u.id}" for u in group.users[1:]
    )
    assert all(item["request"]["id"] == group.requests[me.id].id for item in detail["received"])


def test_no_other_members_identity_appears(anon: TestClient, settings: Settings) -> None:
    group = make_group(n=4)
    me = group.users[0]
    for response in group.to_review(me):
        submit(response)
    for other in group.users[1:]:
        submit(group.response(other, me))
    text = anon.get(f"/api/v1/groups/{group.group.id}", headers=bearer(settings, me)).text
    text += anon.get("/api/v1/groups", headers=bearer(settings, me)).text
    for other in group.users[1:]:
        assert other.email not in text
        assert f'"user_id": {other.id}' not in text and f'"user_id":{other.id}' not in text


def _queries(counter: QueryCounter, client: TestClient, url: str, headers: dict) -> int:
    counter.statements.clear()
    assert client.get(url, headers=headers).status_code == 200
    return counter.reads()


def test_group_detail_runs_a_fixed_number_of_queries(
    anon: TestClient, settings: Settings, count_queries: QueryCounter
) -> None:
    small = make_group(n=3)
    large = make_group(n=5, trackless=3)
    for group in (small, large):
        for user in group.users:
            for response in group.to_review(user):
                submit(response)
    small_count = _queries(count_queries, anon, f"/api/v1/groups/{small.group.id}", bearer(settings, small.users[0]))
    large_count = _queries(count_queries, anon, f"/api/v1/groups/{large.group.id}", bearer(settings, large.users[0]))
    assert small_count == large_count == 4  # auth, group with my request and counts, its responses, their marks


def test_group_list_runs_a_fixed_number_of_queries(
    anon: TestClient, settings: Settings, count_queries: QueryCounter
) -> None:
    me = make_user()
    other = make_user()
    make_group(users=[me, make_user(), make_user()])
    one = _queries(count_queries, anon, "/api/v1/groups", bearer(settings, me))
    past_the_end = anon.get("/api/v1/groups", params={"page": 5}, headers=bearer(settings, me)).json()
    assert past_the_end["items"] == [] and past_the_end["total"] == 1
    for _ in range(24):
        make_group(users=[other, make_user(), make_user(), make_user()])
    many = _queries(count_queries, anon, "/api/v1/groups", bearer(settings, other))
    assert one == many == 2  # auth, then the page with its counts and the total


def test_group_list_badges_follow_what_the_caller_owes_and_has_unread(anon: TestClient, settings: Settings) -> None:
    group = make_group(n=3)
    me, writer, _ = group.users
    headers = bearer(settings, me)
    with database.connection_context():
        FeedbackRequest.update(track_title="Night Drive").where(
            FeedbackRequest.id == group.requests[me.id].id
        ).execute()
    summary = anon.get("/api/v1/groups", headers=headers).json()["items"][0]
    assert (summary["owed"], summary["unlocked"], summary["my_track_title"]) == (2, False, "Night Drive")
    for response in group.to_review(me):
        submit(response)
    about_me = group.response(writer, me)
    submit(about_me)
    rate(about_me, 4)
    add_reply(about_me, writer, "Glad it helped.")
    summary = anon.get("/api/v1/groups", headers=headers).json()["items"][0]
    assert (summary["owed"], summary["unlocked"], summary["unread_replies"]) == (0, True, 1)
    received = anon.get(f"/api/v1/groups/{group.group.id}", headers=headers).json()["group"]["received"]
    assert [item["allow_further_replies"] for item in received] == [True]
    add_reply(about_me, me, "Thanks, closing this.", allow_replies=False)
    received = anon.get(f"/api/v1/groups/{group.group.id}", headers=headers).json()["group"]["received"]
    assert [item["allow_further_replies"] for item in received] == [False]


def test_group_list_validates_its_query(anon: TestClient, settings: Settings) -> None:
    for params in ({"page": 0}, {"per_page": 101}, {"sort": "name"}):
        response = anon.get("/api/v1/groups", params=params, headers=bearer(settings, make_user()))
        assert response.status_code == 422 and response.json()["error"]["code"] == "validation_error"
