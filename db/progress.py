""" "My progress": what reviewers said about the caller's tracks, summed up per focus aspect, and the
moments of their latest track that reviewers marked most. Only feedback the caller may read counts
(db/visibility.py); a moderator's removal takes it out."""

from __future__ import annotations

from typing import Any

from db import aspects, visibility
from db.sql import Statement

# Marks within this many seconds of each other are about the same moment.
NEAR_S = 5
TOP_MOMENTS = 5

READABLE = f"mine.user_id = :user AND fr.hidden_at IS NULL AND {visibility.readable_by_owner('mine.user_id', 'fr')}"

PER_ASPECT = Statement(f"""
SELECT answer.aspect, COUNT(*) AS answers, AVG(answer.score * 1.0) AS mean_score, COUNT(answer.score) AS scores
FROM aspect_answer answer JOIN feedback_response fr ON answer.response_id = fr.id
JOIN feedback_request mine ON fr.request_id = mine.id
WHERE {READABLE}
GROUP BY answer.aspect
""")

ASKED = Statement("SELECT aspects FROM feedback_request WHERE user_id = :user AND group_id IS NOT NULL")

LATEST = Statement(f"""
SELECT mine.id, mine.track_title, mine.created_at, COUNT(*) AS reviewers
FROM feedback_request mine JOIN feedback_response fr ON fr.request_id = mine.id
WHERE {READABLE}
GROUP BY mine.id, mine.track_title, mine.created_at
ORDER BY mine.created_at DESC, mine.id DESC
LIMIT 1
""")

MARKS = Statement(f"""
SELECT mark.response_id, mark.at_s, mark.to_s, mark.text
FROM feedback_mark mark JOIN feedback_response fr ON mark.response_id = fr.id
JOIN feedback_request mine ON fr.request_id = mine.id
WHERE mine.id = :request AND {READABLE}
ORDER BY mark.at_s, mark.id
""")


def moments(marks: list[dict[str, Any]], limit: int = TOP_MOMENTS) -> list[dict[str, Any]]:
    """Marks grouped into moments (overlapping, or within NEAR_S seconds), the most reviewers first."""
    clusters: list[dict[str, Any]] = []
    for mark in sorted(marks, key=lambda m: m["at_s"]):
        end = mark["to_s"] if mark["to_s"] is not None else mark["at_s"]
        if clusters and mark["at_s"] <= clusters[-1]["to_s"] + NEAR_S:
            cluster = clusters[-1]
            cluster["to_s"] = max(cluster["to_s"], end)
        else:
            cluster = {"at_s": mark["at_s"], "to_s": end, "responses": set(), "notes": []}
            clusters.append(cluster)
        cluster["responses"].add(mark["response_id"])
        cluster["notes"].append(mark["text"])
    ranked = sorted(clusters, key=lambda c: (-len(c["responses"]), c["at_s"]))[:limit]
    return [
        {
            "at_s": c["at_s"],
            "to_s": c["to_s"] if c["to_s"] != c["at_s"] else None,
            "reviewers": len(c["responses"]),
            "notes": c["notes"][:3],
        }
        for c in ranked
    ]


def progress(user_id: int) -> dict[str, Any]:
    found = {row["aspect"]: row for row in PER_ASPECT.rows(user=user_id)}
    asked: dict[str, int] = {}
    for row in ASKED.rows(user=user_id):
        for key in aspects.parsed(row["aspects"]):
            asked[key] = asked.get(key, 0) + 1
    per_aspect = [
        {
            "key": key,
            "asked": asked.get(key, 0),
            "answers": int(found[key]["answers"]) if key in found else 0,
            "mean_score": round(float(found[key]["mean_score"]), 2)
            if key in found and found[key]["mean_score"] is not None
            else None,
        }
        for key in aspects.ASPECTS
    ]
    latest = LATEST.first(user=user_id)
    track = None
    if latest is not None:
        track = {
            "request_id": latest["id"],
            "track_title": latest["track_title"],
            "reviewers": int(latest["reviewers"]),
            "moments": moments(MARKS.rows(user=user_id, request=latest["id"])),
        }
    return {"aspects": per_aspect, "latest_track": track}
