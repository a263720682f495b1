"""Where a run's CPU went, by process family (PostgreSQL, the app's workers, the load generator),
read from /proc: the figures that tell queueing for cores apart from slow code."""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TICK = 1 / os.sysconf("SC_CLK_TCK")


def _processes() -> dict[int, tuple[str, int, float]]:
    """pid -> (command name, process group, CPU seconds so far)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        # After the name: state ppid pgrp session ... utime (11th) stime (12th).
        found[int(entry.name)] = (name, int(fields[2]), (int(fields[11]) + int(fields[12])) * TICK)
    return found


def _ended_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def cpu_shares(app_group: int, into: dict[str, float]) -> Iterator[None]:
    """Fill `into` with each family's share of the machine's cores over the block, in per cent of
    one core: `postgres`, `app` (processes in `app_group`), `load` (wrk: this process's children
    that ended within the block, as a wrk run does), `other`."""

    def family(name: str, group: int) -> str:
        if group == app_group:
            return "app"
        return "postgres" if name.startswith("postgres") else "load" if name == "wrk" else "other"

    before = _processes()
    ended_before = _ended_children()
    started = time.perf_counter()
    yield
    wall = time.perf_counter() - started
    totals = dict.fromkeys(("postgres", "app", "load", "other"), 0.0)
    for pid, (name, group, cpu) in _processes().items():
        earlier = before.get(pid)
        totals[family(name, group)] += cpu - (earlier[2] if earlier and earlier[0] == name else 0.0)
    totals["load"] += _ended_children() - ended_before
    into.update({key: round(100 * value / wall) for key, value in totals.items()})
