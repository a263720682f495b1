"""Admin routes: bans and their effects, the lists (filters, sorts, CSV, a fixed number of
queries), user and group details, the audit log (append-only) and the command line's admin role."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from db.connection import database
from db.models import AuditLog, FeedbackRequest, FeedbackResponse, JobRun, User
from jobs.assign_groups import assign_groups
from jobs.runner import execute
from settings import Settings
from tests.builders import PASSWORD, bearer, make_group, make_request, make_user, submit
from tests.conftest import QueryCounter
from tests.serving import ROOT
from tests.web.conftest import simultaneously

ADMIN = "/api/v1/admin"


@pytest.fixture
def admin(settings: Settings) -> dict[str, str]:
    return bearer(settings, make_user("root@example.com", is_admin=True))


def ban(client: TestClient, headers: dict[str, str], user: User, reason: str = "abusive replies") -> dict:
    answer = client.post(f"{ADMIN}/users/{user.id}/ban", json={"reason": reason}, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["user"]


def test_a_ban_ends_the_session_refuses_sign_in_and_leaves_the_exchange(
    anon: TestClient, settings: Settings, admin: dict[str, str]
) -> None:
    group = make_group(n=3)
    banned, other = group.users[0], group.users[1]
    waiting = make_request(banned, genre="pop")
    session = bearer(settings, banned)
    assert anon.get("/api/v1/me", headers=session).status_code == 200
    shown = ban(anon, admin, banned)
    assert shown["banned"] is True and shown["ban_reason"] == "abusive replies"
    assert anon.get("/api/v1/me", headers=session).json()["error"]["code"] == "token_revoked"
    refused = anon.post("/api/v1/auth/login", json={"email": banned.email, "password": PASSWORD})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "account_banned"
    assert "abusive replies" in refused.json()["error"]["message"]
    token = anon.post("/api/v1/auth/token", json={"email": banned.email, "password": PASSWORD})
    assert token.status_code == 403 and token.json()["error"]["code"] == "account_banned"
    wrong = anon.post("/api/v1/auth/login", json={"email": banned.email, "password": "not the password"})
    assert wrong.status_code == 401  # a guesser learns nothing of the ban
    with database.connection_context():
        assert not FeedbackRequest.select().where(FeedbackRequest.id == waiting.id).exists()
        owed = FeedbackResponse.select().where(FeedbackResponse.submitted_at.is_null())
        assert not owed.where(FeedbackResponse.user == banned.id).exists()  # what they owed is dropped
        assert owed.where(FeedbackResponse.user == other.id).count() == 1  # others no longer review them
        assert [(e.action, e.target_id, e.reason) for e in AuditLog.select()] == [("ban", banned.id, "abusive replies")]
    again = anon.post(f"{ADMIN}/users/{banned.id}/ban", json={"reason": "twice"}, headers=admin)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_banned"


def test_a_banned_user_is_never_grouped(anon: TestClient, settings: Settings, admin: dict[str, str]) -> None:
    users = [make_user() for _ in range(4)]
    ban(anon, admin, users[0])
    requests = [make_request(user) for user in users]  # one slipped in: grouping still leaves it out
    execute("assign_groups", lambda: assign_groups(settings))
    with database.connection_context():
        grouped = {r.id: r.group_id for r in FeedbackRequest.select()}
    assert grouped[requests[0].id] is None and all(grouped[r.id] for r in requests[1:])


def test_unbanning_restores_sign_in(anon: TestClient, settings: Settings, admin: dict[str, str]) -> None:
    user = make_user()
    ban(anon, admin, user)
    lifted = anon.post(f"{ADMIN}/users/{user.id}/unban", json={"reason": "appeal"}, headers=admin)
    assert lifted.status_code == 200 and lifted.json()["user"]["banned"] is False
    assert anon.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}).status_code == 200
    again = anon.post(f"{ADMIN}/users/{user.id}/unban", json={"reason": "again"}, headers=admin)
    assert again.json()["error"]["code"] == "not_banned"
    with database.connection_context():
        assert [e.action for e in AuditLog.select().order_by(AuditLog.id)] == ["ban", "unban"]


def test_an_admin_cannot_be_banned(anon: TestClient, settings: Settings, admin: dict[str, str]) -> None:
    other = make_user(is_admin=True)
    answer = anon.post(f"{ADMIN}/users/{other.id}/ban", json={"reason": "x"}, headers=admin)
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "cannot_ban_admin"


def test_the_user_list_filters_sorts_and_pages(anon: TestClient, settings: Settings, admin: dict[str, str]) -> None:
    make_user("alice@music.test", rating=4.5)
    make_user("bob@music.test", rating=2.0)
    carol = make_user("carol_x@other.test", rating=3.0)
    ban(anon, admin, carol)

    def emails(**params: object) -> list[str]:
        answer = anon.get(f"{ADMIN}/users", params=params, headers=admin)
        assert answer.status_code == 200, answer.text
        return [item["email"] for item in answer.json()["items"]]

    assert emails(q="MUSIC", sort="email") == ["alice@music.test", "bob@music.test"]
    assert emails(q="_x") == ["carol_x@other.test"]  # LIKE's wildcards are taken literally
    assert emails(q="%") == []
    assert emails(rating_min=2.5, sort="-rating") == ["alice@music.test", "carol_x@other.test"]
    assert emails(banned=True) == ["carol_x@other.test"]
    assert emails(admin=True) == ["root@example.com"]
    page = anon.get(f"{ADMIN}/users", params={"per_page": 2, "sort": "email"}, headers=admin).json()
    assert (
        page["total"] == 4
        and page["has_next"]
        and [i["email"] for i in page["items"]]
        == [
            "alice@music.test",
            "bob@music.test",
        ]
    )
    assert anon.get(f"{ADMIN}/users", params={"sort": "password"}, headers=admin).status_code == 422


def test_lists_export_csv_with_their_filters(anon: TestClient, settings: Settings, admin: dict[str, str]) -> None:
    make_user("=cmd@example.com")
    make_user("plain@example.com")
    answer = anon.get(f"{ADMIN}/users.csv", params={"q": "example", "sort": "email"}, headers=admin)
    assert answer.headers["content-disposition"].startswith('attachment; filename="howsmytrack-users-')
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [row["email"] for row in rows] == ["'=cmd@example.com", "plain@example.com", "root@example.com"]
    assert {"id", "rating", "banned", "active_strikes"} <= set(rows[0])


def test_requests_groups_and_job_runs_filter(anon: TestClient, settings: Settings, admin: dict[str, str]) -> None:
    group = make_group(n=3, genre="jazz")
    make_request(make_user(), genre="pop")
    with database.connection_context():
        JobRun.create(job="assign_groups", outcome="ok")
        JobRun.create(job="clean_up", outcome="failed", error="boom")
    waiting = anon.get(f"{ADMIN}/requests", params={"state": "waiting"}, headers=admin).json()["items"]
    assert [(r["genre"], r["state"]) for r in waiting] == [("pop", "waiting")]
    jazz = anon.get(f"{ADMIN}/requests", params={"genre": "jazz"}, headers=admin).json()["items"]
    assert len(jazz) == 3 and {r["user"]["email"] for r in jazz} == {u.email for u in group.users}
    groups = anon.get(f"{ADMIN}/groups", params={"state": "open", "genre": "jazz"}, headers=admin).json()["items"]
    assert [(g["id"], g["size"], g["feedback_owed"]) for g in groups] == [(group.group.id, 3, 6)]
    assert anon.get(f"{ADMIN}/groups", params={"genre": "pop"}, headers=admin).json()["items"] == []
    failed = anon.get(f"{ADMIN}/job-runs", params={"outcome": "failed"}, headers=admin).json()["items"]
    assert [(r["job"], r["error"]) for r in failed] == [("clean_up", "boom")]


def test_group_detail_shows_who_owes_what(anon: TestClient, settings: Settings, admin: dict[str, str]) -> None:
    group = make_group(n=3)
    first = group.users[0]
    for response in group.to_review(first):
        submit(response)
    detail = anon.get(f"{ADMIN}/groups/{group.group.id}", headers=admin).json()["group"]
    members = {m["user"]["email"]: (m["feedback_to_write"], m["feedback_written"]) for m in detail["members"]}
    assert members[first.email] == (2, 2) and members[group.users[1].email] == (2, 0)
    written = [(r["writer_id"], r["submitted_at"] is not None) for r in detail["responses"]]
    assert sorted(written).count((first.id, True)) == 2 and len(written) == 6


def test_user_detail_counts_their_exchange(anon: TestClient, settings: Settings, admin: dict[str, str]) -> None:
    group = make_group(n=3)
    user = group.users[0]
    for response in group.to_review(user):
        submit(response)
    detail = anon.get(f"{ADMIN}/users/{user.id}", headers=admin).json()["user"]
    assert (detail["feedback_written"], detail["feedback_owed"], detail["feedback_received"]) == (2, 0, 0)
    assert [g["id"] for g in detail["groups"]] == [group.group.id] and len(detail["requests"]) == 1


@pytest.mark.parametrize("path", ["/users", "/requests", "/groups", "/reports", "/audit-log", "/job-runs"])
def test_a_list_runs_a_fixed_number_of_queries(
    anon: TestClient, settings: Settings, admin: dict[str, str], count_queries: QueryCounter, path: str
) -> None:
    def selects() -> int:
        count_queries.statements.clear()
        assert anon.get(ADMIN + path, headers=admin).status_code == 200
        return count_queries.reads()

    make_group(n=3)
    small = selects()
    for _ in range(3):
        make_group(n=4)
    anon.post(f"{ADMIN}/users/{make_user().id}/ban", json={"reason": "x"}, headers=admin)
    assert selects() == small == 3  # the admin check, the count, the page


def test_the_audit_log_is_append_only(db: str, admin: dict[str, str], anon: TestClient) -> None:
    user = make_user()
    anon.post(f"{ADMIN}/users/{user.id}/ban", json={"reason": "spam"}, headers=admin)
    with database.connection_context():
        for statement in ("UPDATE audit_log SET reason = 'nothing'", "DELETE FROM audit_log"):
            with pytest.raises(Exception, match="append-only"), database.atomic():
                database.execute_sql(statement)
        assert AuditLog.get().reason == "spam"
    log = anon.get(f"{ADMIN}/audit-log", headers=admin).json()["items"]
    assert [(e["actor"], e["action"], e["target_id"]) for e in log] == [("root@example.com", "ban", user.id)]


def test_operators_grant_revoke_and_list_admins_at_the_command_line(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}", "ENVIRONMENT": "development", "PATH": "/usr/bin"}

    def db(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "db", *args], cwd=ROOT, env=env, capture_output=True, text=True)

    assert db("migrate").returncode == 0
    from db.connection import init_database

    init_database(env["DATABASE_URL"], pool_size=2)
    make_user("ops@example.com")
    granted = db("admin", "grant", "OPS@example.com")
    assert granted.returncode == 0 and "ops@example.com is now an admin" in granted.stdout.lower()
    assert "ops@example.com" in db("admin", "list").stdout
    assert db("admin", "revoke", "ops@example.com").returncode == 0
    assert "ops@example.com" not in db("admin", "list").stdout
    assert db("admin", "grant", "nobody@example.com").returncode == 1
    assert db("admin", "frobnicate").returncode == 2
    with database.connection_context():
        assert [(e.actor, e.actor_id, e.action) for e in AuditLog.select().order_by(AuditLog.id)] == [
            ("command line", None, "grant_admin"),
            ("command line", None, "revoke_admin"),
        ]


def test_twenty_simultaneous_bans_ban_once(pg_settings: Settings) -> None:
    user, admin = make_user(), make_user(is_admin=True)
    url, headers = f"{ADMIN}/users/{user.id}/ban", bearer(pg_settings, admin)
    answers = simultaneously(pg_settings, "POST", url, json={"reason": "spam"}, headers=headers)
    assert Counter(answer.status_code for answer in answers) == {200: 1, 409: 19}
    with database.connection_context():
        assert AuditLog.select().count() == 1


@pytest.mark.parametrize("path", ["/users", "/users/1/ban", "/stats.csv", "/audit-log"])
def test_a_wrong_method_on_an_admin_path_is_a_404_to_anyone_but_an_admin(
    anon: TestClient, settings: Settings, admin: dict[str, str], path: str
) -> None:
    member = bearer(settings, make_user())
    method = "DELETE" if path != "/users/1/ban" else "GET"
    for headers in ({}, member):
        answer = anon.request(method, ADMIN + path, headers=headers)
        assert answer.status_code == 404 and "allow" not in answer.headers
        assert answer.json()["error"]["code"] == "not_found"
    as_admin = anon.request(method, ADMIN + path, headers=admin)
    assert as_admin.status_code == 405 and as_admin.headers["allow"]


def test_in_production_the_api_document_describes_admin_routes_only_to_admins(
    db: str, settings: Settings, admin: dict[str, str]
) -> None:
    from web.app import build_app

    production = settings.with_changes(environment="production", secret_key="p" * 40, web_url="https://example.com")
    with TestClient(build_app(production), base_url="https://example.com") as client:
        public = client.get("/openapi.json").json()
        member = client.get("/openapi.json", headers=bearer(production, make_user())).json()
        full = client.get("/openapi.json", headers=bearer(production, make_user(is_admin=True))).json()
    for document in (public, member):
        assert not [path for path in document["paths"] if "/admin" in path]
        assert "admin" not in str(document["tags"]) and "Admin" not in " ".join(document["components"]["schemas"])
        assert "/api/v1/groups/{group_id}" in document["paths"]
    assert "/api/v1/admin/users" in full["paths"]


def test_a_deleted_accounts_address_leaves_no_trace_in_the_audit_log(
    db: str, settings: Settings, anon: TestClient
) -> None:
    """Entries hold ids; the page joins today's addresses, so a deleted account's address is gone."""
    moderator = make_user("moderator@example.com", is_admin=True)
    target = make_user("leaving@example.com")
    headers = bearer(settings, moderator)
    assert anon.post(f"{ADMIN}/users/{target.id}/ban", json={"reason": "spam"}, headers=headers).status_code == 200
    assert anon.post(f"{ADMIN}/users/{target.id}/unban", json={"reason": "appeal"}, headers=headers).status_code == 200
    shown = anon.get(f"{ADMIN}/audit-log", headers=headers).json()["items"]
    assert {(e["actor"], e["target_email"]) for e in shown} == {("moderator@example.com", "leaving@example.com")}
    with database.connection_context():
        target = User.get_by_id(target.id)  # the ban ended its sessions
    gone = anon.request("DELETE", "/api/v1/me", headers=bearer(settings, target), json={"password": PASSWORD})
    assert gone.status_code == 204
    with database.connection_context():
        stored = database.execute_sql("SELECT * FROM audit_log").fetchall()
    assert len(stored) == 2 and "leaving@example.com" not in str(stored) and "moderator@" not in str(stored)
    after = anon.get(f"{ADMIN}/audit-log", headers=headers).json()["items"]
    assert [(e["actor"], e["target_id"], e["target_email"]) for e in after] == [
        ("moderator@example.com", target.id, None)
    ] * 2
