"""The service's configuration: one typed class, read once from the environment and a `.env` file in
the working directory (which never overrides a variable already set), by pydantic-settings.

Every field is the upper-case variable of its name (`DATABASE_URL` for `database_url`), except the
injected `clock`. Types, defaults and one-line refusals come from the library; the rules that span
fields (what production refuses) are one validator below. Imports nothing of the app: `web/`,
`db/`, `jobs/` and `application.py` (the app factory) all read it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

DEVELOPMENT = "development"
PRODUCTION = "production"
DEFAULT_DATABASE_URL = "sqlite:///howsmytrack.sqlite3"
# Used only when ENVIRONMENT=development and no SECRET_KEY is given.
DEVELOPMENT_SECRET = "development-only-secret-key-not-for-production-use"
MIN_SECRET_LENGTH = 32
SMTP_SCHEMES = ("smtp", "smtp+starttls", "smtps")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
DATABASE_SCHEMES = ("sqlite:///", "postgresql://", "postgres://")


class ConfigError(ValueError):
    """The environment does not describe a configuration this process may run with (one line)."""


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL, as browsers send it in `Origin`."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


# A comma-separated list in the environment (not JSON), trimmed, without trailing slashes.
CommaList = Annotated[tuple[str, ...], NoDecode]
Count = Annotated[int, Field(ge=1)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_ignore_empty=True, extra="ignore", frozen=True, validate_default=True
    )

    environment: Literal["development", "production"] = "development"
    database_url: str = DEFAULT_DATABASE_URL
    # A connection that bypasses a pooler (PgBouncer in transaction mode at DATABASE_URL): for LISTEN
    # and migrations. Empty: DATABASE_URL is direct.
    direct_database_url: str = ""
    # Streaming standbys that serve the reading routes (db/read_routing.py); none: the primary serves
    # everything. One that lags by more than REPLICA_MAX_LAG_S seconds is skipped until it catches up.
    database_replica_urls: CommaList = ()
    replica_max_lag_s: float = Field(default=5.0, gt=0, le=3600)
    # Keys that sign session tokens, newest first: tokens are signed with the first and accepted with
    # any, so a new key is rotated in without signing anyone out, and removing a key ends its
    # sessions. SECRET_KEY is the same as a list of one. Required in production; in development a
    # fixed key stands in when neither is given.
    secret_keys: CommaList = ()
    secret_key: str = ""
    cors_origins: CommaList = ()
    smtp_url: str = ""
    # SMTP connections a job sends its batches of emails over at once.
    smtp_connections: Count = 4
    web_url: str = "http://127.0.0.1:8000"
    auth_rate_per_address: Count = 30
    auth_failures_per_account: Count = 10
    trusted_proxies: CommaList = ()
    # Not in the contract; tuned by operators and tests.
    token_ttl_seconds: Count = 24 * 3600
    refresh_window_seconds: Count = 7 * 24 * 3600
    password_reset_ttl_seconds: Count = 3600
    db_pool_size: Count = 40
    # Units of work running at once per process (threads); the rest wait their turn (db/connection.py).
    db_threads: Count = 8
    db_pool_timeout_seconds: int = Field(default=10, ge=0)
    # PostgreSQL session limits for the web process (jobs run without a statement timeout).
    db_statement_timeout_ms: int = Field(default=15_000, ge=0)
    db_idle_in_transaction_timeout_ms: int = Field(default=60_000, ge=0)
    # Password hashes (argon2id, 64 MiB each) computed at once per process.
    password_hash_concurrency: Count = 2
    # Hours a group's members have to write their feedback (see db/deadlines.py).
    group_deadline_hours: Count = 72
    # The reviewer rating (db/ratings.py): how many ratings' worth the site's mean counts for (a
    # newcomer starts there), and the age at which a rating counts half.
    rating_prior_weight: float = Field(default=3.0, gt=0, le=1000)
    rating_half_life_days: float = Field(default=90.0, gt=0, le=36500)
    # Live notification streams: open at once per user and process, and per process for everyone;
    # a comment line every `heartbeat` seconds; the token checked again (and, on SQLite, the inbox
    # read) every `check`.
    max_streams_per_user: Count = 10
    max_streams: Count = 2000
    stream_heartbeat_seconds: Count = 15
    stream_check_seconds: Count = 30
    # On in development, off in production, unless set.
    docs_enabled: bool = True
    demo_enabled: bool = True
    mail_folder: str = "mail-outbox"
    # Error reports go to this Sentry DSN when set (scrubbed of personal data: error_reporting.py),
    # marked with the environment and this release (the deployed version, e.g. a git commit).
    sentry_dsn: str = ""
    release: str = ""
    # `/metrics` answers only `Authorization: Bearer <this>`; unset: it answers nobody.
    metrics_token: str = ""
    log_level: Literal["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"] = "INFO"
    # Seconds since the epoch; tests replace it to move time instead of waiting. Not from the environment.
    clock: Callable[[], float] = Field(default=time.time, exclude=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """`Settings(...)` holds the values it is given; `from_env()` reads the environment."""
        return (init_settings,)

    @field_validator("cors_origins", "trusted_proxies", "secret_keys", "database_replica_urls", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(item.strip().rstrip("/") for item in value.split(",") if item.strip())
        return value

    @field_validator("web_url", mode="before")
    @classmethod
    def _no_trailing_slash(cls, value: Any) -> Any:
        return value.strip().rstrip("/") if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("smtp_url")
    @classmethod
    def _smtp(cls, value: str) -> str:
        value = value.strip()
        parts = urlsplit(value)
        if value and (parts.scheme not in SMTP_SCHEMES or not parts.hostname):
            raise ValueError(f"must look like smtp://host[:port] (or {', '.join(SMTP_SCHEMES[1:])}://)")
        return value

    @field_validator("database_url", "direct_database_url")
    @classmethod
    def _database(cls, value: str, info: ValidationInfo) -> str:
        value = value.strip()
        if not value:
            return DEFAULT_DATABASE_URL if info.field_name == "database_url" else ""
        if not value.startswith(DATABASE_SCHEMES):
            raise ValueError("must start with sqlite:/// or postgresql://")
        return value

    @model_validator(mode="before")
    @classmethod
    def _environment_defaults(cls, data: Any) -> Any:
        """Development's defaults: its fixed secret when none is given; the docs and the demo on
        (production: off) unless set."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        development = str(data.get("environment") or DEVELOPMENT).strip() != PRODUCTION
        if development and not data.get("secret_key") and not data.get("secret_keys"):
            data["secret_key"] = DEVELOPMENT_SECRET
        for flag in ("docs_enabled", "demo_enabled"):
            if data.get(flag) in (None, ""):
                data[flag] = development
        return data

    @model_validator(mode="after")
    def _safe_for_its_environment(self) -> Settings:
        """What production refuses, all in one place: a missing, short or development secret, SQLite,
        and a WEB_URL that is not https:// (cookies are Secure there; links in emails must be too)."""
        production = self.environment == PRODUCTION
        if self.secret_key and self.secret_keys:
            raise ValueError("set SECRET_KEYS or SECRET_KEY, not both")
        if production and not self.signing_keys[0]:
            raise ValueError("SECRET_KEYS (or SECRET_KEY) is required when ENVIRONMENT=production")
        for key in self.signing_keys:
            if len(key) < MIN_SECRET_LENGTH or (production and key == DEVELOPMENT_SECRET):
                name = "SECRET_KEYS" if self.secret_keys else "SECRET_KEY"
                raise ValueError(f"{name} must be random values of at least {MIN_SECRET_LENGTH} characters")
        if production and not self.database_url.startswith(DATABASE_SCHEMES[1:]):
            raise ValueError("DATABASE_URL must be a postgresql:// URL when ENVIRONMENT=production")
        if production and not self.web_url.startswith("https://"):
            raise ValueError("WEB_URL must be an https:// address when ENVIRONMENT=production")
        return self

    @property
    def signing_keys(self) -> tuple[str, ...]:
        """The token keys, newest (the one that signs) first."""
        return self.secret_keys or (self.secret_key,)

    @property
    def database_is_pooled(self) -> bool:
        """DATABASE_URL goes through a pooler: session state (PREPARE, LISTEN, session locks) is not ours."""
        return bool(self.direct_database_url) and self.direct_database_url != self.database_url

    @property
    def direct_url(self) -> str:
        """Where LISTEN and migrations connect: DIRECT_DATABASE_URL, or DATABASE_URL."""
        return self.direct_database_url or self.database_url

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
        """A copy with `changes`, taken as they are (tests run a production-mode app on their own
        database this way); what a process starts with always comes through the checks above."""
        return self.model_copy(update=changes)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Read and check the settings: the process's environment over `.env` (pydantic-settings'
        own sources), or `env` alone; raises ConfigError with a one-line reason."""
        try:
            if env is None:
                read = DotEnvSettingsSource(cls, env_file=".env")() | EnvSettingsSource(cls)()
            else:
                wanted = {name.upper(): name for name in cls.model_fields if name != "clock"}
                read = {
                    wanted[key.upper()]: value for key, value in env.items() if key.upper() in wanted and value.strip()
                }
            read.pop("clock", None)
            return cls(**read)
        except ValidationError as error:
            raise ConfigError(one_line(error)) from None


def one_line(error: ValidationError) -> str:
    """The library's refusal as one line: `NAME: why` for each refused variable."""
    parts = []
    for problem in error.errors(include_url=False):
        name = "_".join(str(part) for part in problem["loc"]).upper()
        message = str(problem["msg"]).removeprefix("Value error, ")
        parts.append(f"{name}: {message}" if name else message)
    return "; ".join(parts)


def load_settings() -> Settings:
    """Settings for a process entry point: exits with the reason when they are unusable."""
    try:
        return Settings.from_env()
    except ConfigError as error:
        sys.exit(f"configuration error: {error}")
