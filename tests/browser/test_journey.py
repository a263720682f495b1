"""Four musicians use the web client end to end: sign up, submit tracks, get grouped by the real
`assign_groups`, write feedback, unlock theirs, rate it, reply and read; a password reset through
the emailed link; axe-core on every page and no CSP violation anywhere; screenshots of each page."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from db.connection import database
from db.models import FeedbackResponse, User
from jobs.assign_groups import assign_groups
from jobs.runner import execute
from tests.browser.conftest import LiveServer, axe_problems, screenshot, write_feedback
from tests.builders import PASSWORD as BUILDER_PASSWORD
from tests.builders import feedback_text, make_group, submit
from tests.smtp import SmtpSink

# One worker runs the browser tests, one after another (each module opens its own Chromium).
pytestmark = pytest.mark.xdist_group("browser")

PASSWORD = "a fine passphrase 7"


def sign_up(page: Page, email: str) -> None:
    page.goto("/sign-up")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Your tracks and groups")).to_be_visible()


def _emailed_link(smtp: SmtpSink, to: str, path: str = "verify-email") -> str:
    """The newest `/path?token=…` link emailed to `to`, once it has arrived (account emails are sent
    after the answer, so the page can be ahead of the mail)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for message in reversed(list(smtp.messages)):
            if message["To"] == to:
                found = re.search(rf"(http://\S+/{path}\?token=\S+)", SmtpSink.bodies(message)[0])
                if found:
                    return found[1]
        time.sleep(0.05)
    raise AssertionError(f"no {path} link for {to}")


