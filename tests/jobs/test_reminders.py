from __future__ import annotations

import datetime as dt

from db.connection import database
from db.models import FeedbackGroup, FeedbackRequest, FeedbackResponse, User, utcnow
from jobs.runner import execute
from jobs.send_group_reminders import send_group_reminders
from settings import Settings
from tests.builders import make_group
from tests.smtp import SmtpSink


def _age(group_id: int, hours: float) -> None:
    with database.connection_context():
        FeedbackGroup.update(created_at=utcnow() - dt.timedelta(hours=hours)).where(
            FeedbackGroup.id == group_id
        ).execute()


def _ask_for_email(*request_ids: int) -> None:
    with database.connection_context():
        FeedbackRequest.update(email_when_grouped=True).where(FeedbackRequest.id.in_(request_ids)).execute()


def test_reminders_go_once_to_members_who_still_owe_feedback(db: str, mail_settings: Settings, smtp: SmtpSink) -> None:
    group = make_group(n=4)
    owes, done, no_reminders, _no_email = group.users
    _ask_for_email(*(group.requests[u.id].id for u in (owes, done, no_reminders)))
    with database.connection_context():
        FeedbackResponse.update(submitted_at=utcnow(), feedback="x").where(FeedbackResponse.user == done.id).execute()
        User.update(send_reminder_emails=False).where(User.id == no_reminders.id).execute()
    young = make_group(n=3)
    _ask_for_email(*(r.id for r in young.requests.values()))
    _age(group.group.id, 21)
    _age(young.group.id, 19)
    status, result = execute("send_group_reminders", lambda: send_group_reminders(mail_settings))
    assert status == 0 and result.counts["queued"] == 1 and result.counts["emails_sent"] == 1
    assert [message["To"] for message in smtp.messages] == [owes.email]
    assert "Reminder" in smtp.messages[0]["Subject"]
    assert f"https://howsmytrack.example/groups/{group.group.id}" in smtp.bodies(smtp.messages[0])[0]
    status, result = execute("send_group_reminders", lambda: send_group_reminders(mail_settings))
    assert result.counts["queued"] == 0 and len(smtp.messages) == 1
