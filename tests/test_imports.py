"""Importing a module does no work: no job or web process pays for an argon2 hash (64 MiB) it may
never need. (An import-time hash once tripled every job's peak memory.)"""

from __future__ import annotations

import subprocess
import sys

from tests.serving import ROOT

PROBE = """
import argon2

def refuse(*args, **kwargs):
    raise SystemExit("a password hash was computed at import")

argon2.PasswordHasher.hash = refuse
import application, mail, jobs.__main__, db.__main__, web.app, web.serve
import jobs.assign_groups, jobs.calculate_user_ratings, jobs.clean_up, jobs.compute_stats
import jobs.enforce_deadlines, jobs.recommend_tracks, jobs.send_group_reminders
print("clean")
"""


def test_importing_the_jobs_and_the_web_app_computes_no_hash() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == "clean", result.stderr
