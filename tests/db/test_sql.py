"""Plain SQL statements run the same on both backends."""

from __future__ import annotations

import csv
import io

import pytest

from db.connection import database
from db.listings import to_csv
from db.sql import Statement
from tests.pg import direct_url, pooled, use_database


def test_named_parameters_bind_on_both_backends(db: str) -> None:
    statement = Statement("SELECT :a + :b AS total, :a AS a, '100%' AS text")
    with database.connection_context():
        assert statement.first(a=2, b=3) == {"total": 5, "a": 2, "text": "100%"}


def test_a_missing_parameter_is_refused_before_the_database_sees_it(db: str) -> None:
    with database.connection_context(), pytest.raises(TypeError, match="missing SQL parameters"):
        Statement("SELECT :a AS a").rows()


def test_postgresql_prepares_a_query_once_per_connection_and_falls_back_when_it_cannot(
    pg_db: str, count_queries: object
) -> None:
    from tests.conftest import QueryCounter

    assert isinstance(count_queries, QueryCounter)
    use_database(direct_url(pg_db), pool_size=2)  # PostgreSQL itself, not the suite's PgBouncer
    typed = Statement('SELECT id, email FROM "user" WHERE id = :user')
    untyped = Statement("SELECT :a + :b AS total")  # PostgreSQL cannot tell the parameters' types
    with database.connection_context(), database.atomic():
        for _ in range(3):
            assert typed.rows(user=1) == []
        assert untyped.first(a=2, b=3) == {"total": 5}  # the refused PREPARE left the transaction usable
        assert untyped.first(a=4, b=3) == {"total": 7}
    statements = [s.split()[0].upper() for s in count_queries.statements]
    assert statements.count("PREPARE") == 2 and statements.count("EXECUTE") == 3
    assert not untyped.preparable


def test_the_pooler_refuses_startup_options_so_the_service_sends_none(pg_db: str) -> None:
    """Why `behind_pooler` exists: PgBouncer refuses a session's startup options (the timeouts a
    direct connection gets); behind it they are the database role's settings."""
    import psycopg2

    with pytest.raises(psycopg2.OperationalError, match="unsupported startup parameter"):
        psycopg2.connect(pg_db, options="-c statement_timeout=1000").close()
    use_database(pg_db, pool_size=1)
    with database.connection_context():
        assert database.execute_sql("SELECT 1").fetchone() == (1,)


def test_through_a_pooler_nothing_is_prepared(pg_db: str, count_queries: object) -> None:
    """PgBouncer in transaction mode may run the next statement on another server connection, where
    a prepared statement does not exist: behind a pooler every query is plain SQL."""
    from tests.conftest import QueryCounter

    assert isinstance(count_queries, QueryCounter) and pooled(pg_db)
    use_database(pg_db, pool_size=2)
    typed = Statement('SELECT id, email FROM "user" WHERE id = :user')
    with database.connection_context():
        for _ in range(3):
            assert typed.rows(user=1) == []
    statements = [s.split()[0].upper() for s in count_queries.statements]
    assert "PREPARE" not in statements and "EXECUTE" not in statements and statements.count("SELECT") == 3


def test_csv_cells_that_a_spreadsheet_would_run_are_escaped() -> None:
    cells = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1+1", "\r=1+1", "plain", "a=b"]
    text = to_csv([{"value": cell} for cell in cells])
    rows = [row["value"] for row in csv.DictReader(io.StringIO(text))]
    assert rows == ["'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\t=1+1", "'\r=1+1", "plain", "a=b"]
