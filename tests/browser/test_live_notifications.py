"""Live notifications in the browser: without reloading, a musician sees their group appear when the
grouping job runs, and another member's reply appear in the thread; the notifications panel lists
what happened, links to it and marks it read."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from db.connection import database
from db.models import FeedbackRequest, FeedbackResponse
from jobs.assign_groups import assign_groups
from jobs.runner import execute
from tests.browser.conftest import LiveServer, axe_problems, screenshot, write_feedback
from tests.browser.test_journey import sign_in
from tests.builders import PASSWORD, bearer, make_request, make_user, rate, submit

# One worker runs the browser tests, one after another (each module opens its own Chromium).
pytestmark = pytest.mark.xdist_group("browser")


def test_a_musician_sees_grouping_and_a_reply_arrive_without_reloading(live_server: LiveServer, open_page: Any) -> None:
    b, a, *others = [make_user(f"{name}@example.com") for name in ("bea", "abe", "cy", "di")]
    for user in (b, a, *others):
        make_request(user)
    watched = open_page()
    page = watched.page
    page.goto("/sign-in")
    sign_in(page, b.email, PASSWORD)
    expect(page.get_by_role("heading", name="Your track is waiting for a group")).to_be_visible()

    status, _ = execute("assign_groups", lambda: assign_groups(live_server.settings))
    assert status == 0
    # No reload: the stream brings "you were grouped", the badge counts it and the home page lists the group.
    notifications = page.get_by_role("button", name=re.compile("^Notifications"))
    expect(notifications.locator(".count")).to_have_text("1")
    group_link = page.get_by_role("link", name=re.compile("Feedback Group #"))
    expect(group_link).to_be_visible()

    # B writes for A (allowing replies) and opens the group; A, having written theirs, rates it and replies.
    with database.connection_context():
        group_id = FeedbackRequest.get(FeedbackRequest.user == b.id).group_id
        for response in FeedbackResponse.select().where(FeedbackResponse.user.in_([a.id, *[o.id for o in others]])):
            submit(response, "Solid mix.")
        for_a = FeedbackResponse.get(
            (FeedbackResponse.user == b.id) & (FeedbackResponse.request == FeedbackRequest.get(user=a.id).id)
        )
    page.goto(f"/groups/{group_id}")
    expect(page.get_by_role("heading", name="Tracks to review", exact=False)).to_be_visible()
    editors = page.get_by_role("button", name="Send feedback")
    while (left := editors.count()) > 0:
        write_feedback(page, "The kick and bass fight around 60 Hz")
        editors.first.click()
        expect(editors).to_have_count(left - 1)
    rate(for_a, 5)
    answered = httpx.post(
        f"{live_server.url}/api/v1/responses/{for_a.id}/replies",
        headers=bearer(live_server.settings, a),
        json={"text": "Great catch, which bar exactly?"},
    )
    assert answered.status_code == 201, answered.text
    expect(page.get_by_text("Great catch, which bar exactly?")).to_be_visible()

    notifications.click()
    panel = page.get_by_role("region", name="Notifications")
    expect(panel.get_by_role("link", name=re.compile("new reply"))).to_be_visible()
    expect(panel.get_by_role("link", name=re.compile("in a new group"))).to_be_visible()
    assert not axe_problems(page)
    screenshot(page, "notifications-panel")
    # Being on the group's page read what its notifications said: no badge.
    expect(notifications.locator(".count")).to_have_count(0)
    page.keyboard.press("Escape")
    expect(panel).to_have_count(0)
    # Away from the group, a new reply counts until "Mark all read".
    page.get_by_role("link", name="Groups").click()
    expect(page.get_by_role("heading", name="Your tracks and groups")).to_be_visible()
    again = httpx.post(
        f"{live_server.url}/api/v1/responses/{for_a.id}/replies",
        headers=bearer(live_server.settings, a),
        json={"text": "And the hats?"},
    )
    assert again.status_code == 201, again.text
    expect(notifications.locator(".count")).to_have_text("1")
    notifications.click()
    panel.get_by_role("button", name="Mark all read").click()
    expect(notifications.locator(".count")).to_have_count(0)
    page.keyboard.press("Escape")
    expect(panel).to_have_count(0)
    expect(notifications).to_be_focused()
    assert not watched.csp_violations
