"""`python -m bench.lighthouse` (make lighthouse): Lighthouse scores for the web client's sign-in
and group pages, served by the real app on a throwaway SQLite file with the demo data, audited in
Debian's Chromium. Prints each page's performance, accessibility and best-practices scores and
whether they meet the targets (90, 95, 95)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from tests.serving import served

ROOT = Path(__file__).parents[1]
LIGHTHOUSE = ROOT / "client" / "node_modules" / ".bin" / "lighthouse"
TARGETS = {"performance": 90, "accessibility": 95, "best-practices": 95}
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync"
DEMO = ("demo@howsmytrack.example", "demo listener 42")


def audit(url: str, headers: dict[str, str], out: Path) -> dict[str, int]:
    command = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        f"--chrome-flags={CHROME_FLAGS}",
        "--only-categories=performance,accessibility,best-practices",
        "--output=json",
        f"--output-path={out}",
        "--max-wait-for-load=20000",
    ]
    if headers:
        command.append(f"--extra-headers={json.dumps(headers)}")
    subprocess.run(command, check=True, env={**os.environ, "CHROME_PATH": "/usr/bin/chromium"}, timeout=300)
    report = json.loads(out.read_text())
    return {name: round(category["score"] * 100) for name, category in report["categories"].items()}


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="howsmytrack-lighthouse-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'lighthouse.sqlite3'}",
        "ENVIRONMENT": "development",
        "LOG_LEVEL": "WARNING",
    }
    for step in (["db", "demo"], ["db", "demo", "--group"]):
        subprocess.run([sys.executable, "-m", *step], cwd=ROOT, env=env, check=True, capture_output=True)
    with served(env) as base:
        signed_in = httpx.post(base + "/api/v1/auth/login", json={"email": DEMO[0], "password": DEMO[1]})
        cookie = {"Cookie": f"JWT={signed_in.cookies['JWT']}"}
        group_id = httpx.get(base + "/api/v1/groups", headers=cookie).json()["items"][0]["id"]
        pages = {"sign-in": (f"{base}/sign-in", {}), "group": (f"{base}/groups/{group_id}", cookie)}
        met = True
        print(f"{'page':<10}" + "".join(f"{name:>16}" for name in TARGETS))
        for name, (url, headers) in pages.items():
            scores = audit(url, headers, folder / f"{name}.json")
            row = ""
            for category, target in TARGETS.items():
                ok = scores[category] >= target
                met &= ok
                row += f"{scores[category]:>11} {'ok' if ok else 'LOW':>4}"
            print(f"{name:<10}{row}")
        print("targets: performance >= 90, accessibility >= 95, best practices >= 95: " + ("met" if met else "NOT met"))
        return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
