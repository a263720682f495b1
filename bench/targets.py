"""The performance targets (issue 14), each judged against the figures of the same run.

`p50 unchanged or better` compares with bench/baseline.json: the figures measured before the
performance work, on this machine (a run may move by about 10 %, so up to 10 % slower counts as
unchanged)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BASELINE = json.loads((Path(__file__).parent / "baseline.json").read_text())
DB_ROUTES = ("GET /api/v1/me", "GET /api/v1/groups", "GET /api/v1/groups/{id}", "PUT /api/v1/responses/{id}")
CEILING_SHARE = {"GET /api/v1/me": 0.25, "GET /api/v1/groups": 0.15, "GET /api/v1/groups/{id}": 0.15}
ASSIGN_SECONDS = {10_000: 2.0, 100_000: 12.0}
P99_MS = 50.0
PEAK_RSS_MB = 300.0
NOISE = 1.10


@dataclass(frozen=True)
class Verdict:
    target: str
    measured: str
    met: bool | None  # None: not measured in this run


def judge(report: dict[str, Any]) -> list[Verdict]:
    verdicts: list[Verdict] = []
    api = {row["route"]: row for row in report.get("api", [])}
    for route in DB_ROUTES:
        row = api.get(route)
        if row is None:
            continue
        verdicts.append(
            Verdict(f"{route}: p99 <= {P99_MS:.0f} ms (c=16)", f"{row['p99_ms']} ms", row["p99_ms"] <= P99_MS)
        )
        before = BASELINE["api_p50_ms"][route]
        verdicts.append(
            Verdict(
                f"{route}: p50 unchanged or better (was {before} ms)",
                f"{row['p50_ms']} ms",
                row["p50_ms"] <= before * NOISE,
            )
        )
        if route in CEILING_SHARE:
            share = CEILING_SHARE[route]
            verdicts.append(
                Verdict(
                    f"{route}: >= {share} of the ceiling route",
                    f"{row['ceiling_fraction']}",
                    row["ceiling_fraction"] >= share,
                )
            )
        verdicts.append(Verdict(f"{route}: zero errors", str(row["errors"]), row["errors"] == 0))
    for row in report.get("jobs", []):
        if row["job"] == "assign_groups" and row["users"] in ASSIGN_SECONDS:
            limit = ASSIGN_SECONDS[row["users"]]
            emailed = f", {row['emails']} emails to the SMTP sink" if row.get("emails") is not None else ""
            verdicts.append(
                Verdict(
                    f"assign_groups at {row['users']:,} users <= {limit:.0f} s",
                    f"{row['wall_s']} s{emailed}",
                    row["wall_s"] <= limit,
                )
            )
    peaks = [row["peak_rss_mb"] for row in report.get("jobs", []) if row.get("peak_rss_mb") is not None]
    if peaks:
        verdicts.append(
            Verdict(f"jobs' peak RSS <= {PEAK_RSS_MB:.0f} MB", f"{max(peaks)} MB", max(peaks) <= PEAK_RSS_MB)
        )
    return verdicts


def table(verdicts: list[Verdict]) -> str:
    width = max((len(v.target) for v in verdicts), default=10) + 2
    lines = [f"{'target':<{width}}{'measured':>28}  met"]
    for v in verdicts:
        met = "yes" if v.met else ("no" if v.met is False else "-")
        lines.append(f"{v.target:<{width}}{v.measured:>28}  {met}")
    return "\n".join(lines)
