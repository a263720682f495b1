"""Databases and clients for the suite: every test that takes `db` runs on SQLite and on PostgreSQL.

The PostgreSQL server is a throwaway cluster started once per session; each test starts from empty
tables (truncated, since the app writes from worker threads that a per-test rollback cannot span).
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _pytest.nodeid import coerce_node_id

os.environ.setdefault("ENVIRONMENT", "development")

from db.connection import database, is_postgres
from db.migrate import migrate
from db.models import ALL_MODELS
from settings import Settings
from tests.api_conformance import CONFORMANCE, validating_test_clients
from tests.pg import TestPgBouncer, TestPostgres, direct_url, pooled, use_database
from tests.smtp import SmtpSink

BACKENDS = ["sqlite", "postgresql"]


def fixed_clock() -> float:
    """Rate-limit windows never roll over mid-test; tests that need time to pass move their own clock."""
    return 1_800_000_010.0


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[TestPostgres]:
    server = TestPostgres()
    server.init()
    server.start()
    yield server
    server.destroy()


@pytest.fixture(scope="session")
def pgbouncer(postgres_server: TestPostgres) -> Iterator[TestPgBouncer]:
    """The suite's PostgreSQL half runs through PgBouncer in transaction mode, as production does."""
    bouncer = TestPgBouncer(postgres_server)
    bouncer.start()
    yield bouncer
    bouncer.stop()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def postgresql_url(postgres_server: TestPostgres, pgbouncer: TestPgBouncer) -> str:
    """The test database, through PgBouncer (`tests.pg.direct_url` gives the direct URL behind it)."""
    postgres_server.create_database("howsmytrack_test")
    return pgbouncer.url("howsmytrack_test")


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"{request.param}_url")
    migrate(use_database(url, pool_size=20))
    return url


def truncate_all() -> None:
    with database.connection_context():
        tables = [model._meta.table_name for model in ALL_MODELS]
        if is_postgres():
            database.execute_sql("TRUNCATE " + ", ".join(f'"{name}"' for name in tables) + " RESTART IDENTITY CASCADE")
        else:
            # The audit log refuses deletes (append-only); its trigger steps aside while tests empty it.
            guard = database.execute_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name = 'audit_log_no_delete'"
            ).fetchall()
            with database.atomic():
                for name, _ in guard:
                    database.execute_sql(f"DROP TRIGGER {name}")
                for name in reversed(tables):
                    database.execute_sql(f'DELETE FROM "{name}"')
                database.execute_sql("DELETE FROM sqlite_sequence")
                for _, sql in guard:
                    database.execute_sql(sql)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        direct_database_url=direct_url(database_url) if pooled(database_url) else "",
        web_url="http://testserver",
        clock=fixed_clock,
        auth_rate_per_address=1000,
        auth_failures_per_account=1000,
        mail_folder=str(tmp_path / "mail"),
        db_pool_size=20,
    )


@pytest.fixture
def db(settings: Settings) -> Iterator[str]:
    """Empty tables on this test's backend; yields the backend's name."""
    use_database(settings.database_url, pool_size=20)
    truncate_all()
    yield "postgresql" if is_postgres() else "sqlite"


@pytest.fixture
def pg_db(postgresql_url: str) -> Iterator[str]:
    """Empty tables on PostgreSQL, for behaviour only PostgreSQL has (advisory locks, restarts)."""
    migrate(use_database(postgresql_url, pool_size=20))
    truncate_all()
    yield postgresql_url


@pytest.fixture
def pg_settings(pg_db: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=pg_db,
        direct_database_url=direct_url(pg_db),
        web_url="http://testserver",
        clock=fixed_clock,
        mail_folder=str(tmp_path / "mail"),
        db_pool_size=20,
    )


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


class QueryCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def reads(self) -> int:
        """The queries run (a prepared query's EXECUTE counts; its one-time PREPARE does not)."""
        return len([s for s in self.statements if s.lstrip().upper().startswith(("SELECT", "WITH", "EXECUTE"))])

    def emit(self, record: logging.LogRecord) -> None:
        if record.threadName == "mail-sender":  # the process's background sender, not the request
            return
        message = record.msg
        sql = message[0] if isinstance(message, tuple) else str(message)
        self.statements.append(sql)


@pytest.fixture
def count_queries() -> Iterator[QueryCounter]:
    counter = QueryCounter()
    logger = logging.getLogger("peewee")
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    yield counter
    logger.removeHandler(counter)
    logger.setLevel(previous)


@pytest.fixture(autouse=True)
def conforming_answers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every answer a test receives through a TestClient is checked against /openapi.json."""
    with validating_test_clients(monkeypatch):
        yield


OBSERVED_DIR = Path(__file__).parents[1] / ".tmp" / "api-observed"


def _worker(config: pytest.Config) -> str | None:
    """This process's xdist worker id (None in the controller, or without xdist)."""
    workerinput = getattr(config, "workerinput", None)
    return str(workerinput["workerid"]) if workerinput else None


