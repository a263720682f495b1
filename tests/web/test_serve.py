"""The service as it is started for real (`python -m web.serve`): proxy headers are believed only
from TRUSTED_PROXIES, even when the caller connects over loopback."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.serving import served

ROOT = Path(__file__).parents[2]


@contextmanager
def served_on_sqlite(tmp_path: Path, **env: str) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'served.sqlite3'}"
    environment = {**os.environ, "DATABASE_URL": url, "ENVIRONMENT": "development", "LOG_LEVEL": "WARNING", **env}
    subprocess.run([sys.executable, "-m", "db", "migrate"], cwd=ROOT, env=environment, check=True, capture_output=True)
    with served(environment) as base:
        yield base


def _counted_addresses(tmp_path: Path, base: str, forwarded: list[str]) -> set[str]:
    """Sign-in attempts claiming to come from `forwarded`; returns the addresses the limits counted."""
    body = {"email": "nobody@example.com", "password": "whatever it is"}
    for address in forwarded:
        response = httpx.post(base + "/api/v1/auth/login", json=body, headers={"X-Forwarded-For": address})
        assert response.status_code == 401
    with sqlite3.connect(tmp_path / "served.sqlite3") as connection:
        keys = connection.execute("SELECT key FROM rate_limit_counter WHERE key LIKE 'auth-address:%'").fetchall()
    return {key.removeprefix("auth-address:") for (key,) in keys}


@pytest.mark.parametrize(
    ("trusted", "expected"),
    [("", {"127.0.0.1"}), ("127.0.0.1", {"203.0.113.1", "203.0.113.2"})],
    ids=["no-trusted-proxies", "loopback-trusted"],
)
def test_forwarded_for_counts_only_from_trusted_proxies(tmp_path: Path, trusted: str, expected: set[str]) -> None:
    with served_on_sqlite(tmp_path, TRUSTED_PROXIES=trusted) as base:
        assert _counted_addresses(tmp_path, base, ["203.0.113.1", "203.0.113.2"]) == expected
