"""Plain parameterised SQL for the hottest read paths, written once for both backends.

Building a query with correlated subqueries through peewee costs about a millisecond, more than
running it, so the read paths that every page load takes are SQL text with `:name` placeholders.
Both drivers take a dict of parameters: sqlite3 reads `:name` as it is, psycopg2 reads the
`%(name)s` form this module derives once. Rows come back as dicts of the driver's values (SQLite
gives timestamps as text: `db.models.iso()` accepts both).
"""

from __future__ import annotations

import re
from typing import Any

from db.connection import database, is_postgres

_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


class Statement:
    def __init__(self, text: str) -> None:
        self.names = frozenset(_NAMED.findall(text))
        self.sqlite = text
        self.postgres = _NAMED.sub(r"%(\1)s", text.replace("%", "%%"))

    def _run(self, params: dict[str, Any]) -> Any:
        missing = self.names - params.keys()
        if missing:
            raise TypeError(f"missing SQL parameters: {sorted(missing)}")
        return database.execute_sql(self.postgres if is_postgres() else self.sqlite, params)

    def execute(self, **params: Any) -> int:
        """Run a statement that returns no rows; returns how many rows it changed."""
        return int(self._run(params).rowcount)

    def rows(self, **params: Any) -> list[dict[str, Any]]:
        cursor = self._run(params)
        columns = [column[0] for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    def first(self, **params: Any) -> dict[str, Any] | None:
        rows = self.rows(**params)
        return rows[0] if rows else None
