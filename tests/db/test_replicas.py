"""Read replicas' health (db/replicas.py) against a real primary and real streaming hot standbys made
with `pg_basebackup -R`: one that follows at once, one that applies each transaction 2 s late."""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg2
import pytest

from db.replicas import check, choose, lsn, lsn_text, primary_position
from tests.pg import TestPostgres, TestStandby
from tests.replication import run_sql as run
from tests.waiting import eventually

pytestmark = pytest.mark.postgres

MAX_LAG_S = 5.0


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[TestPostgres, TestStandby, TestStandby]]:
    primary = TestPostgres()
    primary.init()
    primary.start()
    standbys = [TestStandby(primary), TestStandby(primary, apply_delay="2s")]
    try:
        primary.create_database("app")
        run(primary.url("app"), "CREATE TABLE note (id SERIAL PRIMARY KEY, text TEXT NOT NULL)")
        for standby in standbys:
            standby.init()
            standby.start()
        yield primary, standbys[0], standbys[1]
    finally:
        for server in (*standbys, primary):
            server.destroy()


def write(primary: TestPostgres, text: str) -> int:
    """A committed write on the primary; returns the WAL position after it (what a client would carry)."""
    run(primary.url("app"), "INSERT INTO note (text) VALUES (%s)", (text,))
    return primary_position(primary.url("app"))


def test_wal_positions_read_and_write_as_postgresql_does() -> None:
    assert lsn("16/B374D848") == (0x16 << 32) + 0xB374D848
    assert lsn_text(lsn("16/B374D848")) == "16/B374D848"
    assert lsn("0/3000060") < lsn("0/3000100") < lsn("1/0")


def test_a_standby_streams_and_is_chosen_once_it_has_replayed_the_write(cluster: tuple) -> None:
    primary, standby, _ = cluster
    position = write(primary, "hello")
    assert eventually(lambda: run(standby.url("app"), "SELECT text FROM note WHERE text = 'hello'"))
    state = eventually(lambda: (s := check(standby.url("app"), position)).lag_bytes == 0 and s)
    assert state.up and state.replay_lsn is not None and state.replay_lsn >= position
    assert state.lag_seconds == 0
    assert choose([state], position, MAX_LAG_S) == standby.url("app")
    # Writing on a standby is refused by PostgreSQL itself.
    with pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
        run(standby.url("app"), "INSERT INTO note (text) VALUES ('nope')")


def test_a_late_standby_serves_others_but_not_the_writer_until_it_has_caught_up(cluster: tuple) -> None:
    primary, _, late = cluster
    before = write(primary, "warm-up")
    eventually(lambda: check(late.url("app"), before).replay_lsn >= before, what="the late standby catching up")
    mine = write(primary, "my write")
    state = check(late.url("app"), mine)
    assert state.up and state.replay_lsn is not None and state.replay_lsn < mine  # held back 2 s
    assert choose([state], mine, MAX_LAG_S) is None  # the writer reads from the primary
    assert choose([state], 0, MAX_LAG_S) == late.url("app")  # someone else may read from the replica
    caught_up = eventually(lambda: (s := check(late.url("app"), mine)).usable(mine, MAX_LAG_S) and s)
    assert caught_up.replay_lsn is not None and caught_up.replay_lsn >= mine
    assert run(late.url("app"), "SELECT count(*) FROM note WHERE text = 'my write'") == [(1,)]


def test_a_stopped_standby_is_skipped_within_its_connect_timeout(cluster: tuple) -> None:
    primary, standby, late = cluster
    position = write(primary, "while one is down")
    standby.stop("immediate")
    try:
        started = time.monotonic()
        down = check(standby.url("app"), position, connect_timeout=1)
        # The contract's bound, not a speed claim: a dead replica costs at most its connect timeout.
        assert not down.up and time.monotonic() - started < 1 + 1
        late_state = eventually(lambda: (s := check(late.url("app"), position)).usable(position, MAX_LAG_S) and s)
        assert choose([down, late_state], position, MAX_LAG_S) == late.url("app")
        assert choose([down], position, MAX_LAG_S) is None
    finally:
        standby.start()
    assert eventually(lambda: check(standby.url("app"), position).up, what="the standby coming back")


def test_a_promoted_standby_is_no_longer_a_replica(cluster: tuple) -> None:
    """Last in the module: promotion ends the standby's part in the cluster."""
    primary, _, late = cluster
    position = write(primary, "before promotion")
    eventually(
        lambda: check(late.url("app"), position).usable(position, MAX_LAG_S), what="the late standby catching up"
    )
    late.promote()
    assert not check(late.url("app"), position).up  # a primary now: reads are not routed to it as a replica
    run(late.url("app"), "INSERT INTO note (text) VALUES ('written on the new primary')")
