"""/metrics: Prometheus text for the holder of METRICS_TOKEN only; counts a journey by route
template, method and status; reads the outbox and the jobs' runs from the database; adds up several
workers.

Adversary notes: without the token, with a wrong one, or when no token is set, the answer is what an
unknown path answers (no metrics, nothing that tells the route exists); labels are route templates
(`/api/v1/groups/{group_id}`), never the ids or query strings asked for, so no user's activity can be
read from them and a caller cannot grow the label set; unknown paths share one label.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from jobs.assign_groups import assign_groups
from jobs.runner import execute
from settings import Settings
from tests.builders import bearer, make_group, make_request, make_user
from tests.serving import served
from web.app import build_app

TOKEN = "metrics-token-for-tests-0123456789"


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _scrape(client: TestClient | httpx.Client, base: str = "") -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = client.get(base + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    return _samples(answer.text)


def _requests(samples: dict, route: str, method: str, status: str) -> float:  # type: ignore[type-arg]
    key = ("http_requests_total", (("method", method), ("route", route), ("status", status)))
    return float(samples.get(key, 0.0))


@pytest.mark.parametrize("token", ["", TOKEN], ids=["unset", "set"])
def test_without_the_token_it_answers_as_an_unknown_path(db: str, settings: Settings, token: str) -> None:
    app = build_app(settings.with_changes(metrics_token=token))
    with TestClient(app) as client:
        unknown = client.get("/no-such-page")
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
            answer = client.get("/metrics", headers=headers)
            assert (answer.status_code, answer.text) == (unknown.status_code, unknown.text)
            assert "http_requests" not in answer.text


def test_a_journey_is_counted_by_route_template(db: str, settings: Settings) -> None:
    app = build_app(settings.with_changes(metrics_token=TOKEN))
    group = make_group(n=3)
    member = group.users[0]
    with TestClient(app) as client:
        before = _scrape(client)
        for _ in range(3):
            assert client.get("/api/v1/me", headers=bearer(settings, member)).status_code == 200
        assert client.get(f"/api/v1/groups/{group.group.id}", headers=bearer(settings, member)).status_code == 200
        assert client.get("/api/v1/me").status_code == 401
        assert client.get("/api/v1/no-such-route?email=someone@example.com").status_code == 404
        for user in (make_user(), make_user()):
            make_request(user)
        status, _ = execute("assign_groups", lambda: assign_groups(settings))
        assert status == 0
        after = _scrape(client)
    assert _requests(after, "/api/v1/me", "GET", "200") - _requests(before, "/api/v1/me", "GET", "200") == 3
    assert _requests(after, "/api/v1/me", "GET", "401") - _requests(before, "/api/v1/me", "GET", "401") == 1
    group_route = "/api/v1/groups/{group_id}"
    assert _requests(after, group_route, "GET", "200") - _requests(before, group_route, "GET", "200") == 1
    assert _requests(after, "unmatched", "GET", "404") - _requests(before, "unmatched", "GET", "404") == 1
    routes = {value for _, labels in after for name, value in labels if name == "route"}
    assert not [route for route in routes if re.search(r"/\d+(/|$)|@|\?", route)]  # templates only
    assert after[("http_request_duration_seconds_count", (("route", "/api/v1/me"),))] >= 4
    assert ("http_requests_in_flight", ()) in after and ("db_pool_connections_in_use", ()) in after
    assert after[("event_streams_open", ())] == 0
    assert after[("job_last_start_timestamp_seconds", (("job", "assign_groups"),))] > 0
    assert after[("job_last_success_timestamp_seconds", (("job", "assign_groups"),))] > 0
    assert after[("job_last_rows", (("count", "assigned"), ("job", "assign_groups")))] == 2
    assert ("job_last_duration_seconds", (("job", "assign_groups"),)) in after
    assert ("email_outbox_backlog", ()) in after and ("email_outbox_oldest_age_seconds", ()) in after


def test_several_workers_add_up(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'workers.sqlite3'}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "development",
        "WEB_CONCURRENCY": "2",
        "METRICS_TOKEN": TOKEN,
        "LOG_LEVEL": "WARNING",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    subprocess.run([sys.executable, "-m", "db", "migrate"], env=env, check=True, capture_output=True)
    with served(env) as base, httpx.Client() as client:
        for _ in range(40):  # new connections: spread over both workers
            assert httpx.get(base + "/healthz").status_code == 200
        pids = {path.name for path in (tmp_path / "metrics").glob("counter_*.db")}
        scraped = _scrape(client, base)
    assert len(pids) == 2  # both workers counted something
    assert _requests(scraped, "/healthz", "GET", "200") == 40 + 1  # and the start-up check's
