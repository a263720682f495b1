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
Before anything is written it checks the whole document: its shape, every value against its
column's type (a boolean is JSON true/false, never the text "false"), lengths, duplicate ids and
references to rows the file does not hold; a refusal names the table, row and column. Whatever
the database still refuses becomes the same kind of one-line message, and nothing is left behind.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

from peewee import (
    BooleanField,
    CharField,
    Database,
    DatabaseError,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

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
    return lambda value: value


def _type_error(field: Any, value: Any) -> str | None:
    """Why `value` cannot go into `field`'s column, or None when it can."""
    if value is None:
        return None if field.null else "may not be null"
    if isinstance(field, BooleanField):
        return None if isinstance(value, bool) else "must be true or false"
    if isinstance(field, ForeignKeyField | IntegerField) or field.field_type == "AUTO":
        ok = isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63
        return None if ok else "must be a whole number"
    if isinstance(field, FloatField):
        return None if isinstance(value, int | float) and not isinstance(value, bool) else "must be a number"
    if isinstance(field, DateTimeField):
        if not isinstance(value, str):
            return "must be an ISO 8601 timestamp"
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return "must be an ISO 8601 timestamp"
        return None if parsed.tzinfo is None else "must be a UTC timestamp without a zone"
    if isinstance(field, CharField | TextField):
        if not isinstance(value, str):
            return "must be text"
        if "\x00" in value:
            return "may not contain a NUL character"
        limit = getattr(field, "max_length", None)
        return (
            None
            if not isinstance(field, CharField) or limit is None or len(value) <= limit
            else f"is longer than {limit}"
        )
    return None


def _check_document(document: dict[str, Any]) -> None:
    """Refuse, with table, row and column, anything in the file the schema cannot hold as it is."""
    tables = document.get("tables")
    if not isinstance(tables, dict):
        raise DumpError("the file has no `tables` object")
    models = {model._meta.table_name: model for model in ALL_MODELS}
    unknown = sorted(set(tables) - set(models))
    if unknown:
        raise DumpError(f"the file has tables this schema does not: {', '.join(map(str, unknown))}")
    ids: dict[str, set[Any]] = {}
    for name, model in models.items():  # in dependency order: referenced tables come first
        table = tables.get(name, {"columns": [], "rows": []})
        if (
            not isinstance(table, dict)
            or not isinstance(table.get("columns"), list)
            or not isinstance(table.get("rows"), list)
        ):
            raise DumpError(f"table {name}: needs `columns` and `rows` lists")
        fields = {field.column_name: field for field in _columns(model)}
        columns = table["columns"]
        if not all(isinstance(column, str) for column in columns) or sorted(columns) != sorted(fields):
            raise DumpError(f"table {name}: the file's columns differ from the schema")
        chosen = [fields[column] for column in columns]
        pk: Any = model._meta.primary_key
        seen: set[Any] = set()
        for number, row in enumerate(table["rows"], start=1):
            if not isinstance(row, list) or len(row) != len(columns):
                raise DumpError(f"table {name}, row {number}: needs {len(columns)} values")
            for field, value in zip(chosen, row, strict=True):
                why = _type_error(field, value)
                if why is None and isinstance(field, ForeignKeyField) and value is not None:
                    target = field.rel_model._meta.table_name
                    if value not in ids.get(target, set()):
                        why = f"refers to {target} {value}, which the file does not hold"
                if why:
                    raise DumpError(f"table {name}, row {number}, column {field.column_name}: {why}")
            if pk:
                key = row[columns.index(pk.column_name)]
                if key in seen:
                    raise DumpError(f"table {name}, row {number}, column {pk.column_name}: duplicate id {key}")
                seen.add(key)
        ids[name] = seen


def import_data(db: Database, document: dict[str, Any]) -> dict[str, int]:
    """Load a dump into this (empty, same-migration) database in one transaction; rows per table."""
    if document.get("format") != FORMAT or document.get("version") != VERSION:
        raise DumpError(f"not a {FORMAT} version {VERSION} file")
    _check_document(document)
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
            try:
                for model in ALL_MODELS:  # in dependency order
                    counts[model._meta.table_name] = _load(db, model, document["tables"])
                if is_postgres():
                    _move_sequences(db)
            except DatabaseError as error:
                raise DumpError("the database refused the file: " + str(error).strip().splitlines()[0]) from None
    return counts


def _load(db: Database, model: type[Model], tables: dict[str, Any]) -> int:
    """One table's rows (checked already), inside the import's transaction."""
    table = tables.get(model._meta.table_name, {"columns": [], "rows": []})
    fields = {field.column_name: field for field in _columns(model)}
    chosen = [fields[name] for name in table["columns"]]
    parse = [_parser(field) for field in chosen]
    rows = [[convert(value) for convert, value in zip(parse, row, strict=True)] for row in table["rows"]]
    if is_postgres():
        _copy(db, model._meta.table_name, table["columns"], rows)
    else:
        for start in range(0, len(rows), BATCH):
            model.insert_many(rows[start : start + BATCH], fields=chosen).execute()
    return len(rows)


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
    except RecursionError:
        raise DumpError(f"cannot read {path}: nested too deeply") from None
    if not isinstance(document, dict):
        raise DumpError(f"{path} is not a dump")
    return import_data(db, document)
