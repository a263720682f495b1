"""A throwaway PostgreSQL cluster from the machine's own binaries, on a free loopback port.

As root (CI here) the cluster runs as the `postgres` user, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2

SEARCH_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def find_binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for directory in SEARCH_DIRS:
        candidate = directory / name
        if candidate.exists():
            return str(candidate)
    raise RuntimeError(f"{name} not found: install PostgreSQL (make test does this with apt-get)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TestPostgres:
    __test__ = False

    def __init__(self, durable: bool = False, options: str = "") -> None:
        """`durable`: PostgreSQL's own crash-safe settings; otherwise fsync and friends are off (tests
        and benchmarks on a throwaway cluster). `options`: more `-c name=value` server settings."""
        self.durable = durable
        self.options = options
        self.root = Path(tempfile.mkdtemp(prefix="howsmytrack-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        subprocess.run([*prefix, *command], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def init(self) -> None:
        self._run(
            find_binary("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"
        )

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c max_connections=300"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        options += f" {self.options}" if self.options else ""
        self._run(
            find_binary("pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start"
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg2.connect(self.admin_url).close()
                return
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self, mode: str = "fast") -> None:
        self._run(find_binary("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def create_database(self, name: str) -> str:
        connection = psycopg2.connect(self.admin_url)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
        connection.close()
        return self.url(name)

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


class TestStandby(TestPostgres):
    """A streaming hot standby of `primary` on its own loopback port, made as operators make one:
    `pg_basebackup -R` (a copy of the primary plus the settings to follow it). `apply_delay` (such
    as "2s") holds each transaction back that long before the standby applies it."""

    __test__ = False

    def __init__(self, primary: TestPostgres, apply_delay: str | None = None) -> None:
        super().__init__(durable=primary.durable, options=primary.options)
        self.primary = primary
        self.apply_delay = apply_delay

    def init(self) -> None:
        self._run(
            find_binary("pg_basebackup"),
            *("-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres"),
            *("-D", str(self.data), "-R", "-X", "stream", "--no-sync", "--checkpoint=fast"),
        )
        if self.apply_delay:
            with (self.data / "postgresql.auto.conf").open("a") as conf:
                conf.write(f"recovery_min_apply_delay = '{self.apply_delay}'\n")

    def promote(self) -> None:
        self._run(find_binary("pg_ctl"), "-D", str(self.data), "-w", "promote")


@contextlib.contextmanager
def connection_held_elsewhere(db: Any) -> Iterator[None]:
    """Another thread holds one of `db`'s pooled connections until the block ends."""
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with db.connection_context():
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(30)
    try:
        yield
    finally:
        release.set()
        holder.join()


# URLs that reach PostgreSQL through a TestPgBouncer, and the direct URL behind each.
_DIRECT_BEHIND: dict[str, str] = {}


def direct_url(url: str) -> str:
    """The direct PostgreSQL URL behind `url` (`url` itself when it is direct)."""
    return _DIRECT_BEHIND.get(url, url)


def pooled(url: str) -> bool:
    return url in _DIRECT_BEHIND


def use_database(url: str, **options: Any) -> Any:
    """`init_database` for a test's URL: told when it is a pooler's."""
    from db.connection import init_database

    return init_database(url, behind_pooler=pooled(url), **options)


def database_env(url: str) -> dict[str, str]:
    """The variables a process needs to reach `url` as the service would (the pooler and, behind it,
    the direct URL for LISTEN and migrations)."""
    return {"DATABASE_URL": url, **({"DIRECT_DATABASE_URL": direct_url(url)} if pooled(url) else {})}


class TestPgBouncer:
    """Debian's PgBouncer in transaction mode in front of a TestPostgres, on a free loopback port:
    what operators put in front of PostgreSQL once they run several replicas. It passes no startup
    options (a client that sends `options` is refused, as a production PgBouncer does)."""

    __test__ = False

    def __init__(self, server: TestPostgres) -> None:
        self.server = server
        self.root = Path(tempfile.mkdtemp(prefix="howsmytrack-pgbouncer-"))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, name: str) -> str:
        pooled_url = f"postgresql://postgres@127.0.0.1:{self.port}/{name}"
        _DIRECT_BEHIND[pooled_url] = self.server.url(name)
        return pooled_url

    def start(self) -> None:
        (self.root / "users.txt").write_text('"postgres" ""\n')
        (self.root / "pgbouncer.ini").write_text(
            f"""[databases]
* = host=127.0.0.1 port={self.server.port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {self.root}/users.txt
pool_mode = transaction
max_client_conn = 2000
default_pool_size = 150
server_connect_timeout = 3
server_login_retry = 1
query_wait_timeout = 30
ignore_startup_parameters = extra_float_digits
logfile = {self.root}/log
"""
        )
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            for path in self.root.iterdir():
                shutil.chown(path, "postgres", "postgres")
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        self.process = subprocess.Popen(
            [*prefix, binary, str(self.root / "pgbouncer.ini")], stderr=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg2.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres").close()
                return
            except psycopg2.OperationalError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"PgBouncer did not start: {(self.root / 'log').read_text()[-2000:]}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)  # runuser and PgBouncer under it
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(10)
            self.process = None
        shutil.rmtree(self.root, ignore_errors=True)
