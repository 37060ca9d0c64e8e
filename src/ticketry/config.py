"""Settings, read from `TICKETRY_*` environment variables (document names accepted as aliases)."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _env(name: str, *aliases: str) -> AliasChoices:
    return AliasChoices(f"TICKETRY_{name}", *aliases)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    environment: Literal["development", "production"] = Field(
        "development", validation_alias=_env("ENVIRONMENT", "ENVIRONMENT")
    )
    debug: bool = Field(False, validation_alias=_env("DEBUG", "DEBUG"))
    var_dir: Path = Field(Path("var"), validation_alias=_env("VAR_DIR"))
    database_url: str = Field("", validation_alias=_env("DATABASE_URL", "DATABASE_URL"))
    db_pool_size: int = Field(20, validation_alias=_env("DB_POOL_SIZE"))
    db_max_overflow: int = Field(20, validation_alias=_env("DB_MAX_OVERFLOW"))
    # Requests of one worker inside the database at once; more wait their turn on the event
    # loop. Capped to what the pool can always serve (`DatabaseSlots.for_pool`).
    db_concurrency: int = Field(8, ge=1, validation_alias=_env("DB_CONCURRENCY"))
    secret_key: str = Field("", validation_alias=_env("SECRET_KEY", "JWT_SECRET_KEY"))
    access_token_minutes: int = Field(30, validation_alias=_env("ACCESS_TOKEN_MINUTES"))
    refresh_token_days: int = Field(14, validation_alias=_env("REFRESH_TOKEN_DAYS"))
    storage_path: Path = Field(
        Path("var/attachments"), validation_alias=_env("STORAGE_PATH", "UPLOAD_STORAGE_PATH")
    )
    upload_max_file_size: int = Field(
        52_428_800, validation_alias=_env("UPLOAD_MAX_FILE_SIZE", "UPLOAD_MAX_FILE_SIZE")
    )
    max_json_body_size: int = Field(1_048_576, validation_alias=_env("MAX_JSON_BODY_SIZE"))
    ticket_reopen_window_days: int = Field(
        7, validation_alias=_env("TICKET_REOPEN_WINDOW_DAYS", "TICKET_REOPEN_WINDOW_DAYS")
    )
    sla_enabled: bool = Field(True, validation_alias=_env("SLA_ENABLED", "SLA_ENABLED"))
    notifications_enabled: bool = Field(
        True, validation_alias=_env("NOTIFICATIONS_ENABLED", "NOTIFICATIONS_ENABLED")
    )
    redis_url: str | None = Field(None, validation_alias=_env("REDIS_URL"))
    webhook_allow_private_targets: bool = Field(
        False, validation_alias=_env("WEBHOOK_ALLOW_PRIVATE_TARGETS")
    )
    support_allow_anonymous: bool = Field(False, validation_alias=_env("SUPPORT_ALLOW_ANONYMOUS"))
    # Webhook deliveries: per-attempt timeout, retry delays after each failed attempt (seconds,
    # comma-separated; the default spans about a day), and how long an endpoint may fail
    # without a single success before it is disabled and its owner told.
    webhook_timeout_seconds: float = Field(10.0, validation_alias=_env("WEBHOOK_TIMEOUT_SECONDS"))
    webhook_retry_schedule: str = Field(
        "5,300,1800,7200,18000,36000,36000", validation_alias=_env("WEBHOOK_RETRY_SCHEDULE")
    )
    webhook_disable_after_hours: float = Field(
        72.0, validation_alias=_env("WEBHOOK_DISABLE_AFTER_HOURS")
    )
    # The worker: how often an idle worker looks for work, how long a claimed job stays its own
    # (a worker that dies loses its jobs to another after this), how many jobs run at once.
    worker_poll_interval: float = Field(0.25, validation_alias=_env("WORKER_POLL_INTERVAL"))
    worker_lease_seconds: float = Field(60.0, validation_alias=_env("WORKER_LEASE_SECONDS"))
    worker_concurrency: int = Field(16, validation_alias=_env("WORKER_CONCURRENCY"))
    worker_shutdown_grace_seconds: float = Field(
        20.0, validation_alias=_env("WORKER_SHUTDOWN_GRACE_SECONDS")
    )
    sla_check_interval_seconds: float = Field(60.0, validation_alias=_env("SLA_CHECK_INTERVAL_SECONDS"))
    approval_escalation_minutes: int = Field(
        1440, validation_alias=_env("APPROVAL_ESCALATION_MINUTES")
    )
    approval_check_interval_seconds: float = Field(
        60.0, validation_alias=_env("APPROVAL_CHECK_INTERVAL_SECONDS")
    )
    # Outgoing e-mail; unset host = no e-mail (notifications stay in the in-app inbox).
    smtp_host: str | None = Field(None, validation_alias=_env("SMTP_HOST"))
    smtp_port: int = Field(25, validation_alias=_env("SMTP_PORT"))
    smtp_username: str | None = Field(None, validation_alias=_env("SMTP_USERNAME"))
    smtp_password: str | None = Field(None, validation_alias=_env("SMTP_PASSWORD"))
    smtp_from: str = Field("Ticketry <ticketry@localhost>", validation_alias=_env("SMTP_FROM"))
    smtp_starttls: bool = Field(False, validation_alias=_env("SMTP_STARTTLS"))
    smtp_use_tls: bool = Field(False, validation_alias=_env("SMTP_USE_TLS"))
    smtp_timeout_seconds: float = Field(10.0, validation_alias=_env("SMTP_TIMEOUT_SECONDS"))
    # Links in e-mails point here.
    public_base_url: str = Field("http://127.0.0.1:8000", validation_alias=_env("PUBLIC_BASE_URL"))
    admin_username: str = Field("admin", validation_alias=_env("ADMIN_USERNAME"))
    admin_password: str | None = Field(None, validation_alias=_env("ADMIN_PASSWORD"))
    admin_email: str = Field("admin@example.com", validation_alias=_env("ADMIN_EMAIL"))
    # argon2id cost; tests lower it, production keeps the library's RFC 9106 defaults.
    argon2_time_cost: int = Field(3, validation_alias=_env("ARGON2_TIME_COST"))
    argon2_memory_cost: int = Field(65_536, validation_alias=_env("ARGON2_MEMORY_COST"))
    host: str = Field("127.0.0.1", validation_alias=_env("HOST"))
    port: int = Field(8000, validation_alias=_env("PORT", "SERVICE_PORT"))
    # Each dialect can be switched off or moved under a prefix.
    healthcare_api_enabled: bool = Field(True, validation_alias=_env("HEALTHCARE_API_ENABLED"))
    healthcare_api_prefix: str = Field("/healthcare", validation_alias=_env("HEALTHCARE_API_PREFIX"))
    support_api_enabled: bool = Field(True, validation_alias=_env("SUPPORT_API_ENABLED"))
    support_api_prefix: str = Field("/support", validation_alias=_env("SUPPORT_API_PREFIX"))
    integration_api_enabled: bool = Field(True, validation_alias=_env("INTEGRATION_API_ENABLED"))
    integration_api_prefix: str = Field("", validation_alias=_env("INTEGRATION_API_PREFIX"))
    enterprise_api_enabled: bool = Field(True, validation_alias=_env("ENTERPRISE_API_ENABLED"))
    enterprise_api_prefix: str = Field("/enterprise", validation_alias=_env("ENTERPRISE_API_PREFIX"))
    # Rate limits (the enterprise document's table), per user and category, in `limits`
    # notation; shared through Redis when `redis_url` is set, in process memory otherwise.
    rate_limit_enabled: bool = Field(True, validation_alias=_env("RATE_LIMIT_ENABLED"))
    rate_limit_authentication: str = Field("10/minute", validation_alias=_env("RATE_LIMIT_AUTHENTICATION"))
    rate_limit_general: str = Field("1000/hour", validation_alias=_env("RATE_LIMIT_GENERAL"))
    rate_limit_file_upload: str = Field("100/hour", validation_alias=_env("RATE_LIMIT_FILE_UPLOAD"))
    rate_limit_search: str = Field("200/hour", validation_alias=_env("RATE_LIMIT_SEARCH"))
    rate_limit_reports: str = Field("50/hour", validation_alias=_env("RATE_LIMIT_REPORTS"))
    # Authentication attempts from one address, whatever username they try (password spraying).
    rate_limit_authentication_per_address: str = Field(
        "100/minute", validation_alias=_env("RATE_LIMIT_AUTHENTICATION_PER_ADDRESS"))
    # Names the counters in Redis apart (several installations, or test runs, on one server).
    rate_limit_key_prefix: str = Field("ticketry", validation_alias=_env("RATE_LIMIT_KEY_PREFIX"))
    # clamd's socket (a path, or tcp://host:port); unset: uploads are stored unscanned and say so.
    clamav_socket: str | None = Field(None, validation_alias=_env("CLAMAV_SOCKET"))
    # Unset: on in development, off in production (the document's deployment checklist).
    docs_enabled: bool | None = Field(None, validation_alias=_env("DOCS_ENABLED"))

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir / 'ticketry.db'}"
        if not self.secret_key:
            if self.environment == "production":
                raise ValueError("TICKETRY_SECRET_KEY is required when TICKETRY_ENVIRONMENT=production")
            self.secret_key = _development_secret(self.var_dir)
        if self.docs_enabled is None:
            self.docs_enabled = self.environment != "production"
        if self.environment == "production" and len(self.secret_key) < 32:
            raise ValueError("TICKETRY_SECRET_KEY must be at least 32 characters in production")
        return self


def _development_secret(var_dir: Path) -> str:
    """A per-installation secret kept under var/, so restarts and sibling processes agree."""
    path = var_dir / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        var_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
