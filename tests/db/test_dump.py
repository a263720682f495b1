"""`python -m db export` / `import`: a rich data set exported from SQLite, imported into PostgreSQL
and exported again is the same file; and back. Imports refuse a non-empty database, another
migration level and another format version, and change nothing when they refuse."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from db import account_lifecycle, admins, dump, reports, responses
from db.accounts import load_current_user, revoke_token, start_password_reset
from db.audit import Actor
from db.connection import database
from db.errors import ValidationFailed
from db.feedback_form import AspectAnswer, Guided, Mark, Submission
from db.migrate import migrate
from db.models import (
    ALL_MODELS,
    FeedbackGroup,
    FeedbackRequest,
    FeedbackResponse,
    JobRun,
    RateLimitCounter,
    User,
    utcnow,
)
from jobs.assign_groups import assign_groups
from jobs.compute_stats import compute_stats
from jobs.enforce_deadlines import enforce_deadlines
from jobs.recommend_tracks import recommend_tracks
from jobs.runner import execute
from settings import Settings
from tests.builders import feedback_text, make_request, make_user
from tests.conftest import truncate_all
from tests.pg import use_database

ROOT = Path(__file__).parents[2]


def rich_data(settings: Settings) -> None:
    """Every table gets rows, through the service's own code where it has a way in."""
    users = [make_user(f"dump{i}@example.com", rating=3.25 + i / 7) for i in range(9)]
    for index, user in enumerate(users[:8]):
        prompt = f'Prompt ünïcode {index} "quoted"\nline two'
        make_request(
            user,
            tracked=index != 7,
            feedback_prompt=prompt,
            email_when_grouped=index % 2 == 0,
            aspects="mix,groove",
            track_length_s=200,
        )
    execute("assign_groups", lambda: assign_groups(settings))
    with database.connection_context():
        owner = users[0]
        on_owners_track = [r for r in FeedbackResponse.select() if r.request.user_id == owner.id]
        kept_short = min(r.user_id for r in on_owners_track)  # the one review the owner's track gets
        chosen = [
            response
            for response in FeedbackResponse.select().order_by(FeedbackResponse.id)
            if response.user_id == owner.id
            or (response.request.user_id == owner.id and response.user_id == kept_short)
            or (response.request.user_id != owner.id and (response.user_id + response.request_id) % 2 == 0)
        ]
        # The owner writes all they owe and gets one review: their track enters the pool at the deadline.
        answers = {"mix": AspectAnswer("Wide ✓", 4), "groove": AspectAnswer("Tight")}
        for response in chosen:
            writer = load_current_user(response.user_id, 0, "")
            with pytest.raises(ValidationFailed):  # the effort gate's refusal is kept
                responses.submit_response(writer, response.id, Submission("Too short", True))
            guided = Guided(answers, "0:42 ✓", "The intro", "Cut it") if response.id % 2 else None
            marks = [Mark(response.id % 60, None, "Here ✓")]
            submission = Submission(feedback_text(f"Feedback {response.id} ✓"), True, guided, marks)
            responses.submit_response(writer, response.id, submission)
            responses.create_reply(writer, response.id, "A note from the writer", True)
        start_password_reset(users[0].email, "reset-token", 3600, 1_800_000_000.0)
        account_lifecycle.start_email_change(load_current_user(users[1].id, 0, ""), "dump-new@example.com", "a-link")
        RateLimitCounter.create(key="auth-address:127.0.0.1", window=29_000_000, count=3, expires_at=utcnow())
        revoke_token("a-jti", 1_900_000_000)
        due = FeedbackGroup.select().first().due_at
    execute("enforce_deadlines", lambda: enforce_deadlines(settings, due + dt.timedelta(hours=1)))
    make_request(users[8])
    execute("recommend_tracks", lambda: recommend_tracks(settings))
    # Moderation: a report on the one review of the owner's track, resolved by a new admin.
    admins.grant(users[0].email)
    with database.connection_context():
        review = FeedbackResponse.get(
            (FeedbackResponse.user == kept_short)
            & FeedbackResponse.submitted_at.is_null(False)
            & (
                FeedbackResponse.request.in_(
                    FeedbackRequest.select(FeedbackRequest.id).where(FeedbackRequest.user == owner.id)
                )
            )
        )
        report = reports.create_report(load_current_user(owner.id, 0, ""), review.id, None, "low_effort", "One line")
        reports.resolve(Actor(owner.id), report["id"], "warn", "Say what you heard")
    execute("compute_stats", lambda: compute_stats(settings, due + dt.timedelta(days=1)))


def _fresh(url: str) -> Any:
    db = use_database(url, pool_size=4)
    migrate(db)
    truncate_all()
    return db


def test_a_dump_moves_between_sqlite_and_postgresql_unchanged(
    sqlite_url: str, postgresql_url: str, tmp_path: Path
) -> None:
    lite = _fresh(sqlite_url)
    rich_data(Settings(database_url=sqlite_url, mail_folder=str(tmp_path / "mail")))
    first = dump.export_data(lite)
    assert all(table["rows"] for name, table in first["tables"].items()), [
        name for name, table in first["tables"].items() if not table["rows"]
    ]
    pg = _fresh(postgresql_url)
    counts = dump.import_data(pg, json.loads(json.dumps(first)))
    assert counts == {name: len(table["rows"]) for name, table in first["tables"].items()}
    assert dump.export_data(pg) == first
    with pg.connection_context():  # ids go on from the imported ones
        assert make_user("after@example.com").id == max(row[0] for row in first["tables"]["user"]["rows"]) + 1
    second = dump.export_data(pg)
    back = _fresh(f"sqlite:///{tmp_path / 'back.sqlite3'}")
    dump.import_data(back, second)
    assert dump.export_data(back) == second


