"""The house's one rule (docs/architecture.md): `web` and `jobs` call `db`, never each other; `db`
calls neither; `settings.py` imports nothing of the app."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
APP = ("web", "db", "jobs", "application", "mail", "settings", "error_reporting")
FORBIDDEN = {
    "db": {"web", "jobs", "application", "error_reporting"},
    "web": {"jobs"},
    "jobs": {"web"},
    "settings": {"web", "db", "jobs", "application", "mail", "error_reporting"},
    "error_reporting": {"web", "db", "jobs", "application", "mail"},
}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found & set(APP)


@pytest.mark.parametrize("room", sorted(FORBIDDEN))
def test_no_room_calls_across(room: str) -> None:
    single = ROOT / f"{room}.py"
    files = [single] if single.exists() else sorted((ROOT / room).rglob("*.py"))
    crossing = {str(path.relative_to(ROOT)): sorted(_imports(path) & FORBIDDEN[room]) for path in files}
    assert not {name: names for name, names in crossing.items() if names}
