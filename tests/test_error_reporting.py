"""Error reporting: with SENTRY_DSN pointed at a loopback server, a failing route and a failing job
each send an event, tagged with the environment, the release and the request id, and nothing in
what arrives holds an address, a password, a token, a cookie or a piece of feedback.

Adversary notes: an event is sent to a third party, so everything a request carried is suspect: the
scrubber drops bodies, cookies, query strings and most headers, exception messages and log
arguments (where data hides), and masks addresses and tokens in what text is left."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from error_reporting import clean_text, scrub
from tests.error_reporting_probe import SECRETS
from tests.serving import ROOT


class _Collector(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        self.received.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def collector() -> Iterator[tuple[str, list[bytes]]]:
    received: list[bytes] = []
    handler = type("Collector", (_Collector,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://publickey@127.0.0.1:{server.server_port}/42", received
    server.shutdown()
    server.server_close()


def _events(envelopes: list[bytes]) -> list[dict[str, Any]]:
    events = []
    for envelope in envelopes:
        lines = envelope.split(b"\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header).get("type") == "event":
                events.append(json.loads(payload))
    return events


def test_a_failing_route_and_job_are_reported_without_personal_data(
    collector: tuple[str, list[bytes]], tmp_path: Path
) -> None:
    dsn, received = collector
    env = {
        **os.environ,
        "SENTRY_DSN": dsn,
        "RELEASE": "release-1234",
        "ENVIRONMENT": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite3'}",
        "WEB_URL": "http://127.0.0.1:8000",
        "MAIL_FOLDER": str(tmp_path / "mail"),
    }
    probe = subprocess.run(
        [sys.executable, "-m", "tests.error_reporting_probe"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert probe.returncode == 0, probe.stderr
    request_id, token = probe.stdout.split()[:2]
    events = _events(received)
    route_events = [event for event in events if event.get("tags", {}).get("request_id") == request_id]
    job_events = [event for event in events if event.get("logger") == "howsmytrack.jobs"]
    assert route_events and job_events
    for event in route_events + job_events:
        assert event["environment"] == "development" and event["release"] == "release-1234"
    assert route_events[0]["exception"]["values"][-1]["type"] == "RuntimeError"
    everything = b"\n".join(received).decode()
    for secret in [*SECRETS.values(), token, token.split(".")[2], "ada.lovelace", "Bearer", "Cookie", "session="]:
        assert secret not in everything, secret


def test_the_scrubber_masks_addresses_and_tokens_in_what_text_it_keeps() -> None:
    assert clean_text("mail to bo@example.com failed\nsecond line") == "mail to [email] failed"
    assert "[token]" in clean_text("token eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl seen")
    event = {
        "request": {"url": "https://x.example/a?token=abc", "headers": {"Cookie": "s=1", "User-Agent": "ua"}},
        "user": {"email": "bo@example.com"},
        "exception": {
            "values": [
                {"type": "ValueError", "value": "bo@example.com", "stacktrace": {"frames": [{"vars": {"p": 1}}]}}
            ]
        },
        "logentry": {"message": "%s failed", "params": ["bo@example.com"], "formatted": "bo@example.com failed"},
    }
    cleaned = scrub(event)
    assert cleaned["request"] == {"url": "https://x.example/a", "headers": {"User-Agent": "ua"}}
    assert "user" not in cleaned and cleaned["logentry"] == {"message": "%s failed"}
    assert cleaned["exception"]["values"][0] == {"type": "ValueError", "stacktrace": {"frames": [{}]}}
