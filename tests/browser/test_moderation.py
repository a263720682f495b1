"""Moderation in the browser: a member reports feedback on their track; an admin works the
queue, opens the report with its context and bans the writer, whose open page is signed out at
once and who is told why at sign-in; the owner sees the feedback as removed; the audit log has
the action once. Screenshots of every admin page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from db import stats
from db.connection import database
from db.models import AuditLog, FeedbackResponse, Report, User, utcnow
from tests.browser.conftest import LiveServer, axe_problems, screenshot
from tests.browser.test_journey import open_signed_in, sign_in
from tests.builders import PASSWORD, GroupFixture, make_group, make_user, rate, submit

# One worker runs the browser tests, one after another (each module opens its own Chromium).
pytestmark = pytest.mark.xdist_group("browser")


def readable_review(text: str, rating: int) -> tuple[GroupFixture, User, User, FeedbackResponse]:
    """A group where the owner wrote all they owe and rated the writer's `text` with `rating`."""
    group = make_group(n=3)
    owner, writer, _ = group.users
    for response in group.to_review(owner):
        submit(response, "A careful review.")
    review = group.response(writer, owner)
    submit(review, text)
    rate(review, rating)
    return group, owner, writer, review


def test_an_admin_works_the_queue_and_bans_the_writer(live_server: LiveServer, open_page: Any) -> None:
    group, owner, writer, _ = readable_review("This is the worst thing I have ever heard, give up.", 1)
    admin = make_user("root@example.com", is_admin=True)
    with database.connection_context(), database.atomic():
        stats.store_days(utcnow().date())

    owners = open_signed_in(open_page, owner.email)
    owners.page.goto(f"/groups/{group.group.id}")
    owners.page.get_by_role("button", name="Report this feedback").click()
    owners.page.get_by_label("Why are you reporting this feedback?").select_option("abusive")
    owners.page.get_by_label("Anything the moderators should know").fill("Mean, and no help at all.")
    owners.page.get_by_role("button", name="Send the report").click()
    expect(owners.page.get_by_text("Reported. A moderator will look at it")).to_be_visible()

    writers = open_page()
    writers.page.goto("/sign-in")
    sign_in(writers.page, writer.email, PASSWORD)
    expect(writers.page.get_by_role("heading", name="Your tracks and groups")).to_be_visible()

    admins = open_page()
    page = admins.page
    page.goto("/sign-in")
    sign_in(page, admin.email, PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    expect(page.get_by_role("heading", name="Admin: Moderation queue")).to_be_visible()
    queue = page.get_by_role("region", name="reports")
    expect(queue.get_by_text("Feedback: This is the worst thing")).to_be_visible()
    assert not axe_problems(page)
    screenshot(page, "admin-queue")
    queue.get_by_role("link", name=re.compile(r"\d{4}")).click()
    expect(page.get_by_text("Mean, and no help at all.")).to_be_visible()
    reported = page.get_by_role("article", name="The feedback")
    expect(reported).to_contain_text(f"Feedback by {writer.email}")
    expect(reported).to_contain_text("This is the worst thing I have ever heard")
    assert not axe_problems(page)
    screenshot(page, "admin-report")
    page.get_by_label(re.compile("^Note")).fill("Abusive feedback")
    page.get_by_role("button", name="Ban the writer").click()  # the confirmation is accepted
    expect(page.get_by_text(re.compile(r"Resolved \(banned\)"))).to_be_visible()

    # The writer's open page is signed out by the live stream, and sign-in says why.
    expect(writers.page).to_have_url(re.compile("/sign-in"), timeout=15_000)
    sign_in(writers.page, writer.email, PASSWORD)
    expect(writers.page.get_by_text("This account is suspended (Abusive feedback)")).to_be_visible()

    owners.page.reload()
    expect(owners.page.get_by_text("Removed by a moderator.")).to_be_visible()
    expect(owners.page.get_by_text("This is the worst thing")).to_have_count(0)

    page.get_by_role("link", name=writer.email).first.click()
    expect(page.get_by_role("heading", name=re.compile(re.escape(writer.email)))).to_be_visible()
    expect(page.get_by_text("Banned", exact=False).first).to_be_visible()
    assert not axe_problems(page)
    screenshot(page, "admin-user")
    for tab, heading, name in (
        ("Users", "Admin: Users", "admin-users"),
        ("Groups", "Admin: Groups", "admin-groups"),
        ("Requests", "Admin: Requests", "admin-requests"),
        ("Job runs", "Admin: Job runs", "admin-job-runs"),
        ("Audit log", "Admin: Audit log", "admin-audit-log"),
        ("Statistics", "Admin: Statistics", "admin-stats"),
    ):
        page.get_by_role("navigation", name="Admin").get_by_role("link", name=tab).click()
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        expect(page.get_by_role("status")).to_have_count(0)  # loaded
        if tab == "Audit log":
            expect(page.get_by_role("cell", name="report banned")).to_be_visible()
        assert not axe_problems(page), tab
        screenshot(page, name)
    with database.connection_context():
        assert [entry.action for entry in AuditLog.select()] == ["report_banned"]
    for watched in (owners, writers, admins):
        assert not watched.csp_violations


def test_a_hide_asks_for_a_note_and_confirmation_and_can_be_undone(live_server: LiveServer, open_page: Any) -> None:
    group, owner, writer, harsh = readable_review("Honestly the mix is a mess, the kick is buried.", 2)
    admin = make_user("root@example.com", is_admin=True)
    with database.connection_context():
        report = Report.create(reporter=owner.id, response=harsh.id, writer=writer.id, reason="abusive")

    admins = open_page(width=390)
    page = admins.page
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    page.goto("/sign-in")
    sign_in(page, admin.email, PASSWORD)
    expect(page.get_by_role("heading", name="Your tracks and groups")).to_be_visible()
    page.goto(f"/admin/reports/{report.id}")
    expect(page.get_by_role("heading", name=re.compile("Report #"))).to_be_visible()
    page.get_by_role("button", name="Hide it").click()  # no note yet: nothing happens but the hint
    expect(page.get_by_text("Write a note first: it goes into the audit log.")).to_be_visible()
    assert dialogs == []
    page.get_by_label(re.compile("^Note")).fill("Harsh, but on reflection it is about the track")
    page.get_by_role("button", name="Hide it").click()
    expect(page.get_by_text(re.compile(r"Resolved \(hidden\)"))).to_be_visible()
    assert dialogs and "Hide this item?" in dialogs[-1]
    screenshot(page, "admin-report-hidden")
    page.get_by_label("Why it is shown again (for the audit log)").fill("Fair criticism after all")
    page.get_by_role("button", name="Show it again").click()
    expect(page.get_by_role("button", name="Show it again")).to_have_count(0)
    assert "Show this item again?" in dialogs[-1]
    page.goto("/admin/audit-log")
    expect(page.get_by_role("cell", name="report restored")).to_be_visible()
    assert not axe_problems(page)
    screenshot(page, "admin-audit-log-390")
    with database.connection_context():
        assert [(e.action, e.reason) for e in AuditLog.select().order_by(AuditLog.id)] == [
            ("report_hidden", "Harsh, but on reflection it is about the track"),
            ("report_restored", "Fair criticism after all"),
        ]
    owners = open_signed_in(open_page, owner.email)
    owners.page.goto(f"/groups/{group.group.id}")
    expect(owners.page.get_by_text("Honestly the mix is a mess")).to_be_visible()
