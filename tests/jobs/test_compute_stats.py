"""compute_stats: each figure of a day from rows with known times, on both backends; the job
stores finished days (and backfills), and the admin route serves them with today's live."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from starlette.testclient import TestClient

from db import stats
from db.connection import database
from db.models import DailyStats, FeedbackGroup, FeedbackRequest, FeedbackResponse, Reply, User
from jobs.compute_stats import compute_stats
from jobs.runner import execute
from settings import Settings
from tests.builders import bearer, make_user
from web.app import build_app

DAY = dt.date(2026, 11, 10)
START = dt.datetime.combine(DAY, dt.time())


def at(hours: float) -> dt.datetime:
    """`hours` after the start of DAY (negative: before it)."""
    return START + dt.timedelta(hours=hours)


def group(formed: float, due: float, members: list[User], genre: str = "electronic") -> list[FeedbackRequest]:
    g = FeedbackGroup.create(name=f"G{formed}", genres=genre, created_at=at(formed), due_at=at(due))
    return [
        FeedbackRequest.create(
            user=u,
            genre=genre,
            media_url=f"https://soundcloud.com/a/t{u.id}",
            media_type="soundcloud",
            group=g,
            created_at=at(formed - 0.25),
        )
        for u in members
    ]


def review(
    request: FeedbackRequest,
    writer: User,
    submitted: float | None = None,
    rating: int | None = None,
    rated: float | None = None,
) -> FeedbackResponse:
    return FeedbackResponse.create(
        request=request,
        user=writer,
        group=request.group_id,
        feedback="ok",
        submitted_at=None if submitted is None else at(submitted),
        rating=rating,
        rated_at=None if rated is None else at(rated),
    )


def the_day() -> None:
    """Rows around DAY with known figures (see the assertions)."""
    old = [make_user(created_at=at(-100)) for _ in range(6)]
    new = [make_user(created_at=at(h)) for h in (1, 5, 9)]  # 3 sign-ups
    with database.atomic():
        # A group whose deadline falls on DAY: 6 owed, 4 on time, 1 late, 1 never.
        a, b, c = group(-70, 2, old[:3])
        review(a, old[1], -60), review(a, old[2], -50), review(b, old[0], -40), review(b, old[2], 1)
        review(c, old[0], 5)  # late: after the 02:00 deadline
        review(c, old[1])
        # A group formed on DAY: first feedback 2, 6 and 10 hours after forming.
        x, y, z = group(0.5, 72.5, new)
        review(x, new[1], 2.5), review(x, new[2], 4.5)
        review(y, new[0], 6.5)
        review(z, new[0], 10.5)
        review(y, new[2]), review(z, new[1])
        # A complete group due on DAY: finished 36 hours after forming; the fastest.
        p, q = group(-72, 3, old[3:5], genre="jazz")
        review(p, old[4], -40, rating=5, rated=-30), review(q, old[3], -36, rating=4, rated=12)
        # A trackless request made on DAY.
        FeedbackRequest.create(user=old[5], genre="pop", created_at=at(20))
        # Ratings on DAY: 4 (above), 5 and 4 on the old group's reviews.
        FeedbackResponse.update(rating=5, rated_at=at(13)).where(FeedbackResponse.id == 1).execute()
        FeedbackResponse.update(rating=4, rated_at=at(14)).where(FeedbackResponse.id == 2).execute()
        # 3 replies on 2 threads on DAY, one the day before.
        Reply.create(response=1, author=old[1], text="a", created_at=at(15))
        Reply.create(response=1, author=old[0], text="b", created_at=at(16))
        Reply.create(response=2, author=old[2], text="c", created_at=at(17))
        Reply.create(response=2, author=old[2], text="d", created_at=at(-2))
        # A helpful reviewer: five ratings in the 30 days to DAY, mean 4.8.
        helper = old[5]
        for index, rating in enumerate((5, 5, 5, 4, 5)):
            [t] = group(-200 - index, -100 - index, [make_user(created_at=at(-300))], genre="rock_metal_punk")
            review(t, helper, -150 - index, rating=rating, rated=-120 - index)


def test_each_figure_of_a_day(db: str) -> None:
    with database.connection_context():
        the_day()
        figures = stats.compute_day(DAY)
    assert figures["signups"] == 3
    assert figures["requests"] == {"total": 4, "tracked": 3, "trackless": 1, "by_genre": {"electronic": 3, "pop": 1}}
    assert figures["groups"] == {"formed": 1, "sizes": {"3": 1}}
    assert figures["feedback"] == {"owed": 8, "written_on_time": 6, "completion_rate": 0.75}
    # First feedback on DAY: 2, 6 and 10 hours after forming, and the late one's track after 75.
    assert figures["median_hours_to_first_feedback"] == 8.0
    assert figures["ratings"] == {"count": 3, "mean": 4.33, "distribution": {"1": 0, "2": 0, "3": 0, "4": 2, "5": 1}}
    assert figures["replies"] == {"replies": 3, "threads": 2, "per_thread": 1.5}
    [helpful] = figures["extremes"]["helpful_reviewers"]
    assert (helpful["mean_rating"], helpful["ratings"]) == (4.8, 5)
    assert [(g["name"], g["hours"]) for g in figures["extremes"]["fastest_groups"]] == [("G-72", 36.0)]
    # Requests made, feedback submitted, replies written and ratings given on DAY:
    assert figures["active_users"] == 8


def test_the_job_stores_finished_days_and_the_route_serves_them(db: str, settings: Settings) -> None:
    with database.connection_context():
        the_day()
    execute("compute_stats", lambda: compute_stats(settings, at(27)))
    with database.connection_context():
        stored = [row.day for row in DailyStats.select().order_by(DailyStats.day)]
    assert len(stored) == stats.BACKFILL_DAYS and stored[-1] == DAY.isoformat()
    execute("compute_stats", lambda: compute_stats(settings, at(51)))  # the next night: yesterday and the new day
    with database.connection_context():
        assert DailyStats.select().count() == stats.BACKFILL_DAYS + 1
        admin = bearer(settings, make_user(is_admin=True))
    with TestClient(build_app(settings)) as client:
        series = client.get("/api/v1/admin/stats", params={"from": "2026-11-10", "to": "2026-11-10"}, headers=admin)
        [day] = series.json()["days"]
        assert day["live"] is False and day["feedback"]["completion_rate"] == 0.75
        assert day["extremes"]["helpful_reviewers"][0]["email"].endswith("@example.com")
        today = client.get("/api/v1/admin/stats", headers=admin).json()["days"]
        assert today[-1]["live"] is True and today[-1]["signups"] == 1  # the admin, made just now
        exported = client.get(
            "/api/v1/admin/stats.csv", params={"from": "2026-11-09", "to": "2026-11-10"}, headers=admin
        )
        rows = list(csv.DictReader(io.StringIO(exported.text)))
        assert [r["day"] for r in rows] == ["2026-11-09", "2026-11-10"] and rows[1]["ratings.distribution.4"] == "2"
        too_early = {"to": "0001-01-02"}  # the default 30 days would start before the calendar does
        for params in (
            {"from": "2026-11-11", "to": "2026-11-10"},
            {"from": "2024-01-01", "to": "2026-11-10"},
            too_early,
        ):
            assert client.get("/api/v1/admin/stats", params=params, headers=admin).status_code == 422


@pytest.mark.parametrize("hours", [27.0])
def test_a_run_on_an_empty_service_stores_empty_days(db: str, settings: Settings, hours: float) -> None:
    execute("compute_stats", lambda: compute_stats(settings, at(hours)))
    with database.connection_context():
        day = stats.series(DAY, DAY, DAY + dt.timedelta(days=1))[0]
    assert (
        day["signups"] == 0
        and day["feedback"]["completion_rate"] is None
        and day["median_hours_to_first_feedback"] is None
    )
