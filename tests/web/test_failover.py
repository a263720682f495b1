"""The failover drill for real: a primary with a synchronous streaming standby, the service on a
libpq multi-host URL (`target_session_attrs=read-write`), writes going on while the primary is
stopped at once and the standby promoted. The service carries on without a restart, answers the
switch with 503 and `Retry-After` (never a 500), and every write it acknowledged is on the new
primary."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from db.migrate import migrate
from settings import Settings
from tests.builders import bearer, make_user, soundcloud_url
from tests.conftest import fixed_clock
from tests.pg import use_database
from tests.replication import Drill, multi_host_url, pair, record, run_sql, switch
from tests.web.conftest import ORIGIN, no_network
from web.app import build_app

pytestmark = pytest.mark.postgres

REQUESTS = "/api/v1/feedback-requests"
WRITERS = 240
SWITCH_AFTER = 80  # acknowledged writes before the primary is stopped


def test_the_service_follows_a_promoted_standby_and_loses_no_acknowledged_write(tmp_path: Path) -> None:
    with pair(synchronous=True) as (primary, standby):
        url = multi_host_url(primary, standby)
        migrate(use_database(url, pool_size=5))
        settings = Settings(
            database_url=url,
            direct_database_url=url,
            web_url=ORIGIN,
            clock=fixed_clock,
            mail_folder=str(tmp_path / "mail"),
            db_pool_size=10,
        )
        writers = [make_user() for _ in range(WRITERS)]
        drill = Drill()
        switching = None
        with TestClient(build_app(settings, httpx.MockTransport(no_network)), headers={"Origin": ORIGIN}) as client:
            waiting = list(writers)
            deadline = time.monotonic() + 60
            while waiting:
                assert time.monotonic() < deadline, f"still failing: {drill.statuses}"
                if switching is None and len(drill.acknowledged) == SWITCH_AFTER:
                    switching = switch(primary, standby, drill)
                writer = waiting.pop(0)
                body = {"media_url": soundcloud_url(), "genre": "electronic", "feedback_prompt": "The mix?"}
                answer = client.post(REQUESTS, json=body, headers=bearer(settings, writer))
                created = answer.json()["request"]["id"] if answer.status_code == 201 else None
                acknowledged = record(drill, answer.status_code, answer.headers.get("retry-after"), created)
                # 409: a write answered 503 had landed after all (its retry finds it): done.
                if not acknowledged and answer.status_code != 409:
                    waiting.append(writer)
                    time.sleep(0.02)  # a client's back-off, shortened; not a wait for an outcome
            assert switching is not None
            switching.join()

        print(
            drill.statuses,
            drill.seconds_to_first_write,
            drill.failed_during_switch,
            drill.promoted_at - drill.stopped_at,
        )
        assert drill.unexplained == [] and drill.statuses[500] == 0
        assert set(drill.statuses) <= {201, 409, 503}
        assert drill.first_write_after is not None and drill.first_write_after > drill.down_at
        on_new_primary = {row[0] for row in run_sql(standby.url("app"), "SELECT id FROM feedback_request")}
        assert len(drill.acknowledged) >= WRITERS - drill.statuses[409]
        assert set(drill.acknowledged) <= on_new_primary  # not one acknowledged write lost
        assert run_sql(standby.url("app"), "SELECT pg_is_in_recovery()") == [(False,)]


def test_a_multi_host_url_reaches_whichever_server_is_the_primary(tmp_path: Path) -> None:
    """The order of hosts does not matter: libpq skips the standby for a read-write session."""
    with pair(synchronous=False) as (primary, standby):
        backwards = (
            f"postgresql://postgres@127.0.0.1:{standby.port},127.0.0.1:{primary.port}/app"
            "?target_session_attrs=read-write"
        )
        db = use_database(backwards, pool_size=2)
        with db.connection_context():
            assert db.execute_sql("SELECT pg_is_in_recovery(), current_setting('port')").fetchone() == (
                False,
                str(primary.port),
            )