def sign_in(page: Page, email: str, password: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def open_signed_in(open_page: Any, email: str, password: str = BUILDER_PASSWORD, width: int = 1280) -> Any:
    """A new browser page signed in as `email` (a builder's user by default), on its home page."""
    watched = open_page(width=width)
    watched.page.goto("/sign-in")
    sign_in(watched.page, email, password)
    expect(watched.page.get_by_role("heading", name="Your tracks and groups")).to_be_visible()
    return watched


def submit_track(page: Page, slug: str) -> None:
    page.get_by_label("Link to your track").fill(f"https://soundcloud.com/howsmytrack-test/{slug}")
    expect(page.get_by_text("SoundCloud link: looks good.")).to_be_visible()
    page.get_by_label("Genre").select_option("electronic")
    page.get_by_label("What would you like feedback on?").fill("Is the drop too long?")
    page.get_by_role("button", name="Submit track").click()
    expect(page.get_by_role("heading", name="Your track is waiting for a group")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Next grouping (in \d+ (h|min)|any moment)"))).to_be_visible()


def open_group(page: Page) -> None:
    page.goto("/")
    page.get_by_role("link", name=re.compile("Feedback Group #")).click()
    expect(page.get_by_role("heading", name="Tracks to review", exact=False)).to_be_visible()


def write_everything(page: Page, writer: str) -> None:
    buttons = page.get_by_role("button", name="Send feedback")
    while (left := buttons.count()) > 0:
        write_feedback(page, writer)
        buttons.first.click()
        expect(buttons).to_have_count(left - 1)


def test_four_musicians_exchange_feedback_end_to_end(live_server: LiveServer, open_page: Any, smtp: SmtpSink) -> None:
    problems: dict[str, list[str]] = {}
    musicians = [open_page() for _ in range(4)]
    emails = [f"musician{index}@example.com" for index in range(4)]

    first = musicians[0].page
    first.goto("/sign-up")
    problems["sign-up"] = axe_problems(first)
    screenshot(first, "sign-up")
    for watched, email in zip(musicians, emails, strict=True):
        sign_up(watched.page, email)
    problems["home-unconfirmed"] = axe_problems(first)
    screenshot(first, "home-unconfirmed")
    # Each confirms their address through the emailed link (the banner goes), so group emails reach them.
    for watched, email in zip(musicians, emails, strict=True):
        expect(watched.page.get_by_role("region", name="Confirm your email")).to_be_visible()
        watched.page.goto(_emailed_link(smtp, email))
        expect(watched.page.get_by_text("Your email address is confirmed.")).to_be_visible()
        expect(watched.page.get_by_role("region", name="Confirm your email")).to_have_count(0)
        watched.page.get_by_role("link", name="Go to your groups").click()
    smtp.messages.clear()
    problems["home-form"] = axe_problems(first)
    screenshot(first, "home-new-request")
    for index, watched in enumerate(musicians):
        submit_track(watched.page, f"track-{index}")
    problems["home-waiting"] = axe_problems(first)
    screenshot(first, "home-waiting")

    status, result = execute("assign_groups", lambda: assign_groups(live_server.settings))
    assert status == 0 and result.counts["assigned"] == 4
    assert sorted(message["To"] for message in smtp.messages) == sorted(emails)

    open_group(first)
    expect(first.get_by_text("Nobody has written about your track yet. Write your 3")).to_be_visible()
    problems["group-locked"] = axe_problems(first)
    screenshot(first, "group-to-review")
    for watched, email in zip(musicians, emails, strict=True):
        open_group(watched.page)
        write_everything(watched.page, email)

    first.reload()
    received = first.get_by_role("article", name=re.compile("Feedback"))
    expect(received).to_have_count(3)
    problems["group-unlocked"] = axe_problems(first)
    screenshot(first, "group-unlocked")
    received.first.get_by_label("4").check()
    received.first.get_by_role("button", name="Rate").click()
    expect(first.get_by_text("You rated it 4 out of 5")).to_be_visible()
    rated_text = received.first.locator(".guided dd").first.inner_text()
    writer_email = rated_text.split(":")[0]
    writer = musicians[emails.index(writer_email)].page
    open_group(writer)  # reads what the group's notifications said (others' feedback arrived since)
    writer.goto("/")
    # One badge: the notifications'; visiting a group reads what its notifications said.
    to_do = writer.get_by_role("button", name=re.compile("^Notifications")).locator(".count")
    expect(to_do).to_have_count(0)
    received.first.get_by_role("button", name="Start a conversation").click()
    received.first.get_by_label("Reply", exact=True).fill("Thanks! Which part of the pad?")
    received.first.get_by_role("button", name="Send reply").click()
    expect(received.first.get_by_text("Thanks! Which part of the pad?")).to_be_visible()

    # The writer of the rated feedback is told of the reply as it happens (no reload), and reading it
    # clears their count.
    expect(to_do).to_have_text("1")
    open_group(writer)
    expect(writer.get_by_text("Thanks! Which part of the pad?")).to_be_visible()
    expect(to_do).to_have_count(0)
    with database.connection_context():
        owner = User.get(User.email == emails[0])
        assert FeedbackResponse.select().where(FeedbackResponse.rating == 4).get().request.user_id == owner.id

    first.goto("/account")
    expect(first.get_by_role("heading", name="Your account", exact=True)).to_be_visible()
    problems["account"] = axe_problems(first)
    screenshot(first, "account")

    for name, watched in zip(emails, musicians, strict=True):
        assert not watched.csp_violations, (name, watched.csp_violations)
    assert not {page: found for page, found in problems.items() if found}


def test_a_forgotten_password_is_reset_through_the_emailed_link(
    live_server: LiveServer, open_page: Any, smtp: SmtpSink
) -> None:
    watched = open_page(width=390)
    page = watched.page
    sign_up(page, "ada@example.com")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    problems = {"sign-in": axe_problems(page)}
    screenshot(page, "sign-in")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_text("we have emailed it a link")).to_be_visible()
    problems["forgot-password"] = axe_problems(page)
    screenshot(page, "forgot-password")
    page.goto(_emailed_link(smtp, "ada@example.com", "reset-password"))
    assert len([message for message in smtp.messages if "Reset" in message["Subject"]]) == 1
    page.get_by_label("New password").fill("a brand new passphrase")
    problems["reset-password"] = axe_problems(page)
    screenshot(page, "reset-password")
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_text("Your password is changed")).to_be_visible()
    page.get_by_role("main").get_by_role("link", name="Sign in").click()
    sign_in(page, "ada@example.com", "a brand new passphrase")
    expect(page.get_by_role("heading", name="Your tracks and groups")).to_be_visible()
    assert not watched.csp_violations
    assert not {name: found for name, found in problems.items() if found}


def test_a_signed_out_visitor_is_sent_to_sign_in_and_back(live_server: LiveServer, open_page: Any) -> None:
    watched = open_page()
    page = watched.page
    sign_up(page, "ada@example.com")
    page.context.clear_cookies()
    page.goto("/account")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert "next=%2Faccount" in page.url
    sign_in(page, "ada@example.com", PASSWORD)
    expect(page.get_by_role("heading", name="Your account", exact=True)).to_be_visible()
    # A session that ends mid-visit (signed out elsewhere) leads back to sign-in, remembering the page.
    page.context.clear_cookies()
    page.get_by_role("button", name="Turn reminder emails off").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert "next=%2Faccount" in page.url


