"""The parts of a response beyond its text: its marks (notes pinned to moments of the track) and
its answers on the artist's focus aspects. Read only where the viewer (`:user`) may read the
response (db/visibility.py); a moderator's removal takes them with the text."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from db import visibility
from db.aspects import ASPECTS
from db.sql import Statement

ORDER = {key: index for index, key in enumerate(ASPECTS)}


@dataclass
class Details:
    marks: list[dict[str, Any]] = field(default_factory=list)
    aspects: list[dict[str, Any]] = field(default_factory=list)


def _statement(condition: str, writer_keeps_removed: bool = False) -> Statement:
    """Marks and aspect answers of the responses that meet `condition` (over `fr` and `reviewed`).
    `writer_keeps_removed`: the writer still gets their own removed feedback's (their export)."""
    joins = (
        "JOIN feedback_response fr ON part.response_id = fr.id "
        "JOIN feedback_request reviewed ON fr.request_id = reviewed.id"
    )
    shown = "(fr.hidden_at IS NULL OR fr.user_id = :user)" if writer_keeps_removed else "fr.hidden_at IS NULL"
    where = f"({condition}) AND {shown} AND {visibility.readable_by(':user', 'fr', 'reviewed.user_id')}"
    return Statement(f"""
SELECT 'mark' AS kind, part.response_id, part.at_s, part.to_s, part.text, NULL AS aspect, NULL AS score, part.id
FROM feedback_mark part {joins} WHERE {where}
UNION ALL
SELECT 'aspect', part.response_id, NULL, NULL, part.text, part.aspect, part.score, part.id
FROM aspect_answer part {joins} WHERE {where}""")


# Through the request's group (indexed); a response's own group_id is always its request's.
IN_GROUP = _statement("reviewed.group_id = :group AND fr.group_id = :group")
ONE = _statement("fr.id = :response")
EXPORT = _statement("fr.user_id = :user OR reviewed.user_id = :user", writer_keeps_removed=True)


def read(statement: Statement, user: int, **params: Any) -> dict[int, Details]:
    """Per response id: its marks by time, its aspect answers in the documented order."""
    found: dict[int, Details] = defaultdict(Details)
    rows = statement.rows(user=user, **params)
    for row in sorted(rows, key=lambda row: (row["at_s"] or 0, -1 if row["to_s"] is None else row["to_s"], row["id"])):
        part = found[row["response_id"]]
        if row["kind"] == "mark":
            part.marks.append({"at_s": row["at_s"], "to_s": row["to_s"], "text": row["text"]})
        else:
            part.aspects.append({"key": row["aspect"], "text": row["text"], "score": row["score"]})
    for part in found.values():
        part.aspects.sort(key=lambda answer: ORDER.get(answer["key"], len(ORDER)))
    return found
