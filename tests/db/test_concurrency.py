"""The threading rule of style.md, proved: concurrent units of work each own their transaction."""

from __future__ import annotations

import contextlib

import anyio
import httpx

from db.connection import database, run_in_db
from db.models import User
from settings import Settings
from tests.builders import PASSWORD_HASH
from web.app import build_app


class Boom(Exception):
    pass


def write(index: int) -> None:
    with database.atomic():
        User.create(email=f"kept{index}@example.com", password_hash=PASSWORD_HASH)


def write_then_fail(index: int) -> None:
    with database.atomic():
        User.create(email=f"lost{index}@example.com", password_hash=PASSWORD_HASH)
        raise Boom(index)


def test_a_failing_transaction_never_undoes_a_concurrent_write(db: str) -> None:
    async def main() -> None:
        async def one(index: int) -> None:
            with contextlib.suppress(Boom):
                await run_in_db(write_then_fail if index % 2 else write, index)

        async with anyio.create_task_group() as group:
            for index in range(60):
                group.start_soon(one, index)

    anyio.run(main)
    with database.connection_context():
        emails = {user.email for user in User.select()}
    assert emails == {f"kept{index}@example.com" for index in range(0, 60, 2)}


def test_concurrent_http_requests_with_conflicts_keep_every_successful_write(db: str, settings: Settings) -> None:
    app = build_app(settings)

    async def main() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            statuses: list[int] = []

            async def register(index: int) -> None:
                # Every third address repeats an earlier one: its transaction fails on the unique index.
                email = f"user{index - index % 3}@example.com"
                response = await client.post(
                    "/api/v1/auth/register", json={"email": email, "password": "a fine passphrase"}
                )
                statuses.append(response.status_code)

            async with anyio.create_task_group() as group:
                for index in range(24):
                    group.start_soon(register, index)
            return statuses

    statuses = anyio.run(main)
    assert sorted(set(statuses)) == [201, 409]
    assert statuses.count(201) == 8
    with database.connection_context():
        assert {user.email for user in User.select()} == {f"user{index}@example.com" for index in range(0, 24, 3)}
