"""A counting SMTP server on loopback for the benchmarks, in its own process so that it does not
share the measured process's interpreter or its core.

Postfix's `smtp-sink` (fetched by `make bench-deps`; written in C for load-testing mail clients)
when it is there; otherwise `python -m bench.smtp_sink PORT`, an aiosmtpd server that accepts every
message, keeps none, and on SIGTERM prints how many it took. The aiosmtpd one spends about 0.6 ms of
CPU a message, so past about 1,500 messages a second it measures itself rather than the sender."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

POSTFIX = Path(__file__).parents[1] / ".venv" / "postfix"


class _Counter:
    def __init__(self) -> None:
        self.messages = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages += 1
        return "250 OK"


def main(port: int) -> None:
    counter = _Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    stopped.wait()
    controller.stop()
    print(counter.messages, flush=True)


def _postfix_sink() -> tuple[str, dict[str, str]] | None:
    """The smtp-sink program and its environment, if there is one."""
    local = POSTFIX / "usr" / "sbin" / "smtp-sink"
    if local.exists():
        return str(local), {**os.environ, "LD_LIBRARY_PATH": str(POSTFIX / "usr" / "lib" / "postfix")}
    found = shutil.which("smtp-sink")
    return (found, dict(os.environ)) if found else None


class SmtpSinkProcess:
    """The sink as a child process: `url` while running; `stop()` returns the messages it took;
    `name` says which sink it is."""

    def __init__(self) -> None:
        from tests.pg import free_port

        self.port = free_port()
        self.url = f"smtp://127.0.0.1:{self.port}"
        postfix = _postfix_sink()
        if postfix:
            program, env = postfix
            self.name = "postfix smtp-sink"
            # -c: print running counts ("mesg=N"); smtp-sink refuses to run as root without -u.
            user = ["-u", "nobody"] if os.geteuid() == 0 else []
            command = [program, *user, "-c", f"127.0.0.1:{self.port}", "256"]
            # Its counts go to a file: a pipe nobody reads while it runs would fill and stall it.
            self.counts = tempfile.TemporaryFile("w+")  # noqa: SIM115 (closed by stop())
            self.process = subprocess.Popen(command, env=env, stdout=self.counts, text=True)
            self._wait_for_port()
        else:
            self.name = "aiosmtpd"
            command = [sys.executable, "-m", "bench.smtp_sink", str(self.port)]
            self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
            assert self.process.stdout is not None
            deadline = time.monotonic() + 20
            while self.process.stdout.readline().strip() != "ready":
                if time.monotonic() > deadline:
                    raise RuntimeError("the SMTP sink did not start")

    def _wait_for_port(self) -> None:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("the SMTP sink did not start") from None
                time.sleep(0.05)

    def stop(self) -> int:
        self.process.terminate()
        out, _ = self.process.communicate(timeout=30)
        if self.name == "aiosmtpd":
            return int(out.strip().splitlines()[-1])
        self.counts.seek(0)
        counts = re.findall(r"mesg=(\d+)", self.counts.read())
        self.counts.close()
        return int(counts[-1]) if counts else 0


if __name__ == "__main__":
    main(int(sys.argv[1]))
