"""`python -m bench.rating_sim`: is the new reviewer rating fairer than the plain mean of the last 15?

A synthetic community, run twice from the same seed, once grouped by each rating:
- reviewers with a known true quality (how useful their feedback is, 1-5), some there from the start
  and newcomers joining over the run;
- each reviewer, as an owner, rates with a known leniency (a harsh or generous hand) plus noise;
- every day about 60 % of members ask for feedback, the real planner (`db/group_planning.py`) forms
  groups by the rating under test, every member reviews every other member's track, and owners rate
  what they got;
- each night the rating is recomputed: the old one in Python (mean of the latest 15 ratings, 0 for
  fewer than 3, as the original did), the new one by the real job's SQL (`db/ratings.py`) on a
  SQLite database with the real schema.

Reported per rating: the Spearman correlation of the final ratings with true quality (reviewers
rated at least once; the old rating counts as 0 until it exists), the share of newcomers' first-week group partners who are in the bottom
quartile of true quality (random grouping would give 25 %), and the median days from joining until
a good newcomer (top quartile of true quality) is rated in the top half of rated reviewers (never:
counted as the days left in the run).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from db.connection import database, init_database
from db.group_planning import Candidate, plan_groups
from db.migrate import migrate
from db.ratings import update_ratings

START = dt.datetime(2026, 1, 1, 2, 0)
OLD_WINDOW, OLD_MINIMUM = 15, 3


@dataclass
class World:
    reviewers: int
    days: int
    seed: int
    quality: dict[int, float] = field(default_factory=dict)
    leniency: dict[int, float] = field(default_factory=dict)
    joined: dict[int, int] = field(default_factory=dict)  # user id -> the day they joined

    @classmethod
    def make(cls, reviewers: int, days: int, seed: int) -> World:
        rng = random.Random(seed)
        world = cls(reviewers, days, seed)
        founders = int(reviewers * 0.9)
        for user in range(1, reviewers + 1):
            world.quality[user] = min(4.8, max(1.2, rng.gauss(3.0, 0.9)))
            world.leniency[user] = rng.gauss(0.0, 0.8)
            world.joined[user] = 0 if user <= founders else rng.randint(1, max(1, days - 10))
        return world

    def rate(self, rng: random.Random, writer: int, owner: int) -> int:
        return min(5, max(1, round(self.quality[writer] + self.leniency[owner] + rng.gauss(0, 0.5))))


def spearman(xs: list[float], ys: list[float]) -> float:
    def ranks(values: list[float]) -> list[float]:
        order = sorted(range(len(values)), key=lambda i: values[i])
        result = [0.0] * len(values)
        i = 0
        while i < len(order):
            j = i
            while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
                j += 1
            for k in range(i, j + 1):
                result[order[k]] = (i + j) / 2
            i = j + 1
        return result

    return statistics.correlation(ranks(xs), ranks(ys))


class Ratings:
    """One way of rating reviewers; `update` runs nightly over everything rated so far."""

    name = ""

    def __init__(self, world: World, path: Path) -> None:
        self.world = world
        self.current: dict[int, float | None] = {}
        init_database(f"sqlite:///{path}", pool_size=1)
        migrate(database)
        database.connect(reuse_if_open=True)
        with database.atomic():
            database.execute_sql(
                'INSERT INTO "user" (id, email, password_hash, send_reminder_emails, is_admin, token_version, created_at) '
                "VALUES " + ", ".join(f"({u}, 'sim{u}@example.com', 'x', 0, 0, 0, '{START}')" for u in world.quality)
            )

    def update(self, now: dt.datetime, ratings: list[tuple[int, int, int, dt.datetime]]) -> None:
        raise NotImplementedError


class OldRatings(Ratings):
    name = "mean of the last 15"

    def update(self, now: dt.datetime, ratings: list[tuple[int, int, int, dt.datetime]]) -> None:
        by_writer: dict[int, list[int]] = defaultdict(list)
        for writer, _, value, _ in ratings:  # in the order they were given
            by_writer[writer].append(value)
        for writer, values in by_writer.items():
            if len(values) >= OLD_MINIMUM:
                recent = values[-OLD_WINDOW:]
                self.current[writer] = sum(recent) / len(recent)

    def grouping_rating(self, user: int) -> float | None:
        return self.current.get(user)  # the planner counts a newcomer's None as 0


class NewRatings(Ratings):
    name = "new (db/ratings.py)"

    def __init__(self, world: World, path: Path, weight: float = 3.0, half_life: float = 90.0) -> None:
        super().__init__(world, path)
        self.weight, self.half_life = weight, half_life
        self.written = 0

    def update(self, now: dt.datetime, ratings: list[tuple[int, int, int, dt.datetime]]) -> None:
        fresh = ratings[self.written :]
        self.written = len(ratings)
        with database.atomic():
            if fresh:
                database.execute_sql(
                    "INSERT INTO feedback_group (id, name, genres, created_at) VALUES (1, 'sim', 'no_genre', ?) "
                    "ON CONFLICT DO NOTHING",
                    (str(START),),
                )
                rows = []
                for writer, owner, value, when in fresh:
                    rows.append((owner, writer, value, str(when)))
                for owner, writer, value, when in rows:
                    cursor = database.execute_sql(
                        "INSERT INTO feedback_request (user_id, genre, feedback_prompt, email_when_grouped, group_id, "
                        "created_at, track_fetch_attempts, aspects) VALUES (?, 'no_genre', '', 0, 1, ?, 0, '')",
                        (owner, when),
                    )
                    database.execute_sql(
                        "INSERT INTO feedback_response (request_id, user_id, group_id, feedback, submitted_at, "
                        "allow_replies, rating, rated_at, extra) VALUES (?, ?, 1, 'f', ?, 0, ?, ?, 0)",
                        (cursor.lastrowid, writer, when, value, when),
                    )
            update_ratings(now, self.weight, self.half_life)
        self.current = {
            user: rating for user, rating in database.execute_sql('SELECT id, rating FROM "user"').fetchall()
        }

    def grouping_rating(self, user: int) -> float | None:
        return self.current.get(user)


def run(world: World, rating: Any) -> dict[str, Any]:
    rng = random.Random(world.seed + 1)
    given: list[tuple[int, int, int, dt.datetime]] = []
    bottom = set(sorted(world.quality, key=world.quality.get)[: len(world.quality) // 4])  # type: ignore[arg-type]
    top = set(sorted(world.quality, key=world.quality.get)[-(len(world.quality) // 4) :])  # type: ignore[arg-type]
    first_week: dict[int, list[int]] = defaultdict(list)  # newcomer -> partners in their first week
    reached_top_half: dict[int, int] = {}
    request_id = 0
    for day in range(world.days):
        now = START + dt.timedelta(days=day)
        members = [u for u, joined in world.joined.items() if joined <= day]
        asking = [u for u in members if rng.random() < 0.6]
        candidates = []
        for user in asking:
            request_id += 1
            candidates.append(Candidate(request_id, user, True, "no_genre", now, rating.grouping_rating(user)))
        groups, _ = plan_groups(candidates)
        for group in groups:
            users = [c.user_id for c in group.tracked]
            for writer in users:
                for owner in users:
                    if writer != owner:
                        given.append((writer, owner, world.rate(rng, writer, owner), now + dt.timedelta(hours=20)))
                joined = world.joined[writer]
                if joined > 0 and day - joined < 7:
                    first_week[writer].extend(u for u in users if u != writer)
        rating.update(now + dt.timedelta(days=1), given)
        rated_users = {writer for writer, *_ in given}
        values = sorted(rating.current.get(u) or 0.0 for u in rated_users)
        if values:
            median = values[len(values) // 2]
            for user in top & rated_users:
                joined = world.joined[user]
                if 0 < joined <= day and user not in reached_top_half and (rating.current.get(user) or 0.0) >= median:
                    reached_top_half[user] = day + 1 - joined
    users = sorted({writer for writer, *_ in given})
    correlation = spearman([world.quality[u] for u in users], [float(rating.current[u] or 0) for u in users])
    # Newcomers who are in the bottom quartile themselves belong there once rated; the others do not.
    shares = [
        sum(p in bottom for p in partners) / len(partners)
        for newcomer, partners in first_week.items()
        if partners and newcomer not in bottom
    ]
    good_newcomers = [u for u in top if world.joined[u] > 0]
    days_to_top = [reached_top_half.get(u, world.days - world.joined[u] + 1) for u in good_newcomers]
    return {
        "rating": rating.name,
        "spearman": round(correlation, 3),
        "newcomers_with_bottom_quartile": round(statistics.mean(shares), 3) if shares else None,
        "days_to_top_half_median": statistics.median(days_to_top) if days_to_top else None,
        "good_newcomers": len(good_newcomers),
        "ratings_given": len(given),
    }


def simulate(reviewers: int = 2000, days: int = 60, seed: int = 1) -> list[dict[str, Any]]:
    world = World.make(reviewers, days, seed)
    results = []
    with tempfile.TemporaryDirectory(prefix="rating-sim-") as folder:
        for kind in (OldRatings, NewRatings):
            rating = kind(world, Path(folder) / f"{kind.__name__}.sqlite")
            try:
                results.append(run(world, rating))
            finally:
                database.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviewers", type=int, default=2000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"{args.reviewers} reviewers, {args.days} days, seed {args.seed}")
    print(f"{'rating':<24}{'spearman':>10}{'newcomers w/ bottom 25%':>26}{'days to top half':>18}{'ratings':>10}")
    for row in simulate(args.reviewers, args.days, args.seed):
        print(
            f"{row['rating']:<24}{row['spearman']:>10.3f}{row['newcomers_with_bottom_quartile']:>26.1%}"
            f"{row['days_to_top_half_median']:>18}{row['ratings_given']:>10}"
        )


if __name__ == "__main__":
    main()
