"""`python -m bench.counted <job>`: run a job as `python -m jobs <job>` does, then print how many
SQL statements it sent (COPY included), as `statements=N`. Counting lives here, in the benchmark,
by wrapping the database's cursors; the production code knows nothing of it."""

from __future__ import annotations

import sys
from typing import Any

import db.connection
from jobs.__main__ import main as jobs_main


class _CountingCursor:
    def __init__(self, cursor: Any, counter: list[int]) -> None:
        self._cursor = cursor
        self._counter = counter

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        self._counter[0] += 1
        return self._cursor.execute(*args, **kwargs)

    def copy_expert(self, *args: Any, **kwargs: Any) -> Any:
        self._counter[0] += 1
        return self._cursor.copy_expert(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


def main(argv: list[str]) -> int:
    counter = [0]
    make_database = db.connection.make_database

    def counting_database(*args: Any, **kwargs: Any) -> Any:
        database = make_database(*args, **kwargs)
        plain_cursor = database.cursor
        database.cursor = lambda *a, **k: _CountingCursor(plain_cursor(*a, **k), counter)
        return database

    db.connection.make_database = counting_database
    status = jobs_main(argv)
    print(f"statements={counter[0]}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
