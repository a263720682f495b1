"""Set-based writes of many rows, with the SQL written out directly.

Building a 2,000-row INSERT through peewee's query builder costs more than running it. Inserts use
COPY on PostgreSQL and batched VALUES on SQLite; updates use UPDATE ... FROM (VALUES ...), which
both accept (SQLite 3.33+).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from typing import Any

from db.connection import database, is_postgres

# SQLite allows 32,766 bound variables a statement; stay well below it.
MAX_PARAMS = 30_000


def batched(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _values(width: int, count: int) -> str:
    row = "(" + ", ".join([database.param] * width) + ")"
    return ", ".join([row] * count)


def insert_rows(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """Insert the rows: one COPY on PostgreSQL, INSERT batches on SQLite; returns the statements run."""
    if not rows:
        return 0
    if is_postgres():
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        buffer.seek(0)
        sql = f'COPY "{table}" ({", ".join(columns)}) FROM STDIN WITH (FORMAT csv)'
        database.cursor().copy_expert(sql, buffer)
        return 1
    statements = 0
    width = len(columns)
    for chunk in batched(rows, MAX_PARAMS // width):
        database.execute_sql(
            f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES {_values(width, len(chunk))}',
            [value for row in chunk for value in row],
        )
        statements += 1
    return statements


def update_from_values(table: str, column: str, pairs: Sequence[tuple[Any, Any]], where: str = "") -> int:
    """SET `column` from (id, value) pairs: UPDATE ... FROM (VALUES ...), one statement per batch."""
    statements = 0
    for chunk in batched(pairs, MAX_PARAMS // 2):
        database.execute_sql(
            f'UPDATE "{table}" SET {column} = v.column2 FROM (VALUES {_values(2, len(chunk))}) AS v '
            f'WHERE "{table}".id = v.column1{" AND " + where if where else ""}',
            [value for pair in chunk for value in pair],
        )
        statements += 1
    return statements
