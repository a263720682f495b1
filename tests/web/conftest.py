from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from application import Settings
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
