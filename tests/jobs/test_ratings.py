"""The reviewer rating (db/ratings.py), on both databases: checked against a plain-Python statement
of the same formula over random data, and on the cases that matter to people (newcomers, harsh and
lenient raters, old ratings, removed feedback, percentiles)."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

import pytest

from db.connection import database
from db.models import FeedbackGroup, FeedbackRequest, FeedbackResponse, User, utcnow
from jobs.calculate_user_ratings import calculate_user_ratings
from jobs.runner import execute
from settings import Settings
from tests.builders import make_user

NOW = utcnow()


def rate(writer: User, rater: User, rating: int, days_ago: float = 0, hidden: bool = False) -> None:
    """`rater` rated, `days_ago`, feedback that `writer` wrote on the rater's track."""
    with database.connection_context(), database.atomic():
        group = FeedbackGroup.create(name="g", genres="pop")
        request = FeedbackRequest.create(user=rater, media_url=None, genre="pop", group=group)
        when = NOW - dt.timedelta(days=days_ago)
        FeedbackResponse.create(
            request=request,
            user=writer,
            group=group,
            feedback="f",
            submitted_at=when,
            rating=rating,
            rated_at=when,
            hidden_at=when if hidden else None,
        )


def ratings() -> dict[int, tuple[float | None, float | None]]:
    with database.connection_context():
        return {user.id: (user.rating, user.rating_percentile) for user in User.select()}


def run(settings: Settings | None = None) -> int:
    """The job at a fixed moment (ratings' weights follow their age: a moving clock moves them)."""
    status, result = execute("calculate_user_ratings", lambda: calculate_user_ratings(settings or Settings(), NOW))
    assert status == 0
    return result.counts["changed"]


def reference(given: list[tuple[int, int, int, float]], users: list[int], weight: float, half_life: float) -> dict:
    """The documented formula in plain Python: (writer, rater, rating, age in days) -> rating."""
    m = sum(r for _, _, r, _ in given) / len(given) if given else 3.0
    by_rater: dict[int, list[int]] = defaultdict(list)
    for _, rater, r, _ in given:
        by_rater[rater].append(r)
    leniency = {rater: sum(r - m for r in rs) / (len(rs) + weight) for rater, rs in by_rater.items()}
    top: dict[int, float] = defaultdict(float)
    bottom: dict[int, float] = defaultdict(float)
    for writer, rater, r, age in given:
        w = 0.5 ** (age / half_life)
        top[writer] += w * min(5.0, max(1.0, r - leniency[rater]))
        bottom[writer] += w
    return {user: (weight * m + top[user]) / (weight + bottom[user]) for user in users}


def test_the_job_computes_the_documented_formula(db: str) -> None:
    rng = random.Random(7)
    users = [make_user() for _ in range(12)]
    given = []
    for _ in range(60):
        writer, rater = rng.sample(users, 2)
        rating, age = rng.randint(1, 5), rng.choice([0, 3, 45, 90, 400])
        rate(writer, rater, rating, days_ago=age)
        given.append((writer.id, rater.id, rating, age))
    run(Settings(rating_prior_weight=2.5, rating_half_life_days=60))
    expected = reference(given, [user.id for user in users], 2.5, 60)
    got = ratings()
    for user in users:
        assert got[user.id][0] == pytest.approx(expected[user.id], abs=1e-9)


def test_a_newcomer_starts_at_the_sites_mean_and_is_not_ranked(db: str) -> None:
    writer, rater, newcomer = make_user(), make_user(), make_user()
    for value in (4, 4, 5, 3):
        rate(writer, rater, value)
    run()
    rating, percentile = ratings()[newcomer.id]
    assert rating == pytest.approx(4.0) and percentile is None


def test_a_few_ratings_move_a_rating_only_part_of_the_way(db: str) -> None:
    raters = [make_user() for _ in range(4)]
    veteran, newcomer = make_user(), make_user()
    for rater in raters:
        for _ in range(5):
            rate(veteran, rater, 3)
    rate(newcomer, raters[0], 5)
    run()
    veteran_rating, newcomer_rating = ratings()[veteran.id][0], ratings()[newcomer.id][0]
    assert 3.0 < newcomer_rating < 4.0 and veteran_rating < newcomer_rating


def test_a_lenient_raters_fives_count_for_less_than_a_harsh_raters(db: str) -> None:
    lenient, harsh, a, b, others = make_user(), make_user(), make_user(), make_user(), make_user()
    for _ in range(10):  # the lenient rater gives everyone 5, the harsh one 2
        rate(others, lenient, 5)
        rate(others, harsh, 2)
    rate(a, lenient, 5)  # a's 5 is the lenient rater's usual
    rate(b, harsh, 4)  # b's 4 is far above what the harsh rater gives
    run()
    assert ratings()[b.id][0] > ratings()[a.id][0]


def test_old_ratings_count_less_and_removed_feedback_not_at_all(db: str) -> None:
    rater, improved, removed, newcomer = make_user(), make_user(), make_user(), make_user()
    for _ in range(5):
        rate(improved, rater, 1, days_ago=720)
        rate(improved, rater, 5, days_ago=1)
        rate(removed, rater, 5, hidden=True)
    run()
    got = ratings()
    assert got[improved.id][0] > 3.5  # the recent fives outweigh the old ones
    assert got[removed.id] == got[newcomer.id]  # at the prior, unranked, like someone never rated


def test_percentiles_rank_rated_reviewers_and_a_rerun_changes_nothing(db: str) -> None:
    rater = make_user()
    writers = [make_user() for _ in range(4)]
    for index, writer in enumerate(writers):
        for _ in range(3):
            rate(writer, rater, index + 2)
    assert run() > 0
    got = ratings()
    assert [got[writer.id][1] for writer in writers] == [0.0, 25.0, 50.0, 75.0]
    assert got[rater.id][1] is None  # nobody rated the rater's own feedback
    assert run() == 0
