"""The reviewer rating: how useful a member's feedback is, which decides who they are grouped with.

The formula, with its parameters (settings RATING_PRIOR_WEIGHT = C, RATING_HALF_LIFE_DAYS = H):

    m          the site's mean rating (every counted rating; 3.0 before there is any)
    leniency_j = sum over rater j's ratings of (r - m), divided by (n_j + C)
                 (the rater's mean offset from the site's mean, shrunk toward 0 while they have
                 rated little: a rater who gave one 5 is barely lenient, one who gave fifty 5s is)
    c          = r - leniency_j, kept within 1..5 (the rating, corrected for who gave it)
    w          = 0.5 ^ (age in days / H) (a rating counts half after H days)
    rating_u   = (C * m + sum of w * c) / (C + sum of w)   over the ratings of u's feedback

A Bayesian average: a newcomer, with no ratings, is at m, not at 0 (and is grouped by it), and a
few ratings move a rating only part of the way. Counted: rated, submitted feedback a moderator did
not remove. `rating_percentile`: the share of rated reviewers whose rating is below the user's.

`UPDATE_RATINGS` is the whole computation as one set-based statement for both backends.
"""

from __future__ import annotations

import datetime as dt

from db.connection import database, is_postgres
from db.sql import Statement

NO_RATINGS_YET = 3.0  # the site's mean before anyone has rated anything: the middle of 1..5


WEIGHT = "CAST(:weight AS DOUBLE PRECISION)"
HALF_LIFE = "CAST(:half_life AS DOUBLE PRECISION)"


def _age_days(column: str, postgres: bool) -> str:
    if postgres:
        return f"(CAST(EXTRACT(EPOCH FROM (CAST(:now AS TIMESTAMP) - {column})) AS DOUBLE PRECISION) / 86400.0)"
    return f"(julianday(:now) - julianday({column}))"


def _rated(postgres: bool) -> str:
    """The counted ratings (who wrote, who rated, the rating, its age in days) and the site's mean.
    Floating point throughout: PostgreSQL's numeric (what `rating * 1.0` and EXTRACT give) made the
    job 2-3 times slower at 1.5 M ratings."""
    return f"""
rated AS (
    SELECT fr.user_id AS writer, req.user_id AS rater, CAST(fr.rating AS DOUBLE PRECISION) AS r,
        {_age_days("COALESCE(fr.rated_at, fr.submitted_at)", postgres)} AS age
    FROM feedback_response fr JOIN feedback_request req ON req.id = fr.request_id
    WHERE fr.rating IS NOT NULL AND fr.submitted_at IS NOT NULL AND fr.hidden_at IS NULL
),
site AS (SELECT COALESCE(AVG(r), {NO_RATINGS_YET}) AS m FROM rated)"""


def _update(postgres: bool) -> Statement:
    """Aggregates before it joins: per rater, then per writer, then the users (1.5 M ratings of 100k
    users take one pass each, not a join of every rating to every user)."""
    clamp = "CASE WHEN x.c < 1 THEN 1.0 WHEN x.c > 5 THEN 5.0 ELSE x.c END"
    changed = (
        '("user".rating IS NULL OR ABS("user".rating - ranked.rating) > 1e-9 '
        'OR COALESCE("user".rating_percentile, -1) <> COALESCE(ranked.pct, -1))'
    )
    return Statement(f"""
WITH {_rated(postgres)},
raters AS (
    SELECT given.rater, (given.total - given.n * site.m) / (given.n + {WEIGHT}) AS leniency
    FROM (SELECT rater, SUM(r) AS total, COUNT(*) AS n FROM rated GROUP BY rater) given CROSS JOIN site
),
per_writer AS (
    SELECT x.writer, SUM(x.w * {clamp}) AS weighted, SUM(x.w) AS weights, COUNT(*) AS n FROM (
        SELECT rated.writer, POWER(0.5, CASE WHEN rated.age > 0 THEN rated.age ELSE 0 END / {HALF_LIFE}) AS w,
            rated.r - raters.leniency AS c
        FROM rated JOIN raters ON raters.rater = rated.rater
    ) x
    GROUP BY x.writer
),
scored AS (
    SELECT u.id, ({WEIGHT} * site.m + COALESCE(p.weighted, 0)) / ({WEIGHT} + COALESCE(p.weights, 0)) AS raw,
        COALESCE(p.n, 0) AS n
    FROM "user" u CROSS JOIN site LEFT JOIN per_writer p ON p.writer = u.id
),
bounded AS (  -- within 1..5 despite rounding (the column's constraint)
    SELECT id, n, CASE WHEN raw < 1 THEN 1.0 WHEN raw > 5 THEN 5.0 ELSE raw END AS rating FROM scored
),
ranked AS (
    SELECT id, rating, CASE WHEN n > 0 THEN
        100.0 * (RANK() OVER (PARTITION BY n > 0 ORDER BY rating) - 1) / COUNT(*) OVER (PARTITION BY n > 0)
    END AS pct
    FROM bounded
)
UPDATE "user" SET rating = ranked.rating, rating_percentile = ranked.pct
FROM ranked WHERE "user".id = ranked.id AND {changed}""")


UPDATE = {backend: _update(backend) for backend in (True, False)}
SITE_MEAN = {backend: Statement(f"WITH {_rated(backend)} SELECT m FROM site") for backend in (True, False)}


def _now(now: dt.datetime) -> object:
    return now if is_postgres() else now.isoformat(sep=" ")


def update_ratings(now: dt.datetime, prior_weight: float, half_life_days: float) -> int:
    """Recompute every user's rating and percentile; returns how many changed."""
    params = {"now": _now(now), "weight": float(prior_weight), "half_life": float(half_life_days)}
    if is_postgres():
        return UPDATE[True].execute(**params)
    # sqlite3 reports no row count for a statement that starts with WITH; SQLite's own count does.
    UPDATE[False].execute(**params)
    return int(database.execute_sql("SELECT changes()").fetchone()[0])


def newcomer_rating(now: dt.datetime) -> float:
    """The rating a member without one is grouped by: the site's mean (the formula's prior)."""
    row = SITE_MEAN[is_postgres()].first(now=_now(now))
    return float(row["m"]) if row else NO_RATINGS_YET
