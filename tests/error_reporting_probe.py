"""Run as `python -m tests.error_reporting_probe` (by tests/test_error_reporting.py): in a process of
its own, so that the SDK's global set-up never touches the suite's. With SENTRY_DSN and DATABASE_URL
from the environment, it signs a user up (a password, a cookie, a token, an address), makes a route
fail with that data in the error, runs a job that fails with an address in its error, and prints the
failed request's id."""

from __future__ import annotations

import sys

from starlette.testclient import TestClient

from db import accounts
from db.connection import init_database
from db.migrate import migrate
from jobs.runner import JobResult, execute
from settings import Settings
from web.app import build_app

SECRETS = {
    "email": "ada.lovelace@example.com",
    "password": "a very secret passphrase",
    "feedback": "the second verse drags on too long",
}


def main() -> int:
    settings = Settings.from_env()
    migrate(init_database(settings.database_url))
    app = build_app(settings)

    def broken(*args: object) -> dict[str, object]:
        raise RuntimeError(f"could not load {SECRETS['email']}: {SECRETS['feedback']}")

    client_options = {"headers": {"Origin": settings.web_url}, "base_url": settings.web_url}
    with TestClient(app, raise_server_exceptions=False, **client_options) as client:  # type: ignore[arg-type]
        body = {"email": SECRETS["email"], "password": SECRETS["password"]}
        assert client.post("/api/v1/auth/register", json=body).status_code == 201
        token = client.post("/api/v1/auth/token", json=body).json()["access_token"]
        accounts.current_user_payload = broken  # type: ignore[assignment]
        failed = client.get(f"/api/v1/me?email={SECRETS['email']}", headers={"Authorization": f"Bearer {token}"})
        assert failed.status_code == 500, failed.text
        print(failed.json()["error"]["message"].split("(request ")[1].rstrip(")."))
        print(token)

    def failing_job() -> JobResult:
        raise ValueError(f"bad row for {SECRETS['email']} ({SECRETS['feedback']})")

    status, _ = execute("probe_job", failing_job)
    assert status == 1
    import sentry_sdk

    sentry_sdk.flush(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
