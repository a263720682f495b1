"""Admin lists: one `Listing` per collection says its rows, filters and sorts once, and gives both
the JSON page and the CSV export from that one description (set-based SQL, one count and one page
query per answer)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from db.sql import Statement

CSV_LIMIT = 100_000


def like_pattern(text: str) -> str:
    """`text` anywhere, case-insensitively, with LIKE's wildcards taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass(frozen=True)
class Listing:
    """`source`: the FROM clause; `columns`: the select list; `filters`: a query field's name to its
    SQL condition (on `:name`), or to one condition per value it takes; `sorts`: a sort key to its
    SQL expression (`-key` sorts descending; ties go by `tiebreak`)."""

    source: str
    columns: str
    filters: dict[str, str | dict[Any, str]]
    sorts: dict[str, str]
    shape: Callable[[dict[str, Any]], dict[str, Any]]
    tiebreak: str
    prepare: dict[str, Callable[[Any], Any]] = field(default_factory=dict)

    def _where(self, given: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        conditions, params = [], {}
        for name, condition in self.filters.items():
            value = given.get(name)
            if value is None:
                continue
            if isinstance(condition, dict):
                conditions.append(condition[value])
            else:
                conditions.append(condition)
                params[name] = self.prepare.get(name, lambda v: v)(value)
        for name, value in given.items():
            if name not in self.filters and value is not None:
                params[name] = value  # values the columns use, such as :now
        return (" WHERE " + " AND ".join(conditions)) if conditions else "", params

    def _order(self, sort: str) -> str:
        key = sort.lstrip("-")
        direction = "DESC" if sort.startswith("-") else "ASC"
        return f" ORDER BY {self.sorts[key]} {direction} NULLS LAST, {self.tiebreak} {direction}"

    def _rows(self, given: dict[str, Any], sort: str, limit: int, offset: int) -> list[dict[str, Any]]:
        where, params = self._where(given)
        text = f"SELECT {self.columns} {self.source}{where}{self._order(sort)} LIMIT :limit OFFSET :offset"
        return Statement(text).rows(**params, limit=limit, offset=offset)

    def page(self, given: dict[str, Any], sort: str, page: int, per_page: int) -> dict[str, Any]:
        where, params = self._where(given)
        total = Statement(f"SELECT COUNT(*) AS n {self.source}{where}").first(**params)
        items = [self.shape(row) for row in self._rows(given, sort, per_page, (page - 1) * per_page)]
        n = int(total["n"]) if total else 0
        return {"items": items, "page": page, "per_page": per_page, "total": n, "has_next": page * per_page < n}

    def one(self, condition: str, **params: Any) -> dict[str, Any] | None:
        rows = Statement(f"SELECT {self.columns} {self.source} WHERE {condition}").rows(**params)
        return self.shape(rows[0]) if rows else None

    def csv(self, given: dict[str, Any], sort: str) -> str:
        """Every matching row (at most CSV_LIMIT), flattened: nested values as JSON."""
        return to_csv([self.shape(row) for row in self._rows(given, sort, CSV_LIMIT, 0)])


def to_csv(items: list[dict[str, Any]]) -> str:
    """A header of every key met (in the order met), then one line per item."""
    fields: dict[str, None] = {}
    for item in items:
        fields |= dict.fromkeys(item)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(fields), lineterminator="\r\n")
    writer.writeheader()
    for item in items:
        writer.writerow({key: _cell(value) for key, value in item.items()})
    return out.getvalue()


# What a spreadsheet reads as the start of a formula (tab and carriage return too: some strip them
# first, then see the `=` behind them).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value  # a spreadsheet would run it as a formula
    return value
