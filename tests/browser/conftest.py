"""The web client in a real browser: Debian's Chromium driven by Playwright, against the real app
served by uvicorn on loopback, on PostgreSQL, with a loopback SMTP server; nothing reaches the
internet (the app's outbound HTTP goes to a local fake, Chromium's background networking is off)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from settings import Settings
from tests.builders import feedback_text
from tests.pg import free_port
from tests.smtp import SmtpSink
from tests.web.conftest import no_network
from web.app import build_app

ROOT = Path(__file__).parents[2]
CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "client" / "node_modules" / "axe-core" / "axe.min.js"
AXE_SOURCE = AXE.read_text() if AXE.exists() else ""
SCREENSHOTS = ROOT / ".tmp" / "screenshots"
# Waits end as soon as the page is ready; the ceiling only matters on a loaded machine (argon2 is slow).
expect.set_options(timeout=20_000)
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class LiveServer:
    url: str
    settings: Settings


@pytest.fixture
def live_server(pg_settings: Settings, smtp: SmtpSink) -> Iterator[LiveServer]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = pg_settings.with_changes(web_url=url, smtp_url=smtp.url, auth_rate_per_address=1000)
    app = build_app(settings, http_transport=httpx.MockTransport(no_network))
    # A page's live stream may still be open at the end; the server does not wait long for it.
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", proxy_headers=False, timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    yield LiveServer(url, settings)
    server.should_exit = True
    thread.join(30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Playwright's sync API keeps an event loop running in this thread while it is open, so it
    is closed after each browser module, before tests that run their own loops."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@dataclass
class Watched:
    """A page whose console is watched for Content-Security-Policy violations and errors."""

    page: Page
    context: BrowserContext
    csp_violations: list[str] = field(default_factory=list)


@pytest.fixture
def open_page(browser: Browser, live_server: LiveServer) -> Iterator[Any]:
    contexts: list[BrowserContext] = []

    def opener(width: int = 1280) -> Watched:
        context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900})
        contexts.append(context)
        page = context.new_page()
        watched = Watched(page, context)
        page.on(
            "console",
            lambda message: (
                watched.csp_violations.append(message.text)
                if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text
                else None
            ),
        )
        page.on("dialog", lambda dialog: dialog.accept())
        return watched

    yield opener
    for context in contexts:
        context.close()


def axe_problems(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now."""
    # Evaluated through the DevTools protocol: the page's CSP (rightly) refuses injected scripts.
    page.evaluate(AXE_SOURCE + "\n;0")
    result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at {[n['target'] for n in violation['nodes']][:3]}"
        for violation in result
        if violation["impact"] in ("serious", "critical")
    ]


def write_feedback(scope: Any, lead: str) -> None:
    """Fill the guided form in `scope` (a page or part of one) with enough words for the effort gate,
    different each time (a reviewer's copies of their own feedback are refused). `lead` opens the
    strongest moment."""
    scope.get_by_label("Strongest moment").first.fill(f"{lead}: {feedback_text(words=14)}")
    scope.get_by_label("Biggest problem").first.fill(f"The low end is muddy: {feedback_text(words=12)}")
    scope.get_by_label("One next step").first.fill(f"Try a high-pass on the pad: {feedback_text(words=12)}")


def screenshot(page: Page, name: str) -> None:
    """Full-page screenshots at a phone's width and a desktop's, into .tmp/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    if original:
        page.set_viewport_size(original)
