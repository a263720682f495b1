"""The compose stack, built and run for real: a private Docker engine, the project's own
Dockerfile and compose file, the published port, an operator's `docker compose exec`, cron running
a job on its own schedule, and a database outage.

Docker Hub is out of reach here, so `python:3.11-slim` and `postgres:15` are stand-ins built from
Debian bookworm (debootstrap, from the mirror apt already uses) and kept in the engine's data root
between runs on the same machine. The data root is keyed by a hash of the stand-ins' sources and of
the code that builds them (`/var/cache/howsmytrack-docker/<hash>`), so whenever either changes the
next run starts from an empty engine and takes the cold path a fresh machine takes; older roots are
removed.
Run alone: `make test PYTEST_ARGS=tests/test_containers.py`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
import json
import os
import re
import secrets
import shutil
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.builders import feedback_text
from tests.pg import free_port
from tests.sse import EventStream

ROOT = Path(__file__).parents[1]
STAND_INS = ROOT / "tests" / "containers"
CACHE = Path("/var/cache/howsmytrack-docker")
# One worker runs the stack (it owns the Docker engine), alongside the others' tests.
pytestmark = pytest.mark.xdist_group("containers")
PROJECT = "hmtcontainertest"


def _debian_mirror() -> str:
    """The Debian mirror apt on this machine uses (so nothing here names one)."""
    for path in sorted(Path("/etc/apt/sources.list.d").glob("*.sources")):
        found = re.search(r"^URIs:\s*(\S+)", path.read_text(), re.MULTILINE)
        if found:
            return found[1]
    found = re.search(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)", Path("/etc/apt/sources.list").read_text(), re.MULTILINE)
    assert found, "no Debian mirror configured for apt"
    return found[1]


def run(*command: str, env: dict[str, str], timeout: int = 900, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def stand_ins_hash() -> str:
    """What the stand-in images are made of: their sources and the code below that builds them."""
    digest = hashlib.sha256()
    for path in sorted(STAND_INS.glob("*.*")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    digest.update(inspect.getsource(build_stand_ins).encode())
    return digest.hexdigest()[:16]


def data_root() -> Path:
    """This build's engine data root; the roots of other builds are removed (they only take disk)."""
    root = CACHE / stand_ins_hash()
    if CACHE.is_dir():
        for other in CACHE.iterdir():
            if other != root:
                shutil.rmtree(other, ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    return root


@pytest.fixture(scope="module")
def engine() -> Iterator[dict[str, str]]:
    """A private Docker engine (root only, as on these machines and CI); yields the environment for its clients."""
    assert os.geteuid() == 0, "the container test starts its own Docker engine, which needs root"
    for tool in ("dockerd", "docker-compose", "debootstrap"):
        assert shutil.which(tool), f"{tool} is missing: make test installs docker.io, docker-compose and debootstrap"
    runtime = Path(tempfile.mkdtemp(prefix="hmt-docker-"))
    root = data_root()
    socket = runtime / "docker.sock"
    log = (runtime / "dockerd.log").open("w")
    # containerd started here, and waited for as long as it takes: dockerd's own start of it gives up
    # after a fixed time, which a machine busy with the rest of the suite can exceed.
    containerd_socket = runtime / "containerd.sock"
    containerd = subprocess.Popen(
        [
            "containerd",
            f"--root={root / 'containerd'}",
            f"--state={runtime / 'containerd-state'}",
            f"--address={containerd_socket}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    daemon: subprocess.Popen[bytes] | None = None
    env = {**os.environ, "DOCKER_HOST": f"unix://{socket}", "COMPOSE_PROJECT_NAME": PROJECT}
    try:
        deadline = time.monotonic() + 300
        while not containerd_socket.exists():
            assert containerd.poll() is None and time.monotonic() < deadline, (runtime / "dockerd.log").read_text()[
                -2000:
            ]
            time.sleep(0.2)
        daemon = subprocess.Popen(
            [
                "dockerd",
                f"--data-root={root}",
                f"--exec-root={runtime / 'exec'}",
                f"--pidfile={runtime / 'docker.pid'}",
                f"--host=unix://{socket}",
                f"--containerd={containerd_socket}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        while run("docker", "version", env=env, check=False).returncode != 0:
            assert daemon.poll() is None and time.monotonic() < deadline, (runtime / "dockerd.log").read_text()[-2000:]
            time.sleep(0.2)
        yield env
    finally:
        for process in (daemon, containerd):
            if process is None:
                continue
            process.terminate()
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        log.close()
        shutil.rmtree(runtime, ignore_errors=True)


def _has_image(env: dict[str, str], name: str) -> bool:
    return run("docker", "image", "inspect", name, env=env, check=False).returncode == 0


def build_stand_ins(engine: dict[str, str]) -> None:
    """The base image from debootstrap (once per data root), then each stand-in from its Dockerfile."""
    if not _has_image(engine, "howsmytrack-test/bookworm:minbase"):
        rootfs = Path(tempfile.mkdtemp(prefix="hmt-rootfs-"))
        try:
            run("debootstrap", "--variant=minbase", "bookworm", str(rootfs), _debian_mirror(), env=engine)
            with subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE) as tar:
                imported = subprocess.run(
                    ["docker", "import", "-", "howsmytrack-test/bookworm:minbase"],
                    stdin=tar.stdout,
                    env=engine,
                    capture_output=True,
                )
            assert tar.returncode == 0 and imported.returncode == 0, imported.stderr
        finally:
            shutil.rmtree(rootfs, ignore_errors=True)
    certificates = STAND_INS / "ca-certificates"
    certificates.mkdir(exist_ok=True)
    for certificate in Path("/usr/local/share/ca-certificates").glob("*.crt"):
        shutil.copy(certificate, certificates)  # the machine's own CAs, for its TLS-intercepting proxy
    node = STAND_INS / "node"
    (node / "bin").mkdir(parents=True, exist_ok=True)
    shutil.copy(shutil.which("node") or "/usr/bin/node", node / "bin" / "node")  # this machine's Node.js 20
    shutil.copytree(
        Path(shutil.which("node") or "/usr/bin/node").resolve().parents[1] / "lib/node_modules/npm",
        node / "npm",
        dirs_exist_ok=True,
    )
    try:
        for name, dockerfile in STAND_IN_IMAGES:
            if not _has_image(engine, name):
                run("docker", "build", "-t", name, "-f", str(STAND_INS / dockerfile), str(STAND_INS), env=engine)
    finally:
        shutil.rmtree(certificates, ignore_errors=True)
        shutil.rmtree(node, ignore_errors=True)


STAND_IN_IMAGES = (
    ("python:3.11-slim", "python.Dockerfile"),
    ("postgres:15", "postgres.Dockerfile"),
    ("node:20-bookworm-slim", "node.Dockerfile"),
    ("caddy:2", "caddy.Dockerfile"),
)


@pytest.fixture(scope="module")
def stand_in_images(engine: dict[str, str]) -> dict[str, str]:
    build_stand_ins(engine)
    # debian:bookworm-slim (PgBouncer's image starts from it): the base itself.
    run("docker", "tag", "howsmytrack-test/bookworm:minbase", "debian:bookworm-slim", env=engine)
    return engine


def _npm_registry() -> str:
    """The registry this machine's npm uses, for the image's `npm ci`."""
    return subprocess.run(
        ["npm", "config", "get", "registry"], capture_output=True, text=True, check=True
    ).stdout.strip()


def compose(
    env: dict[str, str], *args: str, check: bool = True, timeout: int = 900
) -> subprocess.CompletedProcess[str]:
    return run("docker-compose", "-f", "docker-compose.dev.yml", *args, env=env, check=check, timeout=timeout)


def _wait_until(what: str, probe: object, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not probe():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(1)


def _status(url: str) -> int:
    try:
        return httpx.get(url, timeout=5).status_code
    except httpx.HTTPError:
        return 0


def schedule_soon(env: dict[str, str], job: str) -> None:
    """Add a crontab line (in the shipped form) that starts `job` in the running cron container at
    the next minute boundary at least 20 s away: cron wakes at each minute, reloads /etc/cron.d when
    it changed, then runs that minute's lines, so a line written before the boundary runs at it."""
    now = dt.datetime.now(dt.UTC)
    when = (now + dt.timedelta(seconds=20 + 60)).replace(second=0, microsecond=0)
    line = (
        f"{when.minute} {when.hour} * * * root . /app/.cron-env && cd /app && exec runuser -u app -- "
        f"python -m jobs {job} >/proc/1/fd/1 2>/proc/1/fd/2"
    )
    shipped = (ROOT / "spotify.cronjob").read_text()
    assert line.split(" * * * ", 1)[1].replace(job, "assign_groups") in shipped  # the same form as the real lines
    write = 'printf "SHELL=/bin/sh\nCRON_TZ=UTC\n%s\n" "$1" > /etc/cron.d/howsmytrack-soon'
    compose(env, "exec", "-T", "cron", "sh", "-c", write, "sh", line)


@pytest.fixture(scope="module")
def stack(stand_in_images: dict[str, str]) -> Iterator[tuple[dict[str, str], str]]:
    port = free_port()
    env = {**stand_in_images, "WEB_PORT": str(port), "NPM_CONFIG_REGISTRY": _npm_registry()}
    env.setdefault("PIP_INDEX_URL", "")
    compose(env, "down", "-v", check=False)
    compose(env, "build")
    compose(env, "up", "-d")
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until("the web container to be ready", lambda: _status(base + "/readyz") == 200, 180)
        yield env, base
    finally:
        compose(env, "down", "-v", "--timeout", "1", check=False)  # throwaway: no graceful stop to wait for


def test_the_stack_serves_groups_and_cron_runs_jobs_on_its_own(stack: tuple[dict[str, str], str]) -> None:
    env, base = stack
    front = httpx.get(base + "/", timeout=10)  # the image built the client (not the "not built" page)
    assert front.status_code == 200 and '<script type="module"' in front.text, front.text[:300]
    asset = httpx.get(base + front.text.split('src="', 1)[1].split('"', 1)[0], timeout=10)
    assert asset.status_code == 200 and "javascript" in asset.headers["content-type"]
    with httpx.Client(base_url=base) as client:  # an API client: no Origin, bearer tokens
        for index in range(4):
            body = {"email": f"musician{index}@example.com", "password": "a fine passphrase"}
            assert client.post("/api/v1/auth/register", json=body).status_code == 201
            token = client.post("/api/v1/auth/token", json=body).json()["access_token"]
            created = client.post(
                "/api/v1/feedback-requests",
                json={"media_url": f"https://soundcloud.com/stack-test/track-{index}", "genre": "pop"},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert created.status_code == 201, created.text
            client.cookies.clear()
    schedule_soon(env, "calculate_user_ratings")
    operator = compose(env, "exec", "-T", "cron", "python", "-m", "jobs", "assign_groups")
    assert "assign_groups: ok: 4 request(s) placed in 1 group(s)" in operator.stdout
    # Cron's own schedule: the line added above runs calculate_user_ratings within two minutes.
    _wait_until(
        "cron to run the scheduled job",
        lambda: "calculate_user_ratings: ok" in compose(env, "logs", "--no-color", "cron").stdout,
        180,
    )
    logs = compose(env, "logs", "--no-color", "cron").stdout
    assert "CMD" in logs and "calculate_user_ratings" in logs  # cron's own log line, through syslogd
    runs = compose(
        env,
        "exec",
        "-T",
        "db",
        "psql",
        "-U",
        "howsmytrack",
        "-d",
        "howsmytrack",
        "-At",
        "-c",
        "SELECT job || ':' || outcome FROM job_run ORDER BY id",
    ).stdout.split()
    # (cron's other lines, hourly and every few minutes, may run meanwhile too)
    ours = [run for run in runs if run.split(":")[0] in ("assign_groups", "calculate_user_ratings")]
    assert ours == ["assign_groups:ok", "calculate_user_ratings:ok"]


def test_a_database_outage_is_a_503_and_recovers_without_a_restart(stack: tuple[dict[str, str], str]) -> None:
    env, base = stack
    compose(env, "stop", "db")
    try:
        _wait_until("readyz to report the outage", lambda: _status(base + "/readyz") == 503, 60)
        during = compose(env, "exec", "-T", "cron", "python", "-m", "jobs", "calculate_user_ratings", check=False)
        assert during.returncode == 1 and "calculate_user_ratings: failed:" in during.stdout
    finally:
        compose(env, "start", "db")
    _wait_until("readyz to recover", lambda: _status(base + "/readyz") == 200, 120)
    after = compose(env, "exec", "-T", "cron", "python", "-m", "jobs", "calculate_user_ratings")
    assert "calculate_user_ratings: ok" in after.stdout


# --- the production stack ----------------------------------------------------------------------

PRODUCTION_PROJECT = "hmtprod"


@dataclass
class Production:
    env: dict[str, str]
    base: str  # https://localhost:<port>, through Caddy
    ca: str  # Caddy's own root certificate (TLS_MODE=internal)
    values: dict[str, str]

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, verify=ssl.create_default_context(cafile=self.ca), timeout=30)


def production_compose(
    env: dict[str, str], *args: str, check: bool = True, timeout: int = 900
) -> subprocess.CompletedProcess[str]:
    files = ["-f", "docker-compose.prod.yml", "-f", str(STAND_INS / "production.override.yml")]
    return run(
        "docker-compose",
        "-p",
        PRODUCTION_PROJECT,
        "--env-file",
        env["ENV_FILE"],
        *files,
        *args,
        env=env,
        check=check,
        timeout=timeout,
    )


def _psql(production: Production, sql: str) -> list[str]:
    result = production_compose(
        production.env, "exec", "-T", "db", "psql", "-U", "howsmytrack", "-d", "howsmytrack", "-At", "-c", sql
    )
    return result.stdout.split()


def _logs(production: Production, service: str) -> str:
    """The end of a service's log, for a failure's message."""
    return production_compose(production.env, "logs", "--no-color", "--tail", "60", service, check=False).stdout[-6000:]


def _replica_addresses(production: Production) -> list[str]:
    ids = production_compose(production.env, "ps", "-q", "web").stdout.split()
    template = "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}"
    return [run("docker", "inspect", "-f", template, i, env=production.env).stdout.strip() for i in ids]


@pytest.fixture(scope="module")
def production(stand_in_images: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Production]:
    """docker-compose.prod.yml as an operator runs it: 3 web replicas, 2 cron containers."""
    folder = tmp_path_factory.mktemp("production")
    https_port, http_port = free_port(), free_port()
    password = secrets.token_urlsafe(18)
    values = {
        "ENVIRONMENT": "production",
        "WEB_URL": f"https://localhost:{https_port}",
        "SITE_ADDRESS": "localhost",
        "TLS_MODE": "internal",
        "POSTGRES_USER": "howsmytrack",
        "POSTGRES_PASSWORD": password,
        "POSTGRES_DB": "howsmytrack",
        "DATABASE_URL": f"postgresql://howsmytrack:{password}@pgbouncer:6432/howsmytrack",
        "DIRECT_DATABASE_URL": f"postgresql://howsmytrack:{password}@db:5432/howsmytrack",
        "SECRET_KEYS": secrets.token_urlsafe(48),
        "SMTP_URL": "smtp://mail:1025",
        "TRUSTED_PROXIES": "172.16.0.0/12",
        "WEB_CONCURRENCY": "2",
        "DB_POOL_SIZE": "10",
        "METRICS_TOKEN": secrets.token_urlsafe(24),
        "AUTH_RATE_PER_ADDRESS": "100000",
    }
    env_file = folder / ".env.production"
    env_file.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
    env = {
        **stand_in_images,
        "ENV_FILE": str(env_file),
        "HTTPS_PORT": str(https_port),
        "HTTP_PORT": str(http_port),
        "NPM_CONFIG_REGISTRY": _npm_registry(),
    }
    env.setdefault("PIP_INDEX_URL", "")
    production_compose(env, "down", "-v", check=False)
    try:
        production_compose(env, "build")
        production_compose(env, "up", "-d", "--scale", "web=3", "--scale", "cron=2")
        base = f"https://localhost:{https_port}"
        _wait_until("Caddy to serve the replicas", lambda: _status_insecure(base + "/readyz") == 200, 240)
        started = Production(env, base, "", values)
        for address in _replica_addresses(started):  # every replica up, not only the first to answer
            _wait_until(f"replica {address}", lambda a=address: _status(f"http://{a}:8000/readyz") == 200, 240)
        ca = folder / "caddy-root.crt"
        root = production_compose(env, "exec", "-T", "proxy", "cat", "/data/caddy/pki/authorities/local/root.crt")
        ca.write_text(root.stdout)
        yield Production(env, base, str(ca), values)
    finally:
        production_compose(env, "down", "-v", "--timeout", "1", check=False)  # throwaway: no graceful stop to wait for


def _status_insecure(url: str) -> int:
    try:
        return httpx.get(url, timeout=5, verify=False).status_code
    except httpx.HTTPError:
        return 0


def _register(client: httpx.Client, email: str) -> str:
    body = {"email": email, "password": "a production passphrase"}
    assert (
        client.post(
            "/api/v1/auth/register", json=body, headers={"Origin": client.base_url.__str__().rstrip("/")}
        ).status_code
        == 201
    )
    client.cookies.clear()
    token: str = client.post("/api/v1/auth/token", json=body).json()["access_token"]
    return token


def test_production_serves_the_client_and_the_api_over_https_through_the_pooler(production: Production) -> None:
    with production.client() as client:
        front = client.get("/")
        assert front.status_code == 200 and '<script type="module"' in front.text
        assert front.headers["strict-transport-security"].startswith("max-age=")
        asset = client.get(front.text.split('src="', 1)[1].split('"', 1)[0], headers={"Accept-Encoding": "gzip"})
        assert asset.status_code == 200 and asset.headers.get("content-encoding") in ("gzip", "zstd")
        assert (
            client.get(
                "/metrics", headers={"Authorization": f"Bearer {production.values['METRICS_TOKEN']}"}
            ).status_code
            == 404
        )
        plain = httpx.get(f"http://localhost:{production.env['HTTP_PORT']}/", follow_redirects=False, timeout=10)
        assert plain.status_code in (301, 308) and plain.headers["location"].startswith("https://")

        tokens = {}
        for index in range(4):
            email = f"prod{index}@example.com"
            tokens[email] = _register(client, email)
            created = client.post(
                "/api/v1/feedback-requests",
                json={"media_url": f"https://soundcloud.com/prod/track-{index}", "genre": "pop"},
                headers={"Authorization": f"Bearer {tokens[email]}"},
            )
            assert created.status_code == 201, created.text + _logs(production, "web")
    # A sign-up's verification email reaches the SMTP server (sent by a replica's mail sender).
    _wait_until(
        "the verification email",
        lambda: "To: prod0@example.com" in production_compose(production.env, "logs", "--no-color", "mail").stdout,
        60,
    )
    # Both cron containers start the grouping job at once: the requests are grouped once.
    runs = [
        subprocess.Popen(
            [
                "docker-compose",
                "-p",
                PRODUCTION_PROJECT,
                "--env-file",
                production.env["ENV_FILE"],
                "-f",
                "docker-compose.prod.yml",
                "-f",
                str(STAND_INS / "production.override.yml"),
                "exec",
                "-T",
                "--index",
                str(index),
                "cron",
                "python",
                "-m",
                "jobs",
                "assign_groups",
            ],
            cwd=ROOT,
            env=production.env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for index in (1, 2)
    ]
    outputs = [process.communicate(timeout=300)[0] for process in runs]
    assert [process.returncode for process in runs] == [0, 0], outputs
    assert _psql(production, "SELECT count(*) FROM feedback_group") == ["1"], outputs
    # An event written through one replica reaches a stream held on another.
    first, second = _replica_addresses(production)[:2]
    owner, writer = tokens["prod0@example.com"], tokens["prod1@example.com"]
    with httpx.Client(base_url=f"http://{second}:8000", timeout=30) as direct:
        group_id = direct.get("/api/v1/groups", headers={"Authorization": f"Bearer {writer}"}).json()["items"][0]["id"]
        group = direct.get(f"/api/v1/groups/{group_id}", headers={"Authorization": f"Bearer {writer}"}).json()["group"]
    with EventStream(
        f"http://{first}:8000/api/v1/notifications/stream", {"Authorization": f"Bearer {owner}"}
    ) as stream:
        mine = next(item for item in group["to_review"] if str(item["request"]["media_url"]).endswith("track-0"))
        written = httpx.put(
            f"http://{second}:8000/api/v1/responses/{mine['id']}",
            json={"feedback": feedback_text("The chorus lands; the verse drags a little."), "allow_replies": True},
            headers={"Authorization": f"Bearer {writer}"},
            timeout=30,
        )
        assert written.status_code == 200, written.text
        assert stream.notification("feedback_received", timeout=30).json["kind"] == "feedback_received"
    # /metrics, scraped from each replica directly (as Prometheus does), counted the journey: the
    # proxy spread the four requests over the replicas, and the replicas' counts add up to four.
    created = 0.0
    for address in _replica_addresses(production):
        scraped = httpx.get(
            f"http://{address}:8000/metrics",
            headers={"Authorization": f"Bearer {production.values['METRICS_TOKEN']}"},
            timeout=10,
        )
        assert scraped.status_code == 200
        assert 'job_last_start_timestamp_seconds{job="assign_groups"}' in scraped.text  # read from the database
        for family in text_string_to_metric_families(scraped.text):
            created += sum(
                sample.value
                for sample in family.samples
                if sample.name == "http_requests_total"
                and sample.labels == {"route": "/api/v1/feedback-requests", "method": "POST", "status": "201"}
            )
    assert created == 4


def test_a_replica_killed_under_load_loses_no_acknowledged_write(production: Production) -> None:
    """Sign-ups through the proxy from four threads; one replica is killed a third of the way in."""
    statuses: list[tuple[float, str, int]] = []
    lock = threading.Lock()
    emails = iter(f"load{index}@example.com" for index in range(90))
    killed_at: list[float] = []

    def load() -> None:
        with production.client() as client:
            for email in emails:
                try:
                    status = client.post(
                        "/api/v1/auth/register",
                        json={"email": email, "password": "a production passphrase"},
                        headers={"Origin": production.base},
                    ).status_code
                except httpx.HTTPError:
                    status = 0
                client.cookies.clear()
                with lock:
                    statuses.append((time.monotonic(), email, status))
                    if len(statuses) == 30:
                        victim = production_compose(production.env, "ps", "-q", "web").stdout.split()[-1]
                        run("docker", "kill", victim, env=production.env)
                        killed_at.append(time.monotonic())

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    acknowledged = {email for _, email, status in statuses if status == 201}
    stored = set(_psql(production, "SELECT email FROM \"user\" WHERE email LIKE 'load%'"))
    assert acknowledged <= stored  # nothing acknowledged is lost
    failed = [(at, status) for at, _, status in statuses if status != 201]
    settled = killed_at[0] + 12  # the proxy's fail_duration (10 s) and a retry's window
    assert not [status for at, status in failed if at > settled], failed
    print(json.dumps({"requests": len(statuses), "failed_during_switch": len(failed)}))
