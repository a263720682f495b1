"""Auth under simultaneous requests, on PostgreSQL: limits hold, a token refreshes once, and
password hashing never holds a database connection."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from typing import Any

import httpx
import pytest

import web.passwords
from db.connection import PostgresPool, database
from settings import Settings
from tests.builders import PASSWORD, make_user
from tests.web.conftest import ORIGIN
from web.app import build_app

LOGIN = "/api/v1/auth/login"


async def _at_once(settings: Settings, requests: list[dict[str, Any]]) -> list[httpx.Response]:
    app = build_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN, headers={"Origin": ORIGIN}) as client:
        return list(await asyncio.gather(*(client.request(**request) for request in requests)))


def test_simultaneous_wrong_passwords_stop_at_the_account_limit(pg_settings: Settings) -> None:
    make_user("ada@example.com")
    settings = pg_settings.with_changes(auth_failures_per_account=10, auth_rate_per_address=1000)
    wrong = {"method": "POST", "url": LOGIN, "json": {"email": "ada@example.com", "password": "not it at all"}}
    responses = asyncio.run(_at_once(settings, [wrong] * 24))
    assert Counter(response.status_code for response in responses) == {401: 10, 429: 14}


def test_simultaneous_attempts_stop_at_the_address_limit(pg_settings: Settings) -> None:
    settings = pg_settings.with_changes(auth_rate_per_address=5)
    attempt = {"method": "POST", "url": LOGIN, "json": {"email": "nobody@example.com", "password": "whatever it is"}}
    responses = asyncio.run(_at_once(settings, [attempt] * 20))
    assert Counter(response.status_code for response in responses) == {401: 5, 429: 15}


def test_a_token_refreshes_exactly_once_under_twenty_simultaneous_refreshes(pg_settings: Settings) -> None:
    make_user("ada@example.com")

    async def scenario() -> tuple[list[httpx.Response], list[int]]:
        transport = httpx.ASGITransport(app=build_app(pg_settings))

        def browser(cookie: str | None = None) -> httpx.AsyncClient:
            headers = {"Origin": ORIGIN} | ({"Cookie": f"JWT={cookie}"} if cookie else {})
            return httpx.AsyncClient(transport=transport, base_url=ORIGIN, headers=headers)

        async def send(cookie: str, method: str, url: str) -> httpx.Response:
            async with browser(cookie) as client:
                return await client.request(method, url)

        async with browser() as client:
            login = await client.post(LOGIN, json={"email": "ada@example.com", "password": PASSWORD})
        cookie = login.cookies["JWT"]
        refreshes = await asyncio.gather(*(send(cookie, "POST", "/api/v1/auth/refresh") for _ in range(20)))
        new_cookies = [response.cookies["JWT"] for response in refreshes if response.status_code == 200]
        checks = [(await send(c, "GET", "/api/v1/me")).status_code for c in new_cookies]
        return list(refreshes), checks

    refreshes, checks = asyncio.run(scenario())
    assert Counter(response.status_code for response in refreshes) == {200: 1, 401: 19}
    assert checks == [200]


def test_password_checks_run_without_a_database_connection_and_few_at_a_time(
    pg_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user("ada@example.com")
    settings = pg_settings.with_changes(password_hash_concurrency=2)
    seen: list[tuple[int, int]] = []  # (connections in use, checks running) during each check
    running = 0
    lock = threading.Lock()
    real_verify = web.passwords.verify_password

    def watched_verify(password_hash: str, password: str) -> bool:
        nonlocal running
        with lock:
            running += 1
            pool = database.obj
            assert isinstance(pool, PostgresPool)
            seen.append((pool.in_use, running))
        try:
            return real_verify(password_hash, password)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(web.passwords, "verify_password", watched_verify)
    right = {"method": "POST", "url": LOGIN, "json": {"email": "ada@example.com", "password": PASSWORD}}
    # Alone, a sign-in holds no connection while its password is checked.
    assert [response.status_code for response in asyncio.run(_at_once(settings, [right]))] == [200]
    assert seen == [(0, 1)]
    # Eight at once: never more than two checks run together.
    responses = asyncio.run(_at_once(settings, [right] * 8))
    assert [response.status_code for response in responses] == [200] * 8
    assert len(seen) == 9 and max(running for _, running in seen) <= 2


def test_an_email_link_is_spent_once_and_an_address_claimed_once_under_twenty_requests(
    pg_settings: Settings,
) -> None:
    from db import account_lifecycle
    from db.accounts import load_current_user
    from db.models import User

    # One link sent twenty times at once: one confirmation.
    user = make_user("ada@example.com", email_verified_at=None)
    with database.connection_context():
        account_lifecycle.resend_link(load_current_user(user.id, 0, ""), "the-one-token")
    confirm = {"method": "POST", "url": "/api/v1/auth/verify-email", "json": {"token": "the-one-token"}}
    responses = asyncio.run(_at_once(pg_settings, [confirm] * 20))
    assert Counter(response.status_code for response in responses) == {204: 1, 400: 19}
    # Twenty accounts confirming the same new address at once: one gets it.
    claimants = [make_user() for _ in range(20)]
    with database.connection_context():
        for n, claimant in enumerate(claimants):
            account_lifecycle.start_email_change(load_current_user(claimant.id, 0, ""), "wanted@example.com", f"t{n}")
    claims = [{"method": "POST", "url": "/api/v1/auth/verify-email", "json": {"token": f"t{n}"}} for n in range(20)]
    responses = asyncio.run(_at_once(pg_settings, claims))
    assert Counter(response.status_code for response in responses) == {204: 1, 409: 19}
    with database.connection_context():
        assert User.select().where(User.email == "wanted@example.com").count() == 1
