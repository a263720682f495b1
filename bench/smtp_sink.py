"""A counting SMTP server on loopback for the benchmarks (aiosmtpd, in its own process so that it
does not share the measured process's interpreter): `python -m bench.smtp_sink PORT` accepts every
message, keeps none, and on SIGTERM prints how many it took."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from typing import Any

from aiosmtpd.controller import Controller


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


class SmtpSinkProcess:
    """The sink as a child process: `url` while running; `stop()` returns the messages it took."""

    def __init__(self) -> None:
        from tests.pg import free_port

        self.port = free_port()
        self.url = f"smtp://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.smtp_sink", str(self.port)], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        deadline = time.monotonic() + 20
        while self.process.stdout.readline().strip() != "ready":
            if time.monotonic() > deadline:
                raise RuntimeError("the SMTP sink did not start")

    def stop(self) -> int:
        self.process.terminate()
        out, _ = self.process.communicate(timeout=30)
        return int(out.strip().splitlines()[-1])


if __name__ == "__main__":
    main(int(sys.argv[1]))
