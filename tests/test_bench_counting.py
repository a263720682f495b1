"""The benchmark's own instruments: the statement count (bench/counted.py), which wraps a job run from
outside the job's code, and the CPU shares by process family (bench/cpu.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from bench.cpu import cpu_shares

ROOT = Path(__file__).parents[1]


def test_a_counted_job_prints_its_summary_and_then_its_statements(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'counted.sqlite3'}", "ENVIRONMENT": "development"}
    subprocess.run([sys.executable, "-m", "db", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
    result = subprocess.run(
        [sys.executable, "-m", "bench.counted", "calculate_user_ratings"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    lines = result.stdout.splitlines()
    assert result.returncode == 0 and lines[0].startswith("calculate_user_ratings: ok")
    counted = re.fullmatch(r"statements=(\d+)", lines[1])
    assert counted and int(counted[1]) >= 2  # the job's own UPDATE and its run record at least


def test_cpu_shares_count_a_child_that_ended_within_the_block_as_load() -> None:
    shares: dict[str, float] = {}
    with cpu_shares(os.getpgrp(), shares):
        subprocess.run([sys.executable, "-c", "sum(i * i for i in range(3_000_000))"], check=True)
    assert set(shares) == {"postgres", "app", "load", "other"}
    assert shares["load"] > 0


def test_the_live_benchmarks_writer_survives_falling_behind_and_a_missed_rate_fails() -> None:
    from bench.live import rate_shortfall, wait_until

    readings = iter([10.0])
    slept: list[float] = []
    wait_until(9.5, clock=lambda: next(readings), sleep=slept.append)  # behind schedule: no sleep at all
    assert slept == []
    wait_until(10.25, clock=lambda: 10.0, sleep=slept.append)
    assert slept == [0.25]
    assert rate_shortfall("direct", 829, 1000) is not None and "829" in str(rate_shortfall("direct", 829, 1000))
    assert rate_shortfall("direct", 990, 1000) is None
