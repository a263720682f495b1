from __future__ import annotations

import json

from db.connection import database
from db.models import EmailOutbox, FeedbackGroup, FeedbackRequest, FeedbackResponse, JobRun
from jobs.assign_groups import assign_groups
from jobs.runner import execute
from settings import Settings
from tests.builders import make_request, make_user
from tests.pg import free_port
from tests.smtp import SmtpSink


def run(settings: Settings) -> tuple[int, dict]:
    status, result = execute("assign_groups", lambda: assign_groups(settings))
    return status, result.counts


def groups_by_request() -> dict[int, int | None]:
    with database.connection_context():
        return {r.id: r.group_id for r in FeedbackRequest.select()}


def test_assigns_requests_writes_responses_and_names_groups(db: str, settings: Settings) -> None:
    tracked = [make_request(make_user(), genre="jazz") for _ in range(4)]
    trackless = make_request(make_user(), tracked=False, genre="jazz")
    status, counts = run(settings)
    assert status == 0
    assert counts["groups"] == 1 and counts["assigned"] == 5 and counts["responses"] == 4 * 3 + 4
    with database.connection_context():
        group = FeedbackGroup.get()
        assert group.name == f"Feedback Group #{group.id} - Jazz" and group.genres == "jazz"
        assert set(groups_by_request().values()) == {group.id}
        pairs = {(r.user_id, r.request_id) for r in FeedbackResponse.select()}
        for writer in [*tracked, trackless]:
            expected = {(writer.user_id, other.id) for other in tracked if other.id != writer.id}
            assert {pair for pair in pairs if pair[0] == writer.user_id} == expected
        assert not any(request_id == trackless.id for _, request_id in pairs)


def test_running_twice_assigns_nothing_twice(db: str, settings: Settings) -> None:
    for _ in range(3):
        make_request(make_user())
    run(settings)
    before = groups_by_request()
    status, counts = run(settings)
    assert status == 0 and counts["assigned"] == 0 and groups_by_request() == before
    with database.connection_context():
        assert FeedbackResponse.select().count() == 6


def test_single_tracked_request_and_trackless_ones_wait(db: str, settings: Settings) -> None:
    make_request(make_user())
    make_request(make_user(), tracked=False)
    make_request(make_user(), tracked=False)
    status, counts = run(settings)
    assert status == 0 and counts["groups"] == 0
    assert set(groups_by_request().values()) == {None}


def test_each_run_is_recorded(db: str, settings: Settings) -> None:
    for _ in range(3):
        make_request(make_user())
    run(settings)
    with database.connection_context():
        record = JobRun.get()
    assert record.job == "assign_groups" and record.outcome == "ok" and record.finished_at >= record.started_at
    assert json.loads(record.counts)["assigned"] == 3 and record.error is None


def test_grouped_emails_go_to_those_who_asked(db: str, mail_settings: Settings, smtp: SmtpSink) -> None:
    asked = make_user("asked@example.com")
    make_request(asked, email_when_grouped=True)
    for _ in range(2):
        make_request(make_user())
    status, counts = run(mail_settings)
    assert status == 0 and counts["emails_sent"] == 1
    assert [message["To"] for message in smtp.messages] == ["asked@example.com"]
    text, html = smtp.bodies(smtp.messages[0])
    with database.connection_context():
        group_id = FeedbackGroup.get().id
    assert f"https://howsmytrack.example/groups/{group_id}" in text and "<a href=" in html
    run(mail_settings)
    assert len(smtp.messages) == 1


def test_smtp_down_keeps_the_assignment_and_retries_the_email(db: str, mail_settings: Settings, smtp: SmtpSink) -> None:
    make_request(make_user("asked@example.com"), email_when_grouped=True)
    for _ in range(2):
        make_request(make_user())
    down = mail_settings.with_changes(smtp_url=f"smtp://127.0.0.1:{free_port()}")
    status, counts = run(down)
    assert status == 1 and counts["assigned"] == 3 and counts["emails_failed"] == 1
    with database.connection_context():
        assert FeedbackRequest.select().where(FeedbackRequest.group.is_null()).count() == 0
        record = JobRun.select().order_by(JobRun.id.desc()).get()
        assert record.outcome == "partial" and "not sent" in record.error
        assert EmailOutbox.get().sent_at is None
    an_hour_later = mail_settings.clock() + 3600  # past the failed email's back-off
    status, counts = run(mail_settings.with_changes(clock=lambda: an_hour_later))
    assert status == 0 and counts["emails_sent"] == 1 and counts["assigned"] == 0
    assert [message["To"] for message in smtp.messages] == ["asked@example.com"]
