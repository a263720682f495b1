"""Typed views of query results: peewee's type hints do not model `.dicts()` and `.tuples()`."""

from __future__ import annotations

from typing import Any

from db.connection import is_postgres


def dict_rows(query: Any) -> list[dict[str, Any]]:
    return list(query.dicts())


def first_dict(query: Any) -> dict[str, Any] | None:
    row: dict[str, Any] | None = query.dicts().first()
    return row


def tuple_rows(query: Any) -> list[tuple[Any, ...]]:
    return list(query.tuples())


def locked(query: Any) -> Any:
    """`query` taking row locks on PostgreSQL (SQLite's transactions lock the whole file anyway)."""
    return query.for_update() if is_postgres() else query