# The slowest groups start first, so under xdist they run alongside everything else rather than last.
SLOW_FIRST = ("tests/test_containers.py", "tests/browser/")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--sqlite-only",
        action="store_true",
        help="the inner loop (make test-fast): leave out every test that needs PostgreSQL",
    )


def _needs_postgres(item: pytest.Item) -> bool:
    names = getattr(item, "fixturenames", ())
    return (
        any(name in names for name in ("postgres_server", "replicated"))
        or "[postgresql" in item.nodeid
        or "-postgresql" in item.nodeid
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--sqlite-only"):
        left_out = [item for item in items if _needs_postgres(item)]
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not _needs_postgres(item)]

    def rank(item: pytest.Item) -> int:
        return next(
            (index for index, prefix in enumerate(SLOW_FIRST) if item.nodeid.startswith(prefix)), len(SLOW_FIRST)
        )

    items.sort(key=rank)  # stable: the rest keep their order
    _suffix_xdist_groups(config, items)


def _suffix_xdist_groups(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`--dist loadgroup` sends the tests of one `xdist_group` to one worker by a `@group` suffix on
    their node ids. pytest-xdist 3.8 writes it to `item._nodeid`, which pytest 9.2 no longer reads,
    so the groups were silently spread over every worker (each starting its own Docker engine and
    browser). Until xdist follows, the suffix is written where pytest reads it."""
    if not getattr(config.option, "loadgroup", False):  # set on xdist workers only
        return
    for item in items:
        marks = item.iter_markers("xdist_group")
        names = sorted({str(mark.args[0] if mark.args else mark.kwargs.get("name", "default")) for mark in marks})
        if names and "@" not in item.nodeid.rsplit("]", 1)[-1]:
            item._id = coerce_node_id(f"{item.nodeid}@{'_'.join(names)}")  # type: ignore[attr-defined]


def pytest_configure(config: pytest.Config) -> None:
    if _worker(config) is None and OBSERVED_DIR.exists():
        for stale in OBSERVED_DIR.glob("*.json"):
            stale.unlink()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write which documented (operation, status, code) the suite observed, and which it never did.
    Under xdist each worker hands its observations to the controller through a file."""
    worker = _worker(session.config)
    if worker is not None:
        OBSERVED_DIR.mkdir(parents=True, exist_ok=True)
        (OBSERVED_DIR / f"{worker}.json").write_text(json.dumps(sorted(CONFORMANCE.observed)))
        return
    observed = set(CONFORMANCE.observed)
    for path in OBSERVED_DIR.glob("*.json") if OBSERVED_DIR.exists() else ():
        observed |= {tuple(item) for item in json.loads(path.read_text())}
    if not observed:
        return
    documented = set()
    for operation in (op for methods in CONFORMANCE.document["paths"].values() for op in methods.values()):
        for status, response in operation["responses"].items():
            examples = response.get("content", {}).get("application/json", {}).get("examples", {})
            for code in examples or [""]:
                documented.add((operation["operationId"], status, code))
    seen = {(name, status, code) for name, status, code in observed}
    never = sorted(documented - seen)
    report = Path(__file__).parents[1] / ".tmp" / "api-coverage.txt"
    report.parent.mkdir(exist_ok=True)
    summary = f"observed {len(seen & documented)} of {len(documented)} documented (operation, status, code)"
    report.write_text(summary + "\n" + "".join(f"never observed: {n} {s} {c}\n" for n, s, c in never))
    if os.environ.get("API_COVERAGE_STRICT") and never and exitstatus == 0:
        # The whole suite ran (make test): every documented answer must be one a test saw.
        print(f"\n{summary}; never observed:\n" + "\n".join(" ".join(item) for item in never))
        session.exitstatus = 1


# --- what ran, by tier and database (printed at the end) -----------------------------------------

_RAN: Counter[tuple[str, str]] = Counter()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.passed:
        parts = report.nodeid.split("/")
        tier = parts[1] if len(parts) > 2 else parts[1].split("::")[0].removesuffix(".py")
        backend = next((name for name in BACKENDS if f"[{name}" in report.nodeid or f"-{name}" in report.nodeid), "-")
        _RAN[(tier, backend)] += 1


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if _worker(config) is not None or not _RAN:
        return
    terminalreporter.section("tests passed, by tier and database parameter (other: one database or none)")
    tiers = sorted({tier for tier, _ in _RAN})
    for tier in tiers:
        row = {backend: _RAN[(tier, backend)] for backend in ("sqlite", "postgresql", "-")}
        terminalreporter.write_line(
            f"{tier:<20} sqlite {row['sqlite']:>5}   postgresql {row['postgresql']:>5}   "
            f"other {row['-']:>5}   total {sum(row.values()):>5}"
        )
    terminalreporter.write_line(f"{'all':<20} total {sum(_RAN.values())}")