def test_import_refuses_what_it_cannot_load_and_changes_nothing(sqlite_url: str, tmp_path: Path) -> None:
    lite = _fresh(sqlite_url)
    make_user("someone@example.com")
    document = dump.export_data(lite)
    with pytest.raises(dump.DumpError, match="not empty"):
        dump.import_data(lite, document)
    truncate_all()
    for change, reason in (
        ({"migration": "0001_initial"}, "migration"),
        ({"version": 2}, "version"),
        ({"format": "something-else"}, "version"),
    ):
        with pytest.raises(dump.DumpError, match=reason):
            dump.import_data(lite, document | change)
    broken = json.loads(json.dumps(document))
    broken["tables"]["user"]["columns"].append("shoe_size")
    with pytest.raises(dump.DumpError, match="columns"):
        dump.import_data(lite, broken)
    with lite.connection_context():
        assert User.select().count() == 0 and JobRun.select().count() == 0
    # A failure part-way (here: a row that breaks a constraint the checks do not know) leaves nothing behind either.
    clash = json.loads(json.dumps(document))
    counter = {"key": "k", "window": 1, "count": 1, "expires_at": None}
    columns = clash["tables"]["rate_limit_counter"]["columns"]
    clash["tables"]["rate_limit_counter"]["rows"] = [[counter[name] for name in columns]] * 2  # one (key, window)
    with pytest.raises(dump.DumpError, match="the database refused the file"):
        dump.import_data(lite, clash)
    with lite.connection_context():
        assert all(model.select().count() == 0 for model in ALL_MODELS)


def _broken(document: dict, table: str, column: str, value: object) -> dict:
    changed = json.loads(json.dumps(document))
    columns = changed["tables"][table]["columns"]
    changed["tables"][table]["rows"][0][columns.index(column)] = value
    return changed


@pytest.mark.parametrize(
    ("table", "column", "value", "why"),
    [
        ("user", "is_admin", "false", "must be true or false"),
        ("user", "is_admin", 1, "must be true or false"),
        ("user", "email", ["a"], "must be text"),
        ("user", "email", None, "may not be null"),
        ("user", "email", "x" * 255, "is longer than 254"),
        ("user", "token_version", "3", "must be a whole number"),
        ("user", "token_version", True, "must be a whole number"),
        ("user", "rating", "4.5", "must be a number"),
        ("user", "created_at", "yesterday", "ISO 8601"),
        ("user", "created_at", {"nested": [1]}, "ISO 8601"),
        ("feedback_request", "user_id", 999, "refers to user 999"),
    ],
)
def test_import_refuses_wrongly_typed_values_naming_table_row_and_column(
    sqlite_url: str, table: str, column: str, value: object, why: str
) -> None:
    lite = _fresh(sqlite_url)
    make_request(make_user("typed@example.com"))
    document = dump.export_data(lite)
    truncate_all()
    with pytest.raises(dump.DumpError, match=f"table {table}, row 1, column {column}: .*{why}"):
        dump.import_data(lite, _broken(document, table, column, value))
    with lite.connection_context():
        assert all(model.select().count() == 0 for model in ALL_MODELS)


def test_import_refuses_malformed_documents_with_one_line(sqlite_url: str, tmp_path: Path) -> None:
    lite = _fresh(sqlite_url)
    make_user("shape@example.com")
    document = dump.export_data(lite)
    truncate_all()
    users = document["tables"]["user"]
    cases = [
        ({k: v for k, v in document.items() if k != "tables"}, "no `tables`"),
        (document | {"tables": []}, "no `tables`"),
        (document | {"tables": {"user": []}}, "needs `columns` and `rows`"),
        (document | {"tables": {"user": users | {"rows": [users["rows"][0][:3]]}}}, "row 1: needs"),
        (document | {"tables": {"user": users | {"rows": "many"}}}, "needs `columns` and `rows`"),
        (document | {"tables": {"user": users | {"rows": [users["rows"][0]] * 2}}}, "row 2, column id: duplicate id"),
        (document | {"tables": {"shoes": users}}, "tables this schema does not: shoes"),
    ]
    for broken, why in cases:
        with pytest.raises(dump.DumpError, match=why):
            dump.import_data(lite, broken)
    deep = tmp_path / "deep.json"
    deep.write_text('{"tables": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(dump.DumpError, match=r"nested too deeply|cannot read"):
        dump.read(lite, deep)
    with lite.connection_context():
        assert all(model.select().count() == 0 for model in ALL_MODELS)


def test_the_commands_export_and_import_files(tmp_path: Path) -> None:
    source, target = tmp_path / "source.sqlite3", tmp_path / "target.sqlite3"

    def run(url: Path, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{url}", "ENVIRONMENT": "development"}
        return subprocess.run([sys.executable, "-m", "db", *args], cwd=ROOT, env=env, capture_output=True, text=True)

    assert run(source, "demo").returncode == 0
    exported = run(source, "export", str(tmp_path / "dump.json"))
    assert exported.returncode == 0 and "row(s)" in exported.stdout
    imported = run(target, "import", str(tmp_path / "dump.json"))
    assert imported.returncode == 0, imported.stderr
    again = run(target, "import", str(tmp_path / "dump.json"))
    assert again.returncode == 1 and "not empty" in again.stderr
    assert run(target, "export").returncode == 2
    assert json.loads((tmp_path / "dump.json").read_text())["format"] == dump.FORMAT
