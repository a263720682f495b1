"""The container files and the crontab, checked with tools that need no Docker engine."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from jobs.__main__ import JOBS

ROOT = Path(__file__).parents[1]
CRON_LINE = re.compile(r"^(\d+) (\d+) \* \* \* (\w+) (.*)$")


def run(*command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=120
    )


def test_compose_file_is_valid_and_wires_the_three_services() -> None:
    compose = shutil.which("docker-compose")
    assert compose, "docker-compose is missing: `make test` installs Debian's package"
    result = run(compose, "-f", "docker-compose.dev.yml", "config", env={"PIP_INDEX_URL": ""})
    assert result.returncode == 0, result.stderr
    config = result.stdout
    for expected in (
        "db:",
        "web:",
        "cron:",
        "image: postgres:15",
        "condition: service_healthy",
        "db-data:",
        "pg_isready",
    ):
        assert expected in config
    assert "python -m db migrate" in config and "python -m web.serve" in config
    assert "init: true" in config  # cron stops promptly on SIGTERM


def _production_config() -> str:
    compose = shutil.which("docker-compose")
    assert compose, "docker-compose is missing: `make test` installs Debian's package"
    result = run(
        compose,
        "-f",
        "docker-compose.prod.yml",
        "--env-file",
        ".env.production.example",
        "config",
        env={"PIP_INDEX_URL": "", "ENV_FILE": ".env.production.example"},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_production_compose_puts_replicas_behind_the_proxy_and_the_pooler() -> None:
    config = _production_config()
    for expected in (
        "image: caddy:2",
        "image: postgres:15",
        "image: howsmytrack-pgbouncer",
        "replicas: 3",
        "condition: service_completed_successfully",  # migrations before any replica
        "DATABASE_URL: postgresql://howsmytrack:change-me-to-a-long-random-password@pgbouncer:6432/howsmytrack",
        "DIRECT_DATABASE_URL: postgresql://howsmytrack:change-me-to-a-long-random-password@db:5432/howsmytrack",
        "/readyz",
        "db-data:",
        "10-role-limits.sh",
    ):
        assert expected in config, expected
    assert ".env.production" in (ROOT / ".gitignore").read_text().splitlines()


def test_production_compose_offers_a_streaming_standby_and_synchronous_replication() -> None:
    config = _production_config()
    assert "synchronous_standby_names=" in config  # asynchronous unless SYNCHRONOUS_STANDBY_NAMES is set
    assert "20-replication.sh" in config
    standby = config[config.index("  db-standby:") :].split("\n  pgbouncer:")[0]
    assert "- replica" in standby.split("profiles:")[1].splitlines()[1]  # started only with --profile replica
    compose = shutil.which("docker-compose")
    assert compose
    with_standby = run(
        compose,
        *("-f", "docker-compose.prod.yml", "--env-file", ".env.production.example", "--profile", "replica", "config"),
        env={"PIP_INDEX_URL": "", "ENV_FILE": ".env.production.example", "SYNCHRONOUS_STANDBY_NAMES": "*"},
    )
    assert with_standby.returncode == 0, with_standby.stderr
    assert "db-standby:" in with_standby.stdout and "synchronous_standby_names=*" in with_standby.stdout
    script = (ROOT / "docker" / "postgres" / "standby.sh").read_text()
    assert "pg_basebackup -h db" in script and " -R " in script
    assert "host replication" in (ROOT / "docker" / "postgres" / "20-replication.sh").read_text()


def test_the_example_production_environment_passes_the_start_up_checks() -> None:
    from dotenv import dotenv_values

    from settings import ConfigError, Settings

    values = {key: value or "" for key, value in dotenv_values(ROOT / ".env.production.example").items()}
    settings = Settings.from_env(values)
    assert settings.environment == "production" and settings.database_is_pooled
    for broken, reason in (
        ({"WEB_URL": "http://howsmytrack.example"}, "https://"),
        ({"SECRET_KEYS": "short"}, "at least 32"),
        ({"SECRET_KEYS": "", "SECRET_KEY": ""}, "required"),
        ({"DATABASE_URL": "sqlite:///x.sqlite3"}, "postgresql://"),
    ):
        with pytest.raises(ConfigError, match=reason):
            Settings.from_env({**values, **broken})


def test_the_caddyfile_is_valid_and_routes_no_metrics() -> None:
    caddy = shutil.which("caddy")
    assert caddy, "caddy is missing: `make test` installs Debian's package"
    result = run(
        caddy,
        "validate",
        "--adapter",
        "caddyfile",
        "--config",
        "docker/caddy/Caddyfile",
        env={"SITE_ADDRESS": "localhost"},
    )
    assert result.returncode == 0, result.stderr
    text = (ROOT / "docker/caddy/Caddyfile").read_text()
    assert "respond @metrics 404" in text and "flush_interval -1" in text and "Strict-Transport-Security" in text


@pytest.mark.parametrize("path", ["Dockerfile", "docker/pgbouncer/Dockerfile"], ids=["app", "pgbouncer"])
def test_production_dockerfiles_pass_hadolint(path: str) -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    result = run(str(hadolint), "--ignore", "DL3066", path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_production_image_builds_the_client_and_holds_only_what_runs() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert (
        "FROM node:20-bookworm-slim AS client" in dockerfile and "npm ci" in dockerfile and "vite build" in dockerfile
    )
    assert "COPY --from=client --chown=app:app /client/dist client/dist" in dockerfile
    assert "pipenv install --deploy --system" in dockerfile and "USER 1000:1000" in dockerfile
    assert "HEALTHCHECK" in dockerfile
    copied = [line.split()[-2] for line in dockerfile.splitlines() if line.startswith("COPY --chown=app:app")]
    assert not [path for path in copied if path.startswith(("tests", "bench", "client/node_modules", "."))]
    assert "COPY --from=client --chown=app:app /client/dist client/dist" in (ROOT / "Dockerfile.dev").read_text()


def test_dockerfile_passes_hadolint() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    result = run(str(hadolint), "Dockerfile.dev")
    assert result.returncode == 0, result.stdout + result.stderr
    dockerfile = (ROOT / "Dockerfile.dev").read_text()
    assert "FROM python:3.11-slim" in dockerfile and "pipenv install --deploy --system" in dockerfile
    assert "USER 1000" in dockerfile and "cron" in dockerfile


def crontab_entries() -> list[tuple[int, int, str, str]]:
    entries = []
    for line in (ROOT / "spotify.cronjob").read_text().splitlines():
        match = CRON_LINE.match(line)
        if match:
            entries.append((int(match[1]), int(match[2]), match[3], match[4]))
    return entries


def test_crontab_runs_each_job_at_its_time_with_the_saved_environment() -> None:
    text = (ROOT / "spotify.cronjob").read_text()
    assert "CRON_TZ=UTC" in text
    schedule = {
        re.search(r"python -m jobs (\w+)", command)[1]: (hour, minute)  # type: ignore[index]
        for minute, hour, _, command in crontab_entries()
    }
    assert schedule == {
        "calculate_user_ratings": (2, 0),
        "send_group_reminders": (2, 15),
        "assign_groups": (2, 30),
        "recommend_tracks": (2, 45),
        "compute_stats": (2, 50),
        "clean_up": (3, 0),
    }
    hourly = [line for line in text.splitlines() if line.startswith("45 * * * * root ")]
    assert len(hourly) == 1 and "runuser -u app -- python -m jobs enforce_deadlines >/proc/1/fd/1" in hourly[0]
    assert hourly[0].split(" root ", 1)[1].startswith(". /app/.cron-env && ")
    every_five = [line for line in text.splitlines() if line.startswith("*/5 * * * * root ")]
    assert len(every_five) == 1 and "python -m jobs send_emails >" in every_five[0]
    for _, _, user, command in crontab_entries():
        # PID 1's output belongs to root: the line opens it as root and runs the job as app.
        assert user == "root" and "runuser -u app -- python -m jobs" in command
        assert command.startswith(". /app/.cron-env && ") and ">/proc/1/fd/1 2>/proc/1/fd/2" in command


@pytest.mark.parametrize("job", sorted(JOBS))
def test_crontab_commands_answer_help(job: str) -> None:
    result = run(sys.executable, "-m", "jobs", job, "--help")
    assert result.returncode == 0 and f"python -m jobs {job}" in result.stdout


def test_jobs_cli_lists_runs_and_reports(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}", "ENVIRONMENT": "development"}
    assert run(sys.executable, "-m", "db", "migrate", env=env).returncode == 0
    listed = run(sys.executable, "-m", "jobs", "--list", env=env)
    assert listed.stdout.split() == [
        "calculate_user_ratings",
        "send_group_reminders",
        "assign_groups",
        "recommend_tracks",
        "compute_stats",
        "enforce_deadlines",
        "clean_up",
        "send_emails",
    ]
    job = run(sys.executable, "-m", "jobs", "assign_groups", env=env)
    assert job.returncode == 0
    assert job.stdout.count("\n") == 1 and job.stdout.startswith("assign_groups: ok: 0 request(s) placed in 0 group(s)")
    history = run(sys.executable, "-m", "jobs", "history", env=env)
    assert history.returncode == 0 and "assign_groups" in history.stdout and " ok " in history.stdout
    unknown = run(sys.executable, "-m", "jobs", "nope", env=env)
    assert unknown.returncode == 2


def test_a_failing_job_exits_non_zero(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'unmigrated.sqlite3'}", "ENVIRONMENT": "development"}
    result = run(sys.executable, "-m", "jobs", "calculate_user_ratings", env=env)
    assert result.returncode == 1 and result.stdout.startswith("calculate_user_ratings: failed: ")


@pytest.mark.parametrize(
    ("target", "command"),
    [("run", "web.serve"), ("demo", "db demo"), ("demo-group", "db demo --group"), ("jobs", "jobs")],
)
def test_every_make_target_that_writes_links_follows_host_and_port(target: str, command: str) -> None:
    """Emails and printed URLs point where `make run` serves (PORT=9123 here), from every target."""
    shown = run("make", "-n", target, "PORT=9123", "HOST=127.0.0.2", "ARGS=--list")
    assert shown.returncode == 0, shown.stderr
    lines = [line for line in shown.stdout.splitlines() if f"python -m {command}" in line]
    assert lines and all("http://127.0.0.2:9123" in line for line in lines), shown.stdout[-2000:]


def test_make_run_prints_the_demo_logins_after_the_build() -> None:
    shown = run("make", "-n", "-B", "run").stdout.splitlines()
    order = [index for index, line in enumerate(shown) if "vite build" in line or "python -m db demo" in line]
    assert [("vite" in shown[index]) for index in order] == [True, False], shown
