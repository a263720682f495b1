"""The inbox: each kind of event written with the change that causes it (and never without it),
what each says (and never who wrote what), the inbox routes, and the stream's answers through
the test client."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import select
import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg2
import pytest
from starlette.testclient import TestClient

from db import notifications, responses
from db.accounts import load_current_user
from db.connection import database
from db.feedback_form import Submission
from db.models import FeedbackGroup, FeedbackRequest, FeedbackResponse, Notification, User
from jobs.assign_groups import assign_groups
from jobs.runner import execute
from jobs.send_group_reminders import send_group_reminders
from settings import Settings
from tests.builders import PASSWORD, bearer, feedback_text, make_group, make_request, make_user, submit
from tests.web.conftest import ORIGIN

FIELDS = {
    "id",
    "kind",
    "group_id",
    "request_id",
    "response_id",
    "count",
    "created_at",
    "read_at",
    "group_name",
    "track_title",
}


def inbox(client: TestClient, settings: Settings, user: User, **params: Any) -> list[dict[str, Any]]:
    answer = client.get("/api/v1/notifications", headers=bearer(settings, user), params=params)
    assert answer.status_code == 200
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def kinds(client: TestClient, settings: Settings, user: User) -> list[str]:
    return [item["kind"] for item in inbox(client, settings, user)]


def put(client: TestClient, settings: Settings, user: User, path: str, body: dict[str, Any]) -> Any:
    answer = client.put(f"/api/v1{path}", headers=bearer(settings, user), json=body)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


class Announcements:
    """What was announced: on SQLite this process's after-commit calls, on PostgreSQL the NOTIFYs
    that a LISTEN connection receives (in commit order)."""

    def __init__(self, database_url: str) -> None:
        self.received: list[str] = []
        self.listener = None
        if database_url.startswith("postgres"):
            self.listener = psycopg2.connect(database_url)
            self.listener.autocommit = True
            self.listener.cursor().execute(f"LISTEN {notifications.CHANNEL}")
        else:
            notifications.listen_locally(self.received.append)

    def until(self, count: int) -> list[str]:
        """Everything announced, once there are at least `count` announcements."""
        deadline = time.monotonic() + 15
        while self.listener is not None and len(self.received) < count:
            assert time.monotonic() < deadline, self.received
            select.select([self.listener], [], [], 0.5)
            self.listener.poll()
            self.received.extend(note.payload for note in self.listener.notifies)
            self.listener.notifies.clear()
        return self.received

    def close(self) -> None:
        if self.listener is not None:
            self.listener.close()
        notifications.stop_listening_locally(self.received.append)


@pytest.fixture
def announced(settings: Settings) -> Iterator[Announcements]:
    announcements = Announcements(settings.direct_url)
    yield announcements
    announcements.close()


def test_grouping_tells_every_member(client: TestClient, settings: Settings) -> None:
    users = [make_user() for _ in range(4)]
    requests = {user.id: make_request(user) for user in users}
    execute("assign_groups", lambda: assign_groups(settings))
    for user in users:
        [item] = inbox(client, settings, user)
        assert item["kind"] == "grouped" and item["request_id"] == requests[user.id].id
        assert item["group_id"] is not None and item["read_at"] is None


def test_feedback_received_is_a_count_while_locked_and_a_link_once_unlocked(
    client: TestClient, settings: Settings
) -> None:
    group = make_group(n=3)
    owner, first, second = group.users
    mine = group.requests[owner.id]
    put(
        client,
        settings,
        first,
        f"/responses/{group.response(first, owner).id}",
        {"feedback": feedback_text("A"), "allow_replies": True},
    )
    [locked] = inbox(client, settings, owner)
    assert locked["kind"] == "feedback_received" and locked["count"] == 1 and locked["response_id"] is None
    assert locked["request_id"] == mine.id and locked["group_id"] == group.group.id
    for response in group.to_review(owner):
        put(
            client,
            settings,
            owner,
            f"/responses/{response.id}",
            {"feedback": feedback_text("B"), "allow_replies": True},
        )
    unlocked = inbox(client, settings, owner)[0]
    assert unlocked["kind"] == "feedback_unlocked" and unlocked["count"] == 1
    late = group.response(second, owner)
    put(client, settings, second, f"/responses/{late.id}", {"feedback": feedback_text("C"), "allow_replies": True})
    newest = inbox(client, settings, owner)[0]
    assert newest["kind"] == "feedback_received" and newest["count"] == 2 and newest["response_id"] == late.id


def test_replies_notify_the_other_person_once_the_thread_is_open_to_them(
    client: TestClient, settings: Settings
) -> None:
    group = make_group(n=2)
    owner, writer = group.users
    response = group.response(writer, owner)
    put(
        client,
        settings,
        writer,
        f"/responses/{response.id}",
        {"feedback": feedback_text("Nice"), "allow_replies": True},
    )
    client.post(f"/api/v1/responses/{response.id}/replies", headers=bearer(settings, writer), json={"text": "Hi"})
    assert "reply" not in kinds(client, settings, owner)  # not rated yet: the thread is not theirs to read
    put(
        client,
        settings,
        owner,
        f"/responses/{group.response(owner, writer).id}",
        {"feedback": feedback_text("X"), "allow_replies": True},
    )
    put(client, settings, owner, f"/responses/{response.id}/rating", {"rating": 5})
    client.post(f"/api/v1/responses/{response.id}/replies", headers=bearer(settings, owner), json={"text": "Ta"})
    [to_writer] = [item for item in inbox(client, settings, writer) if item["kind"] == "reply"]
    assert to_writer["response_id"] == response.id and to_writer["group_id"] == group.group.id
    client.post(f"/api/v1/responses/{response.id}/replies", headers=bearer(settings, writer), json={"text": "Yo"})
    assert [item["response_id"] for item in inbox(client, settings, owner) if item["kind"] == "reply"] == [response.id]


def test_reminders_reach_the_inbox_of_everyone_who_owes(db: str, settings: Settings, client: TestClient) -> None:
    group = make_group(n=3)
    done, owes, also_owes = group.users
    for response in group.to_review(done):
        submit(response)
    with database.connection_context():
        FeedbackGroup.update(created_at=dt.datetime(2026, 1, 1)).where(FeedbackGroup.id == group.group.id).execute()
    status, result = execute("send_group_reminders", lambda: send_group_reminders(settings))
    assert status == 0 and result.counts["notified"] == 2 and result.counts["queued"] == 0  # nobody asked for email
    assert kinds(client, settings, owes) == kinds(client, settings, also_owes) == ["reminder"]
    assert kinds(client, settings, done) == []


def test_withdrawing_is_recorded_already_read(client: TestClient, settings: Settings) -> None:
    user = make_user()
    request = make_request(user)
    assert client.delete(f"/api/v1/feedback-requests/{request.id}", headers=bearer(settings, user)).status_code == 204
    [item] = inbox(client, settings, user)
    assert item["kind"] == "request_withdrawn" and item["request_id"] == request.id and item["read_at"] is not None
    me = client.get("/api/v1/me", headers=bearer(settings, user)).json()["user"]
    assert me["notifications"]["unread_notifications"] == 0


def test_no_notification_names_a_writer_or_quotes_feedback(client: TestClient, settings: Settings) -> None:
    """Every kind, as each member receives it: only ids of things the member may see, never a user."""
    users = [make_user() for _ in range(3)]
    for user in users:
        make_request(user)
    execute("assign_groups", lambda: assign_groups(settings))
    owner, writer, third = users
    with database.connection_context():
        owed = {user.id: list(FeedbackResponse.select().where(FeedbackResponse.user == user.id)) for user in users}
    for user in (writer, third, owner):
        for response in owed[user.id]:
            put(
                client,
                settings,
                user,
                f"/responses/{response.id}",
                {"feedback": feedback_text(f"secret words of {user.email}"), "allow_replies": True},
            )
    for response in owed[writer.id]:
        if response.request.user_id == owner.id:
            put(client, settings, owner, f"/responses/{response.id}/rating", {"rating": 4})
            client.post(f"/api/v1/responses/{response.id}/replies", headers=bearer(settings, owner), json={"text": "q"})
            client.post(
                f"/api/v1/responses/{response.id}/replies", headers=bearer(settings, writer), json={"text": "a"}
            )
    seen_kinds = set()
    for user in users:
        for item in inbox(client, settings, user):
            seen_kinds.add(item["kind"])
            assert set(item) == FIELDS
            text = str(item)
            assert "secret words" not in text and "@" not in text
            if item["response_id"] is not None and item["kind"] == "feedback_received":
                with database.connection_context():
                    response = FeedbackResponse.get_by_id(item["response_id"])
                assert response.request.user_id == user.id  # only feedback on the member's own track
    assert {"grouped", "feedback_received", "feedback_unlocked", "reply"} <= seen_kinds


def test_a_change_rolled_back_leaves_no_event_and_an_event_that_fails_undoes_the_change(
    db: str, settings: Settings, announced: Announcements, monkeypatch: pytest.MonkeyPatch
) -> None:
    group = make_group(n=2)
    owner, writer = group.users
    response = group.response(writer, owner)
    me = _current(writer)
    with database.connection_context():
        with pytest.raises(RuntimeError), database.atomic():
            responses.submit_response(me, response.id, Submission(feedback_text("Good"), True))
            raise RuntimeError("something later in the transaction failed")
        assert Notification.select().count() == 0
        assert FeedbackResponse.get_by_id(response.id).submitted_at is None

        def failing(*args: Any, **kwargs: Any) -> int:
            raise RuntimeError("the inbox could not be written")

        monkeypatch.setattr(notifications, "notify", failing)
        with pytest.raises(RuntimeError):
            responses.submit_response(me, response.id, Submission(feedback_text("Good"), True))
        assert FeedbackResponse.get_by_id(response.id).submitted_at is None  # no change without its event
        monkeypatch.undo()
        responses.submit_response(me, response.id, Submission(feedback_text("Good"), True))
    # What was announced is exactly what was committed: the rolled-back change announced nothing.
    with database.connection_context():
        committed = {(row.user_id, row.id) for row in Notification.select()}
    assert len(committed) == 2  # the owner's "received", the writer's "unlocked" (their only review)
    pairs = [pair for message in announced.until(2) for pair in notifications.parse(message).pairs]
    assert sorted(pairs) == sorted(committed)


def _current(user: User) -> Any:
    with database.connection_context():
        return load_current_user(user.id, user.token_version, "")


def test_the_inbox_pages_newest_first_and_filters_unread(client: TestClient, settings: Settings) -> None:
    user = make_user()
    with database.connection_context(), database.atomic():
        ids = [notifications.notify(user.id, notifications.REMINDER, group_id=n) for n in range(1, 6)]
    page = client.get("/api/v1/notifications", headers=bearer(settings, user), params={"per_page": 2}).json()
    assert [item["id"] for item in page["items"]] == ids[::-1][:2]
    assert page["total"] == 5 and page["has_next"] is True
    marked = client.post("/api/v1/notifications/read", headers=bearer(settings, user), json={"ids": ids[:2]})
    assert marked.json() == {"marked": 2}
    assert [item["id"] for item in inbox(client, settings, user, unread="true")] == ids[2:][::-1]
    me = client.get("/api/v1/me", headers=bearer(settings, user)).json()["user"]
    assert me["notifications"]["unread_notifications"] == 3
    assert client.post("/api/v1/notifications/read", headers=bearer(settings, user), json={"all": True}).json() == {
        "marked": 3
    }
    assert inbox(client, settings, user, unread="true") == []


def test_nobody_reads_or_marks_another_users_inbox(client: TestClient, settings: Settings) -> None:
    alice, bob = make_user(), make_user()
    with database.connection_context(), database.atomic():
        hers = notifications.notify(alice.id, notifications.REMINDER)
    assert inbox(client, settings, bob) == []
    assert client.post("/api/v1/notifications/read", headers=bearer(settings, bob), json={"ids": [hers]}).json() == {
        "marked": 0
    }
    assert inbox(client, settings, alice)[0]["read_at"] is None


@pytest.mark.parametrize(
    "body",
    [{}, {"ids": [1], "all": True}, {"all": False}, {"ids": [0]}, {"ids": list(range(1, 1002))}, {"ids": "1"}],
)
def test_mark_read_takes_ids_or_all(client: TestClient, settings: Settings, body: dict[str, Any]) -> None:
    answer = client.post("/api/v1/notifications/read", headers=bearer(settings, make_user()), json=body)
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "validation_error"


def test_inbox_routes_need_a_session(anon: TestClient) -> None:
    for method, path in (("GET", "/notifications"), ("POST", "/notifications/read"), ("GET", "/notifications/stream")):
        answer = anon.request(method, "/api/v1" + path, json={"all": True} if method == "POST" else None)
        assert answer.status_code == 401 and answer.json()["error"]["code"] == "not_authenticated"


def test_stream_parameters_are_checked(client: TestClient, settings: Settings) -> None:
    headers = bearer(settings, make_user())
    superscript = {"Last-Event-ID": "\u00b2".encode("latin-1")}  # str.isdigit() says yes, int() says no
    cases: list[tuple[dict[str, str], dict[str, Any]]] = [
        ({"last_event_id": "x"}, {}),
        ({}, {"Last-Event-ID": "-1"}),
        ({}, {"Last-Event-ID": "abc"}),
        ({}, superscript),
        ({"since": "1"}, {}),
    ]
    for params, extra in cases:
        answer = client.get("/api/v1/notifications/stream", params=params, headers={**headers, **extra})
        assert answer.status_code == 422, (params, extra)


def test_a_content_length_of_other_digits_is_no_500(client: TestClient, settings: Settings) -> None:
    headers = {**bearer(settings, make_user()), "Content-Type": "application/json", "Content-Length": b"\xb2"}
    answer = client.post("/api/v1/notifications/read", headers=headers, content=b"{}")
    assert answer.status_code < 500


def test_the_stream_is_capped(db: str, settings: Settings) -> None:
    from web.app import build_app

    app = build_app(settings.with_changes(max_streams_per_user=0))
    with TestClient(app) as client:
        answer = client.get("/api/v1/notifications/stream", headers=bearer(settings, make_user()))
    assert answer.status_code == 429 and answer.json()["error"]["code"] == "too_many_streams"


def test_a_stream_replays_and_ends_with_the_session(db: str, settings: Settings) -> None:
    """Through the test client: the stream's whole body, once signing out has ended it."""
    from web.app import build_app

    user = make_user()
    with database.connection_context(), database.atomic():
        first = notifications.notify(user.id, notifications.REMINDER)
        second = notifications.notify(user.id, notifications.GROUPED)
    with TestClient(build_app(settings), headers={"Origin": ORIGIN}) as client:
        client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD})
        body: dict[str, str] = {}

        def read() -> None:
            answer = client.get("/api/v1/notifications/stream", headers={"Last-Event-ID": str(first)})
            body["status"], body["text"] = str(answer.status_code), answer.text

        reader = threading.Thread(target=read)
        reader.start()
        hub = client.app.state.notification_hub  # type: ignore[attr-defined]
        _wait_for(lambda: hub.open_streams == 1)
        assert client.post("/api/v1/auth/logout").status_code == 204
        reader.join(15)
    assert body["status"] == "200"
    assert f"id: {second}" in body["text"] and f"id: {first}\r\n" not in body["text"]
    assert body["text"].index("event: ready") < body["text"].index("event: notification")
    assert "event: session_ended" in body["text"]


