from __future__ import annotations

import datetime as dt

import pytest

from db.connection import database
from db.models import FeedbackGroup, FeedbackRequest, FeedbackResponse, User, utcnow
from jobs.calculate_user_ratings import calculate_user_ratings
from jobs.runner import execute
from jobs.send_group_reminders import send_group_reminders
from settings import Settings
from tests.builders import make_group, make_user
from tests.smtp import SmtpSink


def rated_responses(writer: User, ratings: list[int | None], submitted: bool = True) -> None:
    """Give `writer` submitted responses, oldest first, with these ratings (None = not rated)."""
    base = utcnow() - dt.timedelta(days=100)
    with database.connection_context(), database.atomic():
        for index, rating in enumerate(ratings):
            owner = User.create(email=f"owner-{writer.id}-{index}@example.com", password_hash="x")
            group = FeedbackGroup.create(name="g", genres="pop")
            request = FeedbackRequest.create(
                user=owner,
                media_url=f"https://soundcloud.com/o{writer.id}/t{index}",
                media_type="soundcloud",
                genre="pop",
                group=group,
            )
            FeedbackResponse.create(
                request=request,
                user=writer,
                group=group,
                feedback="f",
                submitted_at=base + dt.timedelta(days=index) if submitted else None,
                rating=rating,
                rated_at=utcnow() if rating else None,
            )


def rating_of(user: User) -> float | None:
    with database.connection_context():
        return User.get_by_id(user.id).rating


def test_rating_is_the_mean_of_the_latest_fifteen(db: str) -> None:
    writer = make_user()
    rated_responses(writer, [1] * 5 + [5] * 15 + [None, None])
    status, result = execute("calculate_user_ratings", calculate_user_ratings)
    assert status == 0 and result.counts["changed"] == 1
    assert rating_of(writer) == pytest.approx(5.0)


def test_mean_over_fewer_than_fifteen(db: str) -> None:
    writer = make_user()
    rated_responses(writer, [2, 3, 5, 4])
    execute("calculate_user_ratings", calculate_user_ratings)
    assert rating_of(writer) == pytest.approx(3.5)


def test_fewer_than_three_ratings_keep_the_previous_rating(db: str) -> None:
    newcomer, veteran = make_user(), make_user(rating=4.2)
    rated_responses(newcomer, [5, 5])
    rated_responses(veteran, [1, None, None])
    execute("calculate_user_ratings", calculate_user_ratings)
    assert rating_of(newcomer) is None and rating_of(veteran) == pytest.approx(4.2)


def test_ratings_rerun_changes_nothing(db: str) -> None:
    writer = make_user()
    rated_responses(writer, [4, 4, 5])
    execute("calculate_user_ratings", calculate_user_ratings)
    status, result = execute("calculate_user_ratings", calculate_user_ratings)
    assert status == 0 and result.counts["changed"] == 0


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
