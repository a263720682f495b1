"""`python -m db export FILE` / `python -m db import FILE`: every table, losslessly, in one JSON file
that moves between SQLite and PostgreSQL.

The format (`FORMAT`, version `VERSION`):

    {"format": "howsmytrack-dump", "version": 1, "migration": "<latest applied migration>",
     "tables": {"<table>": {"columns": [...], "rows": [[...], ...]}, ...}}

Values are what the models read: timestamps as ISO 8601 (UTC, microseconds kept), booleans as
true/false, numbers as JSON numbers, text as text; rows in primary-key order, so the same data gives
the same file on either backend. The version changes only when the format itself does (not when
tables or columns change: `migration` pins those), and `import` reads only its own version.

`import` loads into an empty schema at the same migration level, in one transaction (all or
nothing; on PostgreSQL with COPY), then moves PostgreSQL's id sequences past the imported ids.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

from peewee import BooleanField, Database, DateTimeField, Model

from db.connection import is_postgres
from db.migrate import applied_migrations
from db.models import ALL_MODELS
from db.rows import tuple_rows

FORMAT = "howsmytrack-dump"
VERSION = 1
BATCH = 1000


class DumpError(Exception):
    """The file cannot be imported here; the message says why."""


def _columns(model: type[Model]) -> list[Any]:
    return list(model._meta.sorted_fields)


def _order(model: type[Model]) -> list[Any]:
    pk = model._meta.primary_key
    return [pk] if pk else _columns(model)


def _out(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def export_data(db: Database) -> dict[str, Any]:
    """Every table's rows, as the dump document."""
    tables: dict[str, Any] = {}
    with db.connection_context():
        for model in ALL_MODELS:
            fields = _columns(model)
            rows = tuple_rows(model.select(*fields).order_by(*_order(model)))
            tables[model._meta.table_name] = {
                "columns": [field.column_name for field in fields],
                "rows": [[_out(value) for value in row] for row in rows],
            }
        migrations = applied_migrations(db)
    return {"format": FORMAT, "version": VERSION, "migration": migrations[-1] if migrations else None, "tables": tables}


def _parser(field: Any) -> Any:
    if isinstance(field, DateTimeField):
        return lambda value: None if value is None else dt.datetime.fromisoformat(value)
    if isinstance(field, BooleanField):
        return lambda value: None if value is None else bool(value)
    return lambda value: value


def import_data(db: Database, document: dict[str, Any]) -> dict[str, int]:
    """Load a dump into this (empty, same-migration) database in one transaction; rows per table."""
    if document.get("format") != FORMAT or document.get("version") != VERSION:
        raise DumpError(f"not a {FORMAT} version {VERSION} file")
    counts: dict[str, int] = {}
    with db.connection_context():
        migrations = applied_migrations(db)
        here = migrations[-1] if migrations else None
        if document.get("migration") != here:
            raise DumpError(f"the file is at migration {document.get('migration')}, this database at {here}")
        with db.atomic():
            for model in ALL_MODELS:
                if model.select().exists():
                    raise DumpError(f"the database is not empty (table {model._meta.table_name} has rows)")
            for model in ALL_MODELS:  # in dependency order
                table = document["tables"].get(model._meta.table_name, {"columns": [], "rows": []})
                fields = {field.column_name: field for field in _columns(model)}
                if set(table["columns"]) != set(fields):
                    raise DumpError(f"table {model._meta.table_name}: the file's columns differ from the schema")
                chosen = [fields[name] for name in table["columns"]]
                parse = [_parser(field) for field in chosen]
                rows = [[convert(value) for convert, value in zip(parse, row, strict=True)] for row in table["rows"]]
                if is_postgres():
                    _copy(db, model._meta.table_name, table["columns"], rows)
                else:
                    for start in range(0, len(rows), BATCH):
                        model.insert_many(rows[start : start + BATCH], fields=chosen).execute()
                counts[model._meta.table_name] = len(rows)
            if is_postgres():
                _move_sequences(db)
    return counts


def _csv_field(value: Any) -> str:
    """One CSV field for COPY: NULL as an unquoted empty field, every text quoted (so an empty text
    stays empty), numbers as Python writes them (exact for floats)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = value.isoformat() if isinstance(value, dt.datetime) else str(value)
    return '"' + text.replace('"', '""') + '"'


def _copy(db: Any, table: str, columns: list[str], rows: list[list[Any]]) -> None:
    """PostgreSQL's COPY: the fast way in."""
    if not rows:
        return
    buffer = io.StringIO("".join(",".join(_csv_field(value) for value in row) + "\n" for row in rows))
    names = ", ".join(f'"{name}"' for name in columns)
    db.cursor().copy_expert(f'COPY "{table}" ({names}) FROM STDIN WITH (FORMAT csv)', buffer)


def _move_sequences(db: Any) -> None:
    for model in ALL_MODELS:
        pk: Any = model._meta.primary_key
        if not pk or pk.field_type != "AUTO":
            continue
        table = model._meta.table_name
        db.execute_sql(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{pk.column_name}'), "
            f'COALESCE((SELECT MAX({pk.column_name}) FROM "{table}"), 0) + 1, false)'
        )


def write(db: Database, path: Path) -> dict[str, int]:
    document = export_data(db)
    path.write_text(json.dumps(document, ensure_ascii=False, separators=(",", ":")))
    return {name: len(table["rows"]) for name, table in document["tables"].items()}


def read(db: Database, path: Path) -> dict[str, int]:
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise DumpError(f"cannot read {path}: {error}") from None
    if not isinstance(document, dict):
        raise DumpError(f"{path} is not a dump")
    return import_data(db, document)