def _wait_for(condition: Any) -> None:
    deadline = time.monotonic() + 15
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_a_process_caps_its_open_streams_with_a_503(db: str, settings: Settings) -> None:
    from web.app import build_app

    app = build_app(settings.with_changes(max_streams=0))
    with TestClient(app) as client:
        answer = client.get("/api/v1/notifications/stream", headers=bearer(settings, make_user()))
    assert answer.status_code == 503 and answer.json()["error"]["code"] == "streams_full"
    assert int(answer.headers["retry-after"]) > 0


def test_a_stream_whose_client_stops_reading_is_ended_at_its_queue_bound() -> None:
    """Its send is stuck, so items pile up: at MAX_QUEUED they are dropped and the stream's task ends."""
    from web.live import MAX_QUEUED, Subscriber

    async def scenario() -> tuple[int, bool]:
        stuck: asyncio.Future[None] = asyncio.get_running_loop().create_future()  # a send that never drains
        holder: dict[str, Subscriber] = {}

        async def serve_stream() -> None:
            holder["subscriber"] = Subscriber(1, asyncio.get_running_loop())
            await stuck

        task = asyncio.create_task(serve_stream())
        await asyncio.sleep(0)
        subscriber = holder["subscriber"]
        for index in range(MAX_QUEUED):
            subscriber.put_here(index)
        assert not task.done()
        subscriber.put_here("one more")
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return len(subscriber._items), task.cancelled()

    held, cancelled = asyncio.run(scenario())
    assert held == 0 and cancelled


