"""`python -m db migrate` applies pending schema migrations; `python -m db demo` adds demo data;
`python -m db demo --group` adds a fresh group of four around the demo user (for UI work)."""

from __future__ import annotations

import argparse
import logging
import sys

from application import load_settings
from db.connection import init_database
from db.migrate import migrate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m db", description=__doc__)
    parser.add_argument("command", choices=["migrate", "demo"])
    parser.add_argument("--group", action="store_true", help="with demo: add a fresh group of four")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    settings = load_settings()
    db = init_database(settings.database_url, pool_size=2)
    applied = migrate(db)
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


if __name__ == "__main__":
    sys.exit(main())
