"""The failover drill for real: a primary with a synchronous streaming standby, the service on a
libpq multi-host URL (`target_session_attrs=read-write`), writes going on while the primary is
stopped at once and the standby promoted. The service carries on without a restart, answers the
switch with 503 and `Retry-After` (never a 500), and every write it acknowledged is on the new
primary."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from db.migrate import migrate
from settings import Settings
from tests.builders import make_user
from tests.conftest import fixed_clock
from tests.pg import use_database
from tests.replication import multi_host_url, pair, run_drill, run_sql
from tests.web.conftest import ORIGIN, no_network
from web.app import build_app

pytestmark = pytest.mark.postgres

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
        with TestClient(build_app(settings, httpx.MockTransport(no_network)), headers={"Origin": ORIGIN}) as client:
            drill = run_drill(client, settings, writers, primary, standby, SWITCH_AFTER)
        assert drill.stopped_at, "the switch happened"

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