def test_a_notification_names_its_group_and_the_recipients_own_track_only(
    client: TestClient, settings: Settings
) -> None:
    group = make_group(n=3)
    owner, writer, _ = group.users
    with database.connection_context():
        FeedbackRequest.update(track_title="Night Drive").where(
            FeedbackRequest.id == group.requests[owner.id].id
        ).execute()
        FeedbackRequest.update(track_title="Writer's Secret Song").where(
            FeedbackRequest.id == group.requests[writer.id].id
        ).execute()
        notifications.notify(
            owner.id,
            notifications.FEEDBACK_RECEIVED,
            group_id=group.group.id,
            request_id=group.requests[owner.id].id,
            count=1,
        )
        notifications.notify(
            owner.id, notifications.REMINDER, group_id=group.group.id, request_id=group.requests[writer.id].id
        )  # a request that is not theirs
    items = client.get("/api/v1/notifications", headers=bearer(settings, owner)).json()["items"]
    assert {item["group_name"] for item in items} == {group.group.name}
    assert sorted(str(item["track_title"]) for item in items) == ["Night Drive", "None"]


def test_visiting_a_group_marks_its_notifications_read(client: TestClient, settings: Settings) -> None:
    first, second = make_group(n=2), make_group(n=2)
    user = make_user()
    with database.connection_context():
        for group in (first, second):
            notifications.notify(user.id, notifications.REMINDER, group_id=group.group.id)
    headers = bearer(settings, user)
    answer = client.post("/api/v1/notifications/read", json={"group_id": first.group.id}, headers=headers)
    assert answer.json() == {"marked": 1}
    unread = client.get("/api/v1/notifications", params={"unread": True}, headers=headers).json()["items"]
    assert [item["group_id"] for item in unread] == [second.group.id]
    both = client.post("/api/v1/notifications/read", json={"group_id": 1, "all": True}, headers=headers)
    assert both.status_code == 422
