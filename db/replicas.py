"""Read replicas: how far each streaming standby is behind the primary, and which may serve a read.

The first part of reading from replicas (issue: "Past one machine"); nothing routes reads here yet.
A standby is usable for a read when it answers within its connect timeout, lags the primary by at
most `max_lag_s`, and has replayed the WAL up to `min_lsn` (the position of the reader's own last
write, for read-your-writes); otherwise the read goes to the primary.

Lag: bytes are the primary's current WAL position minus the standby's replay position; seconds are
zero while the standby has replayed all it received, else how old its last replayed transaction is
(an idle primary writes nothing, so the age of the last transaction alone would look like lag).
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg2


def lsn(text: str) -> int:
    """PostgreSQL's `XXXXXXXX/XXXXXXXX` WAL position as one number (comparable, subtractable)."""
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) + int(low, 16)


def lsn_text(value: int) -> str:
    return f"{value >> 32:X}/{value & 0xFFFFFFFF:X}"


@dataclass(frozen=True)
class ReplicaState:
    url: str
    up: bool
    replay_lsn: int | None = None
    lag_bytes: int | None = None
    lag_seconds: float | None = None

    def usable(self, min_lsn: int, max_lag_s: float) -> bool:
        return (
            self.up
            and self.replay_lsn is not None
            and self.replay_lsn >= min_lsn
            and self.lag_seconds is not None
            and self.lag_seconds <= max_lag_s
        )


# The insert position, not pg_current_wal_lsn() (the write position): with asynchronous commit a
# committed transaction's record may still be in memory, before the write position (a test caught it).
PRIMARY_POSITION = "SELECT pg_current_wal_insert_lsn()::text"
STANDBY_STATE = """
SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text,
    CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
         ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END
"""


def primary_position(url: str, connect_timeout: int = 2) -> int:
    with psycopg2.connect(url, connect_timeout=connect_timeout) as connection, connection.cursor() as cursor:
        cursor.execute(PRIMARY_POSITION)
        row = cursor.fetchone()
    connection.close()
    assert row is not None
    return lsn(row[0])


def check(url: str, primary_lsn: int, connect_timeout: int = 2) -> ReplicaState:
    """The standby at `url` as it is now; `up=False` when it cannot be reached in time or is not a
    standby (a promoted one is a primary: reads must not be routed to it as a replica)."""
    try:
        connection = psycopg2.connect(url, connect_timeout=connect_timeout)
    except psycopg2.OperationalError:
        return ReplicaState(url, up=False)
    try:
        with connection.cursor() as cursor:
            cursor.execute(STANDBY_STATE)
            row = cursor.fetchone()
    except psycopg2.Error:
        return ReplicaState(url, up=False)
    finally:
        connection.close()
    if row is None or not row[0] or row[1] is None:
        return ReplicaState(url, up=False)
    replayed = lsn(row[1])
    return ReplicaState(url, True, replayed, max(0, primary_lsn - replayed), float(row[2]))


def choose(states: list[ReplicaState], min_lsn: int, max_lag_s: float) -> str | None:
    """A replica that may serve a read needing `min_lsn`, the least behind first; None: the primary."""
    usable = [state for state in states if state.usable(min_lsn, max_lag_s)]
    if not usable:
        return None
    return min(usable, key=lambda state: (state.lag_bytes or 0, state.url)).url
