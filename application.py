"""Configuration and the app factory.

Settings are read once from the environment (and `.env` files, which never override a variable
that is already set). `uvicorn application:app` builds the app on first access, so importing this
module has no side effects; a production process with unsafe settings refuses to start with a
one-line reason.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from dotenv import load_dotenv

if TYPE_CHECKING:
    from starlette.applications import Starlette

DEVELOPMENT = "development"
PRODUCTION = "production"
DEFAULT_DATABASE_URL = "sqlite:///howsmytrack.sqlite3"
# Used only when ENVIRONMENT=development and no SECRET_KEY is given.
DEVELOPMENT_SECRET = "development-only-secret-key-not-for-production-use"
MIN_SECRET_LENGTH = 32
SMTP_SCHEMES = ("smtp", "smtp+starttls", "smtps")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")


class ConfigError(Exception):
    """The environment does not describe a configuration this process may run with."""


def _bool(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}")


def _int(value: str, name: str, minimum: int = 0) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from None
    if number < minimum:
        raise ConfigError(f"{name} must be at least {minimum}")
    return number


def _list(value: str) -> tuple[str, ...]:
    return tuple(item.strip().rstrip("/") for item in value.split(",") if item.strip())


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL, as browsers send it in `Origin`."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _smtp_url(value: str) -> str:
    value = value.strip()
    if value:
        parts = urlsplit(value)
        if parts.scheme not in SMTP_SCHEMES or not parts.hostname:
            raise ConfigError(f"SMTP_URL must look like smtp://host[:port] (or {', '.join(SMTP_SCHEMES[1:])}://)")
    return value


def _flag(env: dict[str, str], name: str, default: bool) -> bool:
    return _bool(env[name], name) if env.get(name, "").strip() else default


@dataclass(frozen=True)
class Settings:
    environment: str = DEVELOPMENT
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = DEVELOPMENT_SECRET
    cors_origins: tuple[str, ...] = ()
    smtp_url: str = ""
    # SMTP connections a job sends its batches of emails over at once.
    smtp_connections: int = 4
    web_url: str = "http://127.0.0.1:8000"
    auth_rate_per_address: int = 30
    auth_failures_per_account: int = 10
    trusted_proxies: tuple[str, ...] = ()
    # Not in the contract; tuned by operators and tests.
    token_ttl_seconds: int = 24 * 3600
    refresh_window_seconds: int = 7 * 24 * 3600
    password_reset_ttl_seconds: int = 3600
    db_pool_size: int = 40
    # Units of work running at once per process (threads); the rest wait their turn (db/connection.py).
    db_threads: int = 8
    db_pool_timeout_seconds: int = 10
    # PostgreSQL session limits for the web process (jobs run without a statement timeout).
    db_statement_timeout_ms: int = 15_000
    db_idle_in_transaction_timeout_ms: int = 60_000
    # Password hashes (argon2id, 64 MiB each) computed at once per process.
    password_hash_concurrency: int = 2
    # Hours a group's members have to write their feedback (see db/deadlines.py).
    group_deadline_hours: int = 72
    # Live notification streams: open at once per user and process; a comment line every
    # `heartbeat` seconds; the token checked again (and, on SQLite, the inbox read) every `check`.
    max_streams_per_user: int = 10
    # Live streams one process holds at once, for everyone (past it: 503 with Retry-After).
    max_streams: int = 2000
    stream_heartbeat_seconds: int = 15
    stream_check_seconds: int = 30
    docs_enabled: bool = True
    demo_enabled: bool = True
    mail_folder: str = "mail-outbox"
    log_level: str = "INFO"
    # Seconds since the epoch; tests replace it to move time instead of waiting.
    clock: Callable[[], float] = field(default=time.time, compare=False, repr=False)

    @property
    def is_development(self) -> bool:
        return self.environment == DEVELOPMENT

    @property
    def token_issuer(self) -> str:
        return "howsmytrack"

    @property
    def allowed_origins(self) -> frozenset[str]:
        """Origins whose cookie-carrying writes are ours: WEB_URL's and CORS_ORIGINS.

        In development the loopback names are interchangeable, so a browser on localhost works
        against the default WEB_URL of 127.0.0.1 (and the other way round).
        """
        origins = {origin_of(self.web_url), *(origin.lower() for origin in self.cors_origins)}
        if self.is_development:
            for origin in list(origins):
                parts = urlsplit(origin)
                if parts.hostname in LOOPBACK_HOSTS:
                    port = f":{parts.port}" if parts.port else ""
                    origins |= {f"{parts.scheme}://{host}{port}" for host in LOOPBACK_HOSTS}
        return frozenset(origins)

    def with_changes(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Read and check the settings; raises ConfigError with a one-line reason."""
        if env is None:
            load_dotenv(".env", override=False)
            env = dict(os.environ)
        environment = env.get("ENVIRONMENT", DEVELOPMENT).strip() or DEVELOPMENT
        if environment not in (DEVELOPMENT, PRODUCTION):
            raise ConfigError(f"ENVIRONMENT must be {DEVELOPMENT} or {PRODUCTION}, not {environment!r}")
        database_url = env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
        secret_key = env.get("SECRET_KEY", "")
        if environment == PRODUCTION:
            if not secret_key:
                raise ConfigError("SECRET_KEY is required when ENVIRONMENT=production")
            if len(secret_key) < MIN_SECRET_LENGTH or secret_key == DEVELOPMENT_SECRET:
                raise ConfigError(f"SECRET_KEY must be a random value of at least {MIN_SECRET_LENGTH} characters")
            if not database_url.startswith(("postgresql://", "postgres://")):
                raise ConfigError("DATABASE_URL must be a postgresql:// URL when ENVIRONMENT=production")
        elif not secret_key:
            secret_key = DEVELOPMENT_SECRET
        elif len(secret_key) < MIN_SECRET_LENGTH:
            raise ConfigError(f"SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters")
        if not database_url.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise ConfigError("DATABASE_URL must start with sqlite:/// or postgresql://")
        defaults = cls()
        return cls(
            environment=environment,
            database_url=database_url,
            secret_key=secret_key,
            cors_origins=_list(env.get("CORS_ORIGINS", "")),
            smtp_url=_smtp_url(env.get("SMTP_URL", "")),
            smtp_connections=_int(env.get("SMTP_CONNECTIONS", str(defaults.smtp_connections)), "SMTP_CONNECTIONS", 1),
            web_url=(env.get("WEB_URL", "").strip() or defaults.web_url).rstrip("/"),
            auth_rate_per_address=_int(
                env.get("AUTH_RATE_PER_ADDRESS", str(defaults.auth_rate_per_address)), "AUTH_RATE_PER_ADDRESS", 1
            ),
            auth_failures_per_account=_int(
                env.get("AUTH_FAILURES_PER_ACCOUNT", str(defaults.auth_failures_per_account)),
                "AUTH_FAILURES_PER_ACCOUNT",
                1,
            ),
            trusted_proxies=_list(env.get("TRUSTED_PROXIES", "")),
            db_pool_size=_int(env.get("DB_POOL_SIZE", str(defaults.db_pool_size)), "DB_POOL_SIZE", 1),
            db_threads=_int(env.get("DB_THREADS", str(defaults.db_threads)), "DB_THREADS", 1),
            db_statement_timeout_ms=_int(
                env.get("DB_STATEMENT_TIMEOUT_MS", str(defaults.db_statement_timeout_ms)), "DB_STATEMENT_TIMEOUT_MS"
            ),
            password_hash_concurrency=_int(
                env.get("PASSWORD_HASH_CONCURRENCY", str(defaults.password_hash_concurrency)),
                "PASSWORD_HASH_CONCURRENCY",
                1,
            ),
            group_deadline_hours=_int(
                env.get("GROUP_DEADLINE_HOURS", str(defaults.group_deadline_hours)), "GROUP_DEADLINE_HOURS", 1
            ),
            max_streams_per_user=_int(
                env.get("MAX_STREAMS_PER_USER", str(defaults.max_streams_per_user)), "MAX_STREAMS_PER_USER", 1
            ),
            max_streams=_int(env.get("MAX_STREAMS", str(defaults.max_streams)), "MAX_STREAMS", 1),
            stream_heartbeat_seconds=_int(
                env.get("STREAM_HEARTBEAT_SECONDS", str(defaults.stream_heartbeat_seconds)),
                "STREAM_HEARTBEAT_SECONDS",
                1,
            ),
            stream_check_seconds=_int(
                env.get("STREAM_CHECK_SECONDS", str(defaults.stream_check_seconds)), "STREAM_CHECK_SECONDS", 1
            ),
            docs_enabled=_flag(env, "DOCS_ENABLED", environment == DEVELOPMENT),
            demo_enabled=_flag(env, "DEMO_ENABLED", environment == DEVELOPMENT),
            mail_folder=env.get("MAIL_FOLDER", defaults.mail_folder),
            log_level=env.get("LOG_LEVEL", defaults.log_level).upper(),
        )


def load_settings() -> Settings:
    """Settings for a process entry point: exits with the reason when they are unusable."""
    try:
        return Settings.from_env()
    except ConfigError as error:
        sys.exit(f"configuration error: {error}")


def create_app(settings: Settings | None = None) -> Starlette:
    from web.app import build_app

    return build_app(settings or load_settings())


_app: Starlette | None = None


def __getattr__(name: str) -> Any:
    # `uvicorn application:app` asks for the attribute; building it lazily keeps imports pure.
    global _app
    if name == "app":
        if _app is None:
            _app = create_app()
        return _app
    raise AttributeError(name)