def test_the_sign_in_journey_works_with_the_keyboard_alone(live_server: LiveServer, open_page: Any) -> None:
    watched = open_page()
    page = watched.page
    sign_up(page, "ada@example.com")
    page.context.clear_cookies()
    page.goto("/sign-in")
    # Each page starts with its heading focused; the skip link, the brand and the public links
    # (How it works, Sign in) come before it.
    expect(page.get_by_role("heading", name="Sign in")).to_be_focused()
    expect(page.get_by_role("banner").get_by_role("link", name="How it works")).to_be_visible()  # the header is in
    for _ in range(4):
        page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Email")).to_be_focused()
    page.keyboard.type("ada@example.com")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your tracks and groups")).to_be_focused()
    trackless = page.get_by_label("No track this time: just give feedback")
    expect(trackless).to_be_visible()  # the form appears once the caller's requests are loaded
    page.keyboard.press("Tab")
    expect(trackless).to_be_focused()
    page.keyboard.press("Space")
    expect(trackless).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Genre")).to_be_focused()
    for _ in range(2):
        page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Join the next group")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="You're joining the next group")).to_be_visible()


def tab_to(page: Page, target: Any, limit: int = 40) -> None:
    """Press Tab until `target` has the focus, as a keyboard user would."""
    for _ in range(limit):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}")


def test_writing_and_rating_work_with_the_keyboard_alone(live_server: LiveServer, open_page: Any) -> None:
    group = make_group(n=3)
    me = group.users[0]
    for writer in group.users[1:]:
        submit(group.response(writer, me), f"Feedback from member {writer.id}.")
    with database.connection_context():
        User.update(email="keys@example.com").where(User.id == me.id).execute()
    page = open_page().page
    page.goto("/sign-in")
    expect(page.get_by_role("heading", name="Sign in")).to_be_focused()  # the page is ready for keys
    page.keyboard.press("Tab")
    expect(page.get_by_label("Email")).to_be_focused()
    page.keyboard.type("keys@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type(BUILDER_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your tracks and groups")).to_be_visible()
    link = page.get_by_role("link", name=re.compile("Feedback Group #"))
    expect(link).to_be_visible()
    tab_to(page, link)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    for left in (2, 1):
        expect(page.get_by_role("heading", name=f"Tracks to review ({left} left)")).to_be_visible()
        for field in ("Strongest moment", "Biggest problem", "One next step"):
            tab_to(page, page.get_by_label(field).first)
            page.keyboard.type(f"{field}, written with the keyboard only: {feedback_text(words=14)}")
        tab_to(page, page.get_by_role("button", name="Send feedback").first)
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Tracks to review (all done)")).to_be_visible()
    first = page.get_by_role("article", name="Feedback 1")
    tab_to(page, first.get_by_label("1"))
    page.keyboard.press("ArrowRight")  # radio buttons move with the arrow keys
    page.keyboard.press("ArrowRight")
    expect(first.get_by_label("3")).to_be_checked()
    page.keyboard.press("Tab")
    expect(first.get_by_role("button", name="Rate")).to_be_focused()
    page.keyboard.press("Enter")  # the confirmation dialog is accepted
    expect(first.get_by_text("You rated it 3 out of 5 (Useful).")).to_be_visible()


def test_a_musician_changes_email_downloads_their_data_and_deletes_the_account(
    live_server: LiveServer, open_page: Any, smtp: SmtpSink
) -> None:
    watched = open_page(width=390)
    page = watched.page
    sign_up(page, "eve@example.com")
    page.goto(_emailed_link(smtp, "eve@example.com"))
    expect(page.get_by_text("Your email address is confirmed.")).to_be_visible()
    page.goto("/account")
    page.get_by_role("textbox", name="Email", exact=True).fill("eve.new@example.com")
    page.get_by_label("Current password").first.fill(PASSWORD)
    page.get_by_role("button", name="Change email").click()
    expect(page.get_by_text("We emailed a link to eve.new@example.com")).to_be_visible()
    expect(page.get_by_text("Waiting for you to confirm")).to_be_visible()
    page.goto(_emailed_link(smtp, "eve.new@example.com"))
    expect(page.get_by_text("Your email address is confirmed.")).to_be_visible()
    assert any("changed" in m["Subject"] for m in smtp.expect(2, "eve@example.com"))
    page.goto("/account")
    expect(page.get_by_role("textbox", name="Email", exact=True)).to_have_value("eve.new@example.com")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download my data").click()
    exported = json.loads(Path(download.value.path()).read_text())
    assert exported["user"]["email"] == "eve.new@example.com"
    problems = axe_problems(page)
    screenshot(page, "account-danger-zone")
    delete = page.get_by_role("button", name="Delete my account")
    expect(delete).to_be_disabled()
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("I understand my account cannot be restored").check()
    delete.click()
    expect(page.get_by_role("heading", name="Your account is deleted")).to_be_visible()
    page.goto("/sign-in")
    sign_in(page, "eve.new@example.com", PASSWORD)
    expect(page.get_by_text("That email and password do not match an account.")).to_be_visible()
    assert not problems and not watched.csp_violations
