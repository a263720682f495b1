"""The service's daily statistics: what the nightly `compute_stats` job stores for each finished
UTC day, and what the admin pages read (today's figures computed live).

Each figure is one set-based query over the day's rows:
- signups; active users (made a request, submitted feedback, wrote a reply or rated that day);
- requests made (tracked / trackless, by genre); groups formed and their sizes;
- completion: of the feedback owed in groups whose deadline fell that day, how much was written by
  the deadline;
- median hours from a group's forming to the first feedback on a track, over tracks whose first
  feedback came that day;
- ratings given that day (distribution 1-5, mean); replies per thread that got replies that day;
- extremes: the most helpful reviewers (mean rating received over the 30 days to that day, with at
  least 5 ratings) and the fastest groups (deadline that day, everything written: hours to the last).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from db.connection import is_postgres
from db.models import DailyStats, User, utcnow
from db.rows import tuple_rows
from db.sql import Statement

BACKFILL_DAYS = 30
HELPFUL_WINDOW = dt.timedelta(days=30)
HELPFUL_MINIMUM = 5
EXTREMES = 5
MAX_RANGE_DAYS = 366


def _hours(later: str, earlier: str) -> str:
    if is_postgres():
        return f"(EXTRACT(EPOCH FROM ({later} - {earlier})) / 3600.0)"
    return f"((julianday({later}) - julianday({earlier})) * 24.0)"


IN_DAY = "{column} >= :start AND {column} < :end"


def _in_day(column: str) -> str:
    return IN_DAY.format(column=column)


def _statements() -> dict[str, Statement]:
    return {
        "signups": Statement(f'SELECT COUNT(*) AS n FROM "user" WHERE {_in_day("created_at")}'),
        "active": Statement(f"""
SELECT COUNT(*) AS n FROM (
    SELECT user_id AS who FROM feedback_request WHERE {_in_day("created_at")}
    UNION SELECT user_id FROM feedback_response WHERE {_in_day("submitted_at")}
    UNION SELECT author_id FROM reply WHERE {_in_day("created_at")}
    UNION SELECT req.user_id FROM feedback_response fr JOIN feedback_request req ON req.id = fr.request_id
        WHERE {_in_day("fr.rated_at")}
) active"""),
        "requests": Statement(f"""
SELECT genre, CASE WHEN media_url IS NULL THEN 0 ELSE 1 END AS tracked, COUNT(*) AS n
FROM feedback_request WHERE {_in_day("created_at")} GROUP BY genre, CASE WHEN media_url IS NULL THEN 0 ELSE 1 END"""),
        "groups": Statement(f"""
SELECT size, COUNT(*) AS n FROM (
    SELECT (SELECT COUNT(*) FROM feedback_request m WHERE m.group_id = g.id) AS size
    FROM feedback_group g WHERE {_in_day("g.created_at")}
) formed GROUP BY size"""),
        "completion": Statement(f"""
SELECT COUNT(*) AS owed,
    COALESCE(SUM(CASE WHEN fr.submitted_at IS NOT NULL AND fr.submitted_at <= g.due_at THEN 1 ELSE 0 END), 0) AS on_time
FROM feedback_response fr JOIN feedback_group g ON g.id = fr.group_id
WHERE NOT fr.extra AND {_in_day("g.due_at")}"""),
        # A track's first feedback: a submission that day with none before it on the same track.
        "first_feedback": Statement(f"""
