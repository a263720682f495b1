"""The live stream, against the service started as operators start it (`python -m web.serve`):
replay, live delivery from requests and jobs, delivery across processes, the per-user cap,
revocation, and shutdown with streams open."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest

from db import notifications
from db.connection import database
from db.models import User
from jobs.assign_groups import assign_groups
from jobs.runner import execute
from settings import Settings
from tests.builders import bearer, feedback_text, make_group, make_request, make_user, submit
from tests.pg import database_env, free_port
from tests.serving import ROOT, served, wait_until_up
from tests.sse import EventStream

STREAM = "/api/v1/notifications/stream"


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        **database_env(database_url),
        "ENVIRONMENT": "development",
        "LOG_LEVEL": "WARNING",
        # On SQLite, what this test process writes reaches the server's streams at their next check.
        "STREAM_CHECK_SECONDS": "1",
        # A stream whose client left ends at its next heartbeat: the server stops without waiting.
        "STREAM_HEARTBEAT_SECONDS": "1",
        **extra,
    }


@pytest.fixture
def server(db: str, settings: Settings) -> Iterator[str]:
    with served(server_env(settings.database_url)) as base:
        yield base


def notify(user: User, kind: str = notifications.REMINDER, group_id: int | None = None) -> int:
    with database.connection_context(), database.atomic():
        return notifications.notify(user.id, kind, group_id=group_id)


def test_a_reply_reaches_the_other_persons_open_stream(server: str, settings: Settings) -> None:
    group = make_group(n=3)
    owner, writer = group.users[0], group.users[1]
    response = group.response(writer, owner)
    submit(response)
    with EventStream(server + STREAM, bearer(settings, writer)) as stream:
        stream.next("ready")
        owner_client = httpx.Client(base_url=server, headers=bearer(settings, owner))
        for mine in group.to_review(owner):
            assert owner_client.put(
                f"/api/v1/responses/{mine.id}", json={"feedback": feedback_text(), "allow_replies": True}
            )
        assert owner_client.put(f"/api/v1/responses/{response.id}/rating", json={"rating": 4}).status_code == 200
        reply = owner_client.post(f"/api/v1/responses/{response.id}/replies", json={"text": "Thanks, which bar?"})
        assert reply.status_code == 201
        owner_client.close()
        event = stream.notification("reply")
        assert event.json["response_id"] == response.id and event.json["group_id"] == group.group.id
        assert event.id == str(event.json["id"])
        assert "Thanks" not in event.data


def test_replay_after_last_event_id(server: str, settings: Settings) -> None:
    user = make_user()
    first, second, third = (notify(user) for _ in range(3))
    with EventStream(server + STREAM, {**bearer(settings, user), "Last-Event-ID": str(first)}) as stream:
        assert [stream.next().json["id"] for _ in range(2)] == [second, third]
        fourth = notify(user)
        assert stream.next().json["id"] == fourth
    with EventStream(f"{server}{STREAM}?last_event_id={third}", bearer(settings, user)) as stream:
        assert stream.next().json["id"] == fourth
    with EventStream(server + STREAM, bearer(settings, user)) as stream:
        assert stream.next("ready").json == {"last_event_id": fourth}  # no replay without an id
        fifth = notify(user)
        assert stream.next().json["id"] == fifth


def test_nobody_receives_another_users_notifications(server: str, settings: Settings) -> None:
    alice, bob = make_user(), make_user()
    with EventStream(server + STREAM, {**bearer(settings, bob), "Last-Event-ID": "0"}) as stream:
        stream.next("ready")
        notify(alice)
        mine = notify(bob)
        assert stream.next().json["id"] == mine
        assert [event for event in stream.pending() if event.event == "notification"] == []


def test_the_grouping_job_notifies_open_streams(server: str, settings: Settings) -> None:
    users = [make_user() for _ in range(4)]
    for user in users:
        make_request(user)
    with EventStream(server + STREAM, bearer(settings, users[0])) as stream:
        stream.next("ready")
        status, _ = execute("assign_groups", lambda: assign_groups(settings))
        assert status == 0
        event = stream.next()
        assert event.json["kind"] == "grouped" and event.json["group_id"] is not None


def test_signing_out_ends_the_stream(server: str, settings: Settings) -> None:
    user = make_user()
    token = httpx.post(
        server + "/api/v1/auth/token", json={"email": user.email, "password": "correct horse battery"}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    with EventStream(server + STREAM, headers) as stream, EventStream(server + STREAM, bearer(settings, user)) as other:
        stream.next("ready")
        other.next("ready")
        assert httpx.post(server + "/api/v1/auth/logout", headers=headers).status_code == 204
        stream.next("session_ended")
        assert stream.ended.wait(10)
        assert not other.ended.is_set()  # another session of the same user stays open
        assert httpx.get(server + STREAM, headers=headers).status_code == 401


def test_a_ban_ends_every_stream_of_the_account(server: str, settings: Settings) -> None:
    user, admin = make_user(), make_user(is_admin=True)
    with EventStream(server + STREAM, bearer(settings, user)) as stream:
        stream.next("ready")
        banned = httpx.post(
            f"{server}/api/v1/admin/users/{user.id}/ban", headers=bearer(settings, admin), json={"reason": "spam"}
        )
        assert banned.status_code == 200
        stream.next("session_ended")
        assert stream.ended.wait(10)
    assert httpx.get(server + STREAM, headers=bearer(settings, user)).status_code == 401


def test_a_password_change_ends_every_stream_of_the_account(server: str, settings: Settings) -> None:
    user = make_user()
    headers = bearer(settings, user)
    with EventStream(server + STREAM, headers) as stream:
        stream.next("ready")
        changed = httpx.put(
            server + "/api/v1/me/password",
            headers=headers,
            json={"current_password": "correct horse battery", "new_password": "another fine password"},
        )
        assert changed.status_code == 204
        stream.next("session_ended")
        assert stream.ended.wait(10)


def test_open_streams_are_capped_per_user(db: str, settings: Settings) -> None:
    user, other = make_user(), make_user()
    with (
        served(server_env(settings.database_url, MAX_STREAMS_PER_USER="2")) as base,
        EventStream(base + STREAM, bearer(settings, user)),
        EventStream(base + STREAM, bearer(settings, user)),
    ):
        refused = httpx.get(base + STREAM, headers=bearer(settings, user))
        assert refused.status_code == 429 and refused.json()["error"]["code"] == "too_many_streams"
        assert "retry-after" in refused.headers
        with EventStream(base + STREAM, bearer(settings, other)) as allowed:
            assert allowed.status == 200


def test_heartbeats_keep_the_stream_alive_and_a_departed_client_frees_its_place(db: str, settings: Settings) -> None:
    user = make_user()
    env = server_env(settings.database_url, MAX_STREAMS_PER_USER="1", STREAM_HEARTBEAT_SECONDS="1")
    with served(env) as base:
        with EventStream(base + STREAM, bearer(settings, user)) as stream:
            stream.next("ready")
            _wait_until(lambda: stream.heartbeats >= 2)
            assert httpx.get(base + STREAM, headers=bearer(settings, user)).status_code == 429
        # The client went away: its stream ends at its next heartbeat, and the place is free again.
        _wait_until(lambda: _opens(base + STREAM, bearer(settings, user)))


def _opens(url: str, headers: dict[str, str]) -> bool:
    with EventStream(url, headers) as stream:
        return stream.status == 200


def _wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 15
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.1)


def test_stopping_the_server_ends_open_streams_promptly(db: str, settings: Settings) -> None:
    user = make_user()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "web.serve", "--port", str(port)],
        cwd=ROOT,
        env={"WEB_URL": base, **server_env(settings.database_url)},
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(base, process)
        with EventStream(base + STREAM, bearer(settings, user)) as stream:
            stream.next("ready")
            process.send_signal(signal.SIGTERM)
            # Ended by the server noticing the stop, not by uvicorn's 10 s graceful-shutdown timeout.
            assert stream.ended.wait(5)
            # uvicorn waits for open connections before exiting (then re-raises the signal it caught);
            # it must not wait on the stream.
            assert process.wait(10) in (0, -signal.SIGTERM)
    finally:
        if process.poll() is None:
            process.kill()


@contextmanager
def two_processes(database_url: str) -> Iterator[tuple[str, str]]:
    with served(server_env(database_url)) as first, served(server_env(database_url)) as second:
        yield first, second


def test_events_cross_processes_on_postgresql(pg_db: str, pg_settings: Settings) -> None:
    """A stream on one process receives what a request on another process wrote."""
    group = make_group(n=3)
    owner, writer = group.users[0], group.users[1]
    response = group.response(writer, owner)
    with two_processes(pg_db) as (reader, writer_side), EventStream(reader + STREAM, bearer(pg_settings, owner)) as s:
        s.next("ready")
        submitted = httpx.put(
            f"{writer_side}/api/v1/responses/{response.id}",
            headers=bearer(pg_settings, writer),
            json={"feedback": feedback_text("Lovely pads"), "allow_replies": True},
        )
        assert submitted.status_code == 200
        event = s.next()
        assert event.json["kind"] == "feedback_received"
        assert event.json["count"] == 1 and event.json["response_id"] is None  # still locked: no id, no text
        assert "Lovely" not in event.data


def test_a_reconnect_replays_everything_missed_not_one_page(server: str, settings: Settings) -> None:
    user = make_user()
    with database.connection_context(), database.atomic():
        ids = [notifications.notify(user.id, notifications.REMINDER) for _ in range(notifications.REPLAY_LIMIT * 2 + 5)]
    with EventStream(server + STREAM, {**bearer(settings, user), "Last-Event-ID": "0"}) as stream:
        stream.next("ready")
        assert [stream.next().json["id"] for _ in ids] == ids
