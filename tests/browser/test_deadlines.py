"""Deadlines in the browser: a group page counts down to its deadline, and the account page shows
the member's strikes, when each expires, and how to clear one."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from playwright.sync_api import expect

from db import deadlines
from db.connection import database
from db.models import Strike, utcnow
from tests.browser.conftest import LiveServer, axe_problems, screenshot
from tests.browser.test_journey import sign_in
from tests.builders import PASSWORD, make_group, make_user


def test_a_member_sees_the_deadline_and_their_standing(live_server: LiveServer, open_page: Any) -> None:
    me = make_user("struck@example.com")
    missed = make_group(n=2, users=[me, make_user()])
    current = make_group(n=3, users=[me, make_user(), make_user()])
    with database.connection_context():
        for group in (missed, make_group(n=2, users=[me, make_user()])):
            given = utcnow()
            expires = given + dt.timedelta(days=deadlines.STRIKE_DAYS)
            Strike.create(user=me, group=group.group.id, kind=deadlines.NO_SHOW, created_at=given, expires_at=expires)
    watched = open_page()
    page = watched.page
    page.goto("/sign-in")
    sign_in(page, me.email, PASSWORD)
    expect(page.get_by_role("heading", name="Your tracks and groups")).to_be_visible()
    page.goto(f"/groups/{current.group.id}")
    expect(page.get_by_text(re.compile(r"Feedback due in 2 days 2\d h|Feedback due in 3 days 0 h"))).to_be_visible()
    assert not axe_problems(page)
    screenshot(page, "group-deadline")
    page.goto("/account")
    standing = page.get_by_role("region", name="Your standing")
    expect(standing.get_by_text(f"group #{missed.group.id}")).to_be_visible()
    expect(standing.get_by_text("you can't submit a track for now")).to_be_visible()
    expect(standing.get_by_text("write all the feedback you owe in a later group")).to_be_visible()
    assert not axe_problems(page)
    screenshot(page, "account-standing")
    assert not watched.csp_violations