WITH firsts AS (
    SELECT {_hours("fr.submitted_at", "g.created_at")} AS hours
    FROM feedback_response fr JOIN feedback_group g ON g.id = fr.group_id
    WHERE {_in_day("fr.submitted_at")} AND NOT fr.extra AND NOT EXISTS (
        SELECT 1 FROM feedback_response earlier WHERE earlier.request_id = fr.request_id AND NOT earlier.extra
            AND (earlier.submitted_at < fr.submitted_at OR (earlier.submitted_at = fr.submitted_at AND earlier.id < fr.id)))
), ranked AS (
    SELECT hours, ROW_NUMBER() OVER (ORDER BY hours) AS position, COUNT(*) OVER () AS total FROM firsts
)
SELECT AVG(hours) AS median FROM ranked WHERE position IN ((total + 1) / 2, (total + 2) / 2)"""),
        "ratings": Statement(
            f"SELECT rating, COUNT(*) AS n FROM feedback_response WHERE {_in_day('rated_at')} GROUP BY rating"
        ),
        "replies": Statement(
            f"SELECT COUNT(*) AS replies, COUNT(DISTINCT response_id) AS threads FROM reply WHERE {_in_day('created_at')}"
        ),
        "helpful": Statement(f"""
SELECT fr.user_id, AVG(fr.rating * 1.0) AS mean, COUNT(*) AS n FROM feedback_response fr
WHERE fr.rating IS NOT NULL AND fr.hidden_at IS NULL AND fr.rated_at >= :window_start AND fr.rated_at < :end
GROUP BY fr.user_id HAVING COUNT(*) >= {HELPFUL_MINIMUM}
ORDER BY mean DESC, n DESC, fr.user_id LIMIT {EXTREMES}"""),
        "fastest": Statement(f"""
SELECT g.id, g.name, {_hours("MAX(fr.submitted_at)", "g.created_at")} AS hours
FROM feedback_group g JOIN feedback_response fr ON fr.group_id = g.id AND NOT fr.extra
WHERE {_in_day("g.due_at")}
GROUP BY g.id, g.name, g.created_at HAVING COUNT(fr.submitted_at) = COUNT(*)
ORDER BY hours, g.id LIMIT {EXTREMES}"""),
    }


_BY_BACKEND: dict[bool, dict[str, Statement]] = {}


def statements() -> dict[str, Statement]:
    postgres = is_postgres()
    if postgres not in _BY_BACKEND:
        _BY_BACKEND[postgres] = _statements()
    return _BY_BACKEND[postgres]


def _rounded(value: Any, places: int = 2) -> float | None:
    return None if value is None else round(float(value), places)


def compute_day(day: dt.date) -> dict[str, Any]:
    """The figures of `day` (UTC) as they stand now."""
    sql = statements()
    start = dt.datetime.combine(day, dt.time())
    span = {"start": start, "end": start + dt.timedelta(days=1)}
    requests = sql["requests"].rows(**span)
    by_genre: dict[str, int] = {}
    for row in requests:
        by_genre[row["genre"]] = by_genre.get(row["genre"], 0) + int(row["n"])
    tracked = sum(int(r["n"]) for r in requests if int(r["tracked"]))
    sizes = {str(r["size"]): int(r["n"]) for r in sql["groups"].rows(**span)}
    completion = sql["completion"].first(**span) or {"owed": 0, "on_time": 0}
    owed, on_time = int(completion["owed"]), int(completion["on_time"])
    median = sql["first_feedback"].first(**span)
    distribution = {str(n): 0 for n in range(1, 6)}
    for row in sql["ratings"].rows(**span):
        distribution[str(row["rating"])] = int(row["n"])
    rated = sum(distribution.values())
    replies = sql["replies"].first(**span) or {"replies": 0, "threads": 0}
    signups = sql["signups"].first(**span)
    active = sql["active"].first(**span)
    return {
        "day": day.isoformat(),
        "signups": int(signups["n"]) if signups else 0,
        "active_users": int(active["n"]) if active else 0,
        "requests": {
            "total": sum(by_genre.values()),
            "tracked": tracked,
            "trackless": sum(by_genre.values()) - tracked,
            "by_genre": dict(sorted(by_genre.items())),
        },
        "groups": {"formed": sum(sizes.values()), "sizes": dict(sorted(sizes.items(), key=lambda kv: int(kv[0])))},
        "feedback": {
            "owed": owed,
            "written_on_time": on_time,
            "completion_rate": round(on_time / owed, 4) if owed else None,
        },
        "median_hours_to_first_feedback": _rounded(median["median"] if median else None),
        "ratings": {
            "count": rated,
            "mean": round(sum(int(k) * v for k, v in distribution.items()) / rated, 2) if rated else None,
            "distribution": distribution,
        },
        "replies": {
            "replies": int(replies["replies"]),
            "threads": int(replies["threads"]),
            "per_thread": round(int(replies["replies"]) / int(replies["threads"]), 2) if replies["threads"] else None,
        },
        "extremes": {
            "helpful_reviewers": [
                {"user_id": r["user_id"], "mean_rating": _rounded(r["mean"]), "ratings": int(r["n"])}
                for r in sql["helpful"].rows(end=span["end"], window_start=span["end"] - HELPFUL_WINDOW)
            ],
            "fastest_groups": [
                {"group_id": r["id"], "name": r["name"], "hours": _rounded(r["hours"], 1)}
                for r in sql["fastest"].rows(**span)
            ],
        },
    }


def days_to_store(today: dt.date) -> list[dt.date]:
    """Each finished day not stored yet (back to BACKFILL_DAYS), and always yesterday again (its late rows)."""
    yesterday = today - dt.timedelta(days=1)
    last = DailyStats.select(DailyStats.day).order_by(DailyStats.day.desc()).limit(1).scalar()
    first = max(today - dt.timedelta(days=BACKFILL_DAYS), dt.date.fromisoformat(last) if last else dt.date.min)
    first = min(first, yesterday)
    return [first + dt.timedelta(days=offset) for offset in range((yesterday - first).days + 1)]


def store(figures_by_day: dict[dt.date, dict[str, Any]]) -> list[str]:
    """Store computed figures, replacing a day's earlier ones; returns the days stored."""
    now = utcnow()
    for day, figures in sorted(figures_by_day.items()):
        text = json.dumps(figures, sort_keys=True)
        DailyStats.insert(day=day.isoformat(), figures=text, computed_at=now).on_conflict(
            conflict_target=[DailyStats.day], update={DailyStats.figures: text, DailyStats.computed_at: now}
        ).execute()
    return [day.isoformat() for day in sorted(figures_by_day)]


