"""`python -m db migrate` applies pending schema migrations; `python -m db demo` adds demo data;
`python -m db demo --group` adds a fresh group of four around the demo user (for UI work);
`python -m db export FILE` writes every table to FILE; `python -m db import FILE` loads such a file
into an empty database at the same migration level (see db/dump.py);
`python -m db admin grant EMAIL` / `admin revoke EMAIL` / `admin list` manage the admin role (each
change goes into the audit log)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from peewee import Database

from db import dump
from db.connection import init_database, make_database
from db.migrate import migrate
from settings import load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m db", description=__doc__)
    parser.add_argument("command", choices=["migrate", "demo", "export", "import", "admin"])
    parser.add_argument("operands", nargs="*", help="export/import: FILE; admin: grant EMAIL | revoke EMAIL | list")
    parser.add_argument("--group", action="store_true", help="with demo: add a fresh group of four")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    settings = load_settings()
    db = init_database(settings.database_url, pool_size=2, behind_pooler=settings.database_is_pooled)
    if args.command in ("export", "import"):
        return _dump(args.command, Path(args.operands[0]) if args.operands else None, db)
    applied = migrate(make_database(settings.direct_url, pool_size=1) if settings.database_is_pooled else db)
    if args.command == "admin":
        return _admin(args.operands)
    if args.command == "migrate":
        print(f"migrate: applied {len(applied)} migration(s){': ' + ', '.join(applied) if applied else ''}")
        return 0
    if not settings.demo_enabled:
        print("demo: refused: demo data is off in production (set DEMO_ENABLED=true to allow it)", file=sys.stderr)
        return 2
    from db.demo import load_demo_data, seed_demo_group

    print(load_demo_data(settings.web_url))
    if args.group:
        print(seed_demo_group(settings.web_url))
    return 0


def _admin(operands: list[str]) -> int:
    from db import admins

    if operands == ["list"]:
        for line in admins.admins():
            print(line)
        return 0
    if len(operands) != 2 or operands[0] not in ("grant", "revoke"):
        print("admin: use: python -m db admin grant EMAIL | revoke EMAIL | list", file=sys.stderr)
        return 2
    action, email = operands
    try:
        changed = admins.grant(email) if action == "grant" else admins.revoke(email)
    except admins.NoSuchUser:
        print(f"admin: no account has the email {email}", file=sys.stderr)
        return 1
    state = "is now" if action == "grant" else "is no longer"
    print(f"admin: {email} {state} an admin" if changed else f"admin: {email} unchanged")
    return 0


def _dump(command: str, path: Path | None, db: Database) -> int:
    if path is None:
        print(f"{command}: give the file: python -m db {command} FILE", file=sys.stderr)
        return 2
    try:
        if command == "export":
            counts = dump.write(db, path)
        else:
            migrate(db)  # an empty database is brought to the latest level first
            counts = dump.read(db, path)
    except dump.DumpError as error:
        print(f"{command}: refused: {error}", file=sys.stderr)
        return 1
    print(
        f"{command}: {sum(counts.values())} row(s) in {len(counts)} table(s) {'to' if command == 'export' else 'from'} {path}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
