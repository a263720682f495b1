"""Plain parameterised SQL for the hottest read paths, written once for both backends.

Building a query with correlated subqueries through peewee costs about a millisecond, more than
running it, so the read paths that every page load takes are SQL text with `:name` placeholders.
Both drivers take a dict of parameters: sqlite3 reads `:name` as it is, psycopg2 reads the
`%(name)s` form this module derives once. Rows come back as dicts of the driver's values (SQLite
gives timestamps as text: `db.models.iso()` accepts both).

On PostgreSQL a query (SELECT or WITH) is prepared once per connection (`PREPARE`) and then run
with `EXECUTE`: planning these queries costs several times what running them does (GET /me's: 0.5
ms to plan, 0.1 to run). A query PostgreSQL will not prepare (a parameter whose type it cannot
tell) is run as plain SQL from then on. Through a pooler in transaction mode (PgBouncer) a
connection's prepared statements may belong to another client's server connection, so nothing is
prepared there.
"""

from __future__ import annotations

import hashlib
import re
import weakref
from typing import Any

from peewee import ProgrammingError

from db.connection import database, is_postgres, sessions_are_ours

_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
# The statements each PostgreSQL connection has prepared (connections are weakly held: a closed one
# takes its set with it).
_prepared: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


class Statement:
    def __init__(self, text: str) -> None:
        self.names = frozenset(_NAMED.findall(text))
        self.sqlite = text
        self.postgres = _NAMED.sub(r"%(\1)s", text.replace("%", "%%"))
        self.order = list(dict.fromkeys(_NAMED.findall(text)))
        self.preparable = text.lstrip().upper().startswith(("SELECT", "WITH")) and " INSERT " not in text.upper()
        self.key = "q_" + hashlib.sha1(text.encode()).hexdigest()[:20]
        self._execute = f"EXECUTE {self.key}" + (f" ({', '.join(['%s'] * len(self.order))})" if self.order else "")

    def _run(self, params: dict[str, Any]) -> Any:
        missing = self.names - params.keys()
        if missing:
            raise TypeError(f"missing SQL parameters: {sorted(missing)}")
        if not is_postgres():
            return database.execute_sql(self.sqlite, params)
        if self.preparable and sessions_are_ours() and self._prepare():
            return database.execute_sql(self._execute, [params[name] for name in self.order])
        return database.execute_sql(self.postgres, params)

    def _prepare(self) -> bool:
        """Whether this connection has the statement prepared (preparing it now if need be)."""
        connection = database.connection()
        done = _prepared.setdefault(connection, set())
        if self.key in done:
            return True
        numbered = _NAMED.sub(lambda match: f"${self.order.index(match.group(1)) + 1}", self.sqlite.replace("%", "%%"))
        try:
            with database.atomic():  # a savepoint inside a transaction: a refusal leaves it usable
                database.execute_sql(f"PREPARE {self.key} AS {numbered}")
        except ProgrammingError:
            # PostgreSQL will not type a parameter (a lost connection, say, is another error class:
            # it goes up as itself and the statement stays preparable).
            self.preparable = False
            return False
        done.add(self.key)
        return True

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
