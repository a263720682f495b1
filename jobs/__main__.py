"""`python -m jobs <name>` runs one job; `python -m jobs --list` names them; `python -m jobs history` shows runs."""

from __future__ import annotations

import sys
from collections.abc import Callable

from jobs import (
    assign_groups,
    calculate_user_ratings,
    clean_up,
    compute_stats,
    enforce_deadlines,
    history,
    recommend_tracks,
    send_emails,
    send_group_reminders,
)

JOBS: dict[str, Callable[[list[str] | None], int]] = {
    "calculate_user_ratings": calculate_user_ratings.main,
    "send_group_reminders": send_group_reminders.main,
    "assign_groups": assign_groups.main,
    "recommend_tracks": recommend_tracks.main,
    "compute_stats": compute_stats.main,
    "enforce_deadlines": enforce_deadlines.main,
    "clean_up": clean_up.main,
    "send_emails": send_emails.main,
}
USAGE = "usage: python -m jobs {" + ",".join(JOBS) + "} [--help] | --list | history [--limit N] [--job NAME]"


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 2
    if argv[0] == "--list":
        print("\n".join(JOBS))
        return 0
    if argv[0] == "history":
        return history.main(argv[1:])
    job = JOBS.get(argv[0])
    if job is None:
        print(f"unknown job {argv[0]!r}\n{USAGE}", file=sys.stderr)
        return 2
    return job(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
