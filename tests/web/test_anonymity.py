"""Reviewers stay anonymous: nothing in a member's group view says who wrote which feedback.

The audit found that `received[i]` was written by the owner of `to_review[i]`, and that response
ids gave the same away, because responses were inserted writer by writer. The job now inserts
them in a shuffled order and `received` is ordered by submission time.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
from starlette.testclient import TestClient

import db.grouping
from db.connection import database
from db.models import FeedbackRequest, FeedbackResponse
from jobs.assign_groups import assign_groups
from jobs.runner import execute
from settings import Settings
from tests.builders import bearer, make_request, make_user


def test_neither_the_order_nor_the_ids_of_received_feedback_follow_the_writers(
    anon: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db.grouping, "_shuffler", random.Random(8))  # a fixed shuffle: the test is repeatable
    users = [make_user() for _ in range(40)]
    for user in users:
        make_request(user, genre="jazz")
    status, _ = execute("assign_groups", lambda: assign_groups(settings))
    assert status == 0
    owner_of: dict[int, int] = {}
    with database.connection_context():
        for request in FeedbackRequest.select():
            owner_of[request.id] = request.user_id
        responses = list(FeedbackResponse.select())
        # Everyone writes everything they owe, in an order of their own.
        order = random.Random(3).sample(responses, len(responses))
        start = dt.datetime(2026, 11, 1, 12, 0)
        for position, response in enumerate(order):
            FeedbackResponse.update(
                feedback=f"written by {response.user_id}", submitted_at=start + dt.timedelta(seconds=position)
            ).where(FeedbackResponse.id == response.id).execute()
        groups = {request.user_id: request.group_id for request in FeedbackRequest.select()}
    same_order = same_ids_order = 0
    for user in users:
        detail = anon.get(f"/api/v1/groups/{groups[user.id]}", headers=bearer(settings, user)).json()["group"]
        owners = [owner_of[item["request"]["id"]] for item in detail["to_review"]]
        writers = [int(item["feedback"].removeprefix("written by ")) for item in detail["received"]]
        assert sorted(owners) == sorted(writers)  # the same people, each way
        same_order += writers == owners
        by_id = [
            int(item["feedback"].removeprefix("written by "))
            for item in sorted(detail["received"], key=lambda i: i["id"])
        ]
        same_ids_order += by_id == sorted(by_id)
    # Writer by writer, both held for all 40 members; shuffled, each holds for about one in six.
    assert same_order <= 15 and same_ids_order <= 15, (same_order, same_ids_order)
