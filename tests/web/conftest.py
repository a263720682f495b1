from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from settings import Settings
from web.app import build_app

ORIGIN = "http://testserver"


def no_network(request: httpx.Request) -> httpx.Response:
    return httpx.Response(503, json={"error": "the test suite never reaches the internet"})


@pytest.fixture
def http_transport() -> httpx.MockTransport:
    return httpx.MockTransport(no_network)


@pytest.fixture
def app(db: str, settings: Settings, http_transport: httpx.MockTransport) -> Starlette:
    return build_app(settings, http_transport=http_transport)


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    # Browsers send Origin on unsafe requests; the CSRF tests send other values.
    with TestClient(app, headers={"Origin": ORIGIN}) as test_client:
        yield test_client


@pytest.fixture
def anon(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, headers={"Origin": ORIGIN}) as test_client:
        yield test_client


def simultaneously(settings: Settings, method: str, url: str, times: int = 20, **request: Any) -> list[httpx.Response]:
    """The same request `times` times at once against one app (for races; on PostgreSQL)."""

    async def at_once() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=build_app(settings))
        async with httpx.AsyncClient(transport=transport, base_url=ORIGIN, headers={"Origin": ORIGIN}) as client:
            return list(await asyncio.gather(*(client.request(method, url, **request) for _ in range(times))))

    return asyncio.run(at_once())
