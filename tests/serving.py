"""The service started as operators start it (`python -m web.serve`), for tests and benchmarks."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.pg import free_port

ROOT = Path(__file__).parents[1]


def start_server(env: dict[str, str]) -> tuple[str, subprocess.Popen[bytes]]:
    """`python -m web.serve` on a free loopback port with `env`, once it answers: its base URL and process."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "web.serve", "--port", str(port)],
        cwd=ROOT,
        env={"WEB_URL": base, **env},
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(base, server)
    except BaseException:
        server.kill()
        raise
    return base, server


@contextmanager
def served(env: dict[str, str]) -> Iterator[str]:
    """`python -m web.serve` on a free loopback port with `env`; yields its base URL once it answers."""
    base, server = start_server(env)
    try:
        yield base
    finally:
        server.terminate()
        server.wait(10)


def wait_until_up(base: str, server: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            httpx.get(base + "/healthz")
            return
        except httpx.TransportError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("the server did not start") from None
            time.sleep(0.05)
