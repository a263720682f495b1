"""The README cannot drift: every fenced block marked `sh checked` is run here as written, line by
line (`make test` is the one CI runs); a command that serves (`make run`, `python -m web.serve`) is
started, must answer `/healthz` and the demo login it advertises, and is stopped."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from db.demo import DEMO_EMAIL, DEMO_PASSWORD
from tests.pg import free_port
from tests.serving import ROOT, wait_until_up

README = ROOT / "README.md"
CHECKED = re.compile(r"^```sh checked\n(.*?)^```$", re.MULTILINE | re.DOTALL)
# Where a command names something the reader fills in, what the test fills in.
PLACEHOLDERS = {"EMAIL": DEMO_EMAIL, " [--workers N]": ""}
SERVES = ("make run", "python -m web.serve")


def checked_commands() -> list[str]:
    commands = []
    for block in CHECKED.findall(README.read_text()):
        for line in block.splitlines():
            command = line.split("  #", 1)[0].strip()
            if command:
                for name, value in PLACEHOLDERS.items():
                    command = command.replace(name, value)
                commands.append(command)
    return commands


def test_the_readme_marks_its_commands_as_checked() -> None:
    commands = checked_commands()
    assert "make run" in commands and "make test" in commands and "python -m jobs --list" in commands


def _serve(command: str, env: dict[str, str], cwd: Path) -> None:
    port = free_port()
    if command.startswith("make run"):
        argv = ["make", "run", f"PORT={port}"]
    else:  # the README's port is the reader's; the test takes a free one
        argv = re.sub(r"--port \d+", f"--port {port}", command).replace("python", sys.executable, 1).split()
        env = {**env, "WEB_URL": f"http://127.0.0.1:{port}"}
    server = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    started = False
    try:
        with contextlib.suppress(RuntimeError):
            wait_until_up(base, server, seconds=300)
            started = True
        if started:
            login = httpx.post(
                f"{base}/api/v1/auth/login",
                json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD},
                headers={"Origin": base},
            )
            assert login.status_code == 200, login.text
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        output, _ = server.communicate(timeout=60)
    printed = output.decode(errors="replace")
    assert started, f"{command} did not serve:\n{printed[-3000:]}"
    if command.startswith("make run"):
        assert f"demo login: {DEMO_EMAIL}" in printed and f"http://127.0.0.1:{port}/" in printed


@pytest.mark.parametrize("command", [c for c in checked_commands() if c != "make test"])
def test_each_checked_command_runs_as_written(command: str, tmp_path: Path) -> None:
    """In the checkout, on a SQLite file of this test's own (DATABASE_URL), with the demo data the
    README's commands refer to."""
    # A reader's shell: not the make that runs the suite (its jobserver and flags are not ours), nor
    # the suite's virtualenv (the Makefile's `python3` is the machine's, which has pipenv).
    outside = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKE_TERMOUT", "MAKE_TERMERR", "VIRTUAL_ENV", "PIPENV_ACTIVE")
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if not p.startswith(sys.prefix))
    env = {
        **{name: value for name, value in os.environ.items() if name not in outside},
        "PATH": path,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'readme.sqlite3'}",
        "MAIL_FOLDER": str(tmp_path / "mail"),
        "LOG_LEVEL": "WARNING",
    }
    env.pop("WEB_URL", None)
    if command.startswith(SERVES):
        if command.startswith("python"):
            subprocess.run([sys.executable, "-m", "db", "demo"], cwd=ROOT, env=env, check=True, capture_output=True)
        _serve(command, env, ROOT)
        return
    subprocess.run([sys.executable, "-m", "db", "demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    argv = command.split()
    if argv[0] == "python":
        argv[0] = sys.executable
    elif argv[0] == "make":
        assert shutil.which("make")
    result = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (command, result.stdout[-2000:], result.stderr[-2000:])
