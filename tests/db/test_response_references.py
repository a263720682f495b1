"""A response's references on PostgreSQL, checked once per statement (migration 0012) instead of by
per-row foreign keys: as strict as the foreign keys were, on every path that could break them."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg2
import pytest
from peewee import IntegrityError

from db.connection import database
from db.models import FeedbackGroup, FeedbackRequest, FeedbackResponse, Reply, User
from tests.builders import GroupFixture, add_reply, make_group, make_user
from tests.pg import direct_url

FOREIGN_KEY_VIOLATION = "23503"


@pytest.fixture
def group(pg_db: str) -> GroupFixture:
    return make_group(3)


@pytest.fixture
def direct(pg_db: str) -> Iterator[list[psycopg2.extensions.connection]]:
    """Two connections of their own (not the pooler's), for transactions that overlap."""
    connections = [psycopg2.connect(direct_url(pg_db)) for _ in range(2)]
    yield connections
    for connection in connections:
        connection.close()


def _responses(**where: int) -> int:
    with database.connection_context():
        query = FeedbackResponse.select()
        for name, value in where.items():
            query = query.where(getattr(FeedbackResponse, name) == value)
        return int(query.count())


@pytest.mark.parametrize("missing", ["request", "user", "group"])
def test_a_response_to_something_missing_is_refused(group: GroupFixture, missing: str) -> None:
    owner = group.users[1]
    row = {"request": group.requests[owner.id].id, "user": make_user().id, "group": group.group.id}
    row[missing] = 999_999
    with database.connection_context(), pytest.raises(IntegrityError, match="references a missing"):
        FeedbackResponse.insert(**row).execute()


def test_one_missing_reference_refuses_the_whole_statement(group: GroupFixture) -> None:
    newcomer = make_user()
    with database.connection_context():
        FeedbackResponse.delete().execute()
        rows = [
            {"request": request.id, "user": newcomer.id, "group": group.group.id} for request in group.requests.values()
        ]
        rows.append({"request": 999_999, "user": newcomer.id, "group": group.group.id})
        with pytest.raises(IntegrityError):
            FeedbackResponse.insert_many(rows).execute()
    assert _responses() == 0


@pytest.mark.parametrize("column", ["request", "user", "group"])
def test_a_responses_references_cannot_change(group: GroupFixture, column: str) -> None:
    response = group.response(group.users[0], group.users[1])
    other = make_group(2)
    value = {
        "request": other.requests[other.users[0].id].id,
        "user": other.users[0].id,
        "group": other.group.id,
    }[column]
    with database.connection_context(), pytest.raises(IntegrityError, match="cannot change"):
        FeedbackResponse.update({column: value}).where(FeedbackResponse.id == response.id).execute()
    with database.connection_context():
        # Writing the same value, as a full-row save does, is not a change.
        FeedbackResponse.update(request=group.requests[group.users[1].id].id).where(
            FeedbackResponse.id == response.id
        ).execute()


def test_deleting_a_user_deletes_the_responses_they_owe_and_were_owed_with_their_replies(group: GroupFixture) -> None:
    leaver, stayer = group.users[0], group.users[1]
    add_reply(group.response(stayer, leaver), stayer)
    kept = group.response(stayer, group.users[2])
    with database.connection_context():
        User.delete().where(User.id == leaver.id).execute()
        assert _responses(user=leaver.id) == 0
        assert _responses(request=group.requests[leaver.id].id) == 0  # through the request's own cascade
        assert Reply.select().count() == 0
        assert FeedbackResponse.get_by_id(kept.id)


def test_deleting_a_request_or_a_group_deletes_its_responses(group: GroupFixture) -> None:
    request = group.requests[group.users[0].id]
    with database.connection_context():
        FeedbackRequest.delete().where(FeedbackRequest.id == request.id).execute()
        assert _responses(request=request.id) == 0
        assert _responses(group=group.group.id) == 4
        FeedbackGroup.delete().where(FeedbackGroup.id == group.group.id).execute()
        assert _responses() == 0


def test_a_delete_waits_for_the_insert_that_references_the_row_and_then_takes_the_new_response(
    group: GroupFixture, direct: list[psycopg2.extensions.connection]
) -> None:
    """The foreign key's promise, kept set-based: the inserting statement locks what it references
    (FOR KEY SHARE), so a concurrent delete waits for its commit and then cascades to the new row."""
    inserting, deleting = direct
    newcomer = make_user()
    request = group.requests[group.users[0].id]
    with inserting.cursor() as cursor:
        cursor.execute(
            "INSERT INTO feedback_response (request_id, user_id, group_id) VALUES (%s, %s, %s)",
            (request.id, newcomer.id, group.group.id),
        )
    with deleting.cursor() as cursor:
        cursor.execute("SET lock_timeout = '100ms'")
        with pytest.raises(psycopg2.errors.LockNotAvailable):
            cursor.execute('DELETE FROM "user" WHERE id = %s', (newcomer.id,))
    deleting.rollback()
    inserting.commit()
    with deleting.cursor() as cursor:
        cursor.execute('DELETE FROM "user" WHERE id = %s', (newcomer.id,))
    deleting.commit()
    assert _responses(user=newcomer.id) == 0


def test_an_insert_after_an_uncommitted_delete_waits_and_then_is_refused(
    group: GroupFixture, direct: list[psycopg2.extensions.connection]
) -> None:
    deleting, inserting = direct
    newcomer = make_user()
    request = group.requests[group.users[0].id]
    with deleting.cursor() as cursor:
        cursor.execute('DELETE FROM "user" WHERE id = %s', (newcomer.id,))
    with inserting.cursor() as cursor:
        cursor.execute("SET lock_timeout = '100ms'")
        with pytest.raises(psycopg2.errors.LockNotAvailable):
            cursor.execute(
                "INSERT INTO feedback_response (request_id, user_id, group_id) VALUES (%s, %s, %s)",
                (request.id, newcomer.id, group.group.id),
            )
    inserting.rollback()
    deleting.commit()
    with inserting.cursor() as cursor, pytest.raises(psycopg2.errors.ForeignKeyViolation):
        cursor.execute(
            "INSERT INTO feedback_response (request_id, user_id, group_id) VALUES (%s, %s, %s)",
            (request.id, newcomer.id, group.group.id),
        )
    inserting.rollback()