def store_days(today: dt.date) -> list[str]:
    """Compute and store the days `days_to_store` names, inside the caller's transaction."""
    return store({day: compute_day(day) for day in days_to_store(today)})


def series(first: dt.date, last: dt.date, today: dt.date) -> list[dict[str, Any]]:
    """Stored figures for the days in [first, last], with today's computed live (`live: true`).
    Reviewers carry their email (admins only)."""
    stored = {
        row.day: json.loads(row.figures) | {"live": False}
        for row in DailyStats.select().where(
            (DailyStats.day >= first.isoformat()) & (DailyStats.day <= last.isoformat())
        )
    }
    if first <= today <= last:
        stored[today.isoformat()] = compute_day(today) | {"live": True}
    days = [stored[day] for day in sorted(stored)]
    ids = {r["user_id"] for d in days for r in d["extremes"]["helpful_reviewers"]}
    emails: dict[int, str] = dict(tuple_rows(User.select(User.id, User.email).where(User.id.in_(ids)))) if ids else {}
    for d in days:
        for reviewer in d["extremes"]["helpful_reviewers"]:
            reviewer["email"] = emails.get(reviewer["user_id"])
    return days


def flat(figures: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """One CSV row: nested figures as `a.b` columns, lists as JSON."""
    row: dict[str, Any] = {}
    for key, value in figures.items():
        if isinstance(value, dict):
            row |= flat(value, f"{prefix}{key}.")
        elif isinstance(value, list):
            row[prefix + key] = json.dumps(value, sort_keys=True)
        else:
            row[prefix + key] = value
    return row
