"""Queries built with peewee once and re-run with new values, for the hottest read paths.

Compiling a query with correlated subqueries costs peewee about a millisecond, more than running it.
A `Prepared` query is built once per backend with marker values, and each call swaps the markers
for real values in the compiled parameter list. Rows come back as dicts of the driver's values
(SQLite gives timestamps as text: `db.models.iso()` accepts both).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from db.connection import database

# Integers no real id or count takes, so they are recognisable in the compiled parameters.
_MARKER_BASE = -7_310_000_000


class Prepared:
    def __init__(self, build: Callable[..., Any], arity: int) -> None:
        self._build = build
        self._arity = arity
        self._compiled: dict[str, tuple[str, list[Any], list[int | None]]] = {}

    def _compile(self) -> tuple[str, list[Any], list[int | None]]:
        key = database.param
        if key not in self._compiled:
            markers = [_MARKER_BASE - index for index in range(self._arity)]
            sql, params = self._build(*markers).sql()
            # A marker compared with a text column arrives as text.
            lookup: dict[int | str, int] = {marker: index for index, marker in enumerate(markers)}
            lookup.update({str(marker): index for index, marker in enumerate(markers)})
            slots = [lookup.get(value) if isinstance(value, int | str) else None for value in params]
            if sorted({slot for slot in slots if slot is not None}) != list(range(self._arity)):
                raise ValueError("every argument of a prepared query must appear as a parameter")
            self._compiled[key] = (sql, list(params), slots)
        return self._compiled[key]

    def rows(self, *values: Any) -> list[dict[str, Any]]:
        sql, params, slots = self._compile()
        bound = [values[slot] if slot is not None else param for param, slot in zip(params, slots, strict=True)]
        cursor = database.execute_sql(sql, bound)
        columns = [column[0] for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    def first(self, *values: Any) -> dict[str, Any] | None:
        rows = self.rows(*values)
        return rows[0] if rows else None
