"""devops-service.md, "Environment Variables": the document's names are accepted as settings."""

from __future__ import annotations

import pytest

from ticketry.config import Settings

_TICKETRY_NAMES = ("DATABASE_URL", "SECRET_KEY", "ENVIRONMENT", "DEBUG", "PORT", "STORAGE_PATH",
                   "UPLOAD_MAX_FILE_SIZE", "TICKET_REOPEN_WINDOW_DAYS", "SLA_ENABLED",
                   "NOTIFICATIONS_ENABLED")


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> pytest.MonkeyPatch:  # type: ignore[no-untyped-def]
    """An environment with none of Ticketry's own names set, so the document's names decide."""
    for name in _TICKETRY_NAMES:
        monkeypatch.delenv(f"TICKETRY_{name}", raising=False)
    for name in ("DATABASE_URL", "JWT_SECRET_KEY", "ENVIRONMENT", "DEBUG", "SERVICE_PORT",
                 "UPLOAD_STORAGE_PATH", "UPLOAD_MAX_FILE_SIZE", "TICKET_REOPEN_WINDOW_DAYS",
                 "SLA_ENABLED", "NOTIFICATIONS_ENABLED"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TICKETRY_VAR_DIR", str(tmp_path))
    return monkeypatch


def test_required_database_url_and_jwt_secret_key(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("DATABASE_URL", "postgresql://user:pass@host:5432/dbname")
    environment.setenv("JWT_SECRET_KEY", "k" * 32)
    settings = Settings()
    assert settings.database_url == "postgresql://user:pass@host:5432/dbname"
    assert settings.secret_key == "k" * 32


def test_optional_variables_and_their_documented_defaults(environment: pytest.MonkeyPatch) -> None:
    settings = Settings()
    assert settings.environment == "development"
    assert settings.debug is False
    assert settings.upload_max_file_size == 52_428_800
    assert settings.ticket_reopen_window_days == 7
    assert settings.sla_enabled is True
    assert settings.notifications_enabled is True


def test_optional_variables_are_read_under_the_documents_names(  # type: ignore[no-untyped-def]
        environment: pytest.MonkeyPatch, tmp_path) -> None:
    environment.setenv("ENVIRONMENT", "production")
    environment.setenv("JWT_SECRET_KEY", "s" * 40)
    environment.setenv("DEBUG", "true")
    environment.setenv("SERVICE_PORT", "8002")
    environment.setenv("UPLOAD_STORAGE_PATH", str(tmp_path / "ticket-attachments"))
    environment.setenv("UPLOAD_MAX_FILE_SIZE", "1048576")
    environment.setenv("TICKET_REOPEN_WINDOW_DAYS", "14")
    environment.setenv("SLA_ENABLED", "false")
    environment.setenv("NOTIFICATIONS_ENABLED", "false")
    settings = Settings()
    assert settings.environment == "production"
    assert settings.debug is True
    assert settings.port == 8002
    assert settings.storage_path == tmp_path / "ticket-attachments"
    assert settings.upload_max_file_size == 1_048_576
    assert settings.ticket_reopen_window_days == 14
    assert settings.sla_enabled is False
    assert settings.notifications_enabled is False


def test_production_requires_a_jwt_secret_key_of_at_least_32_characters(
        environment: pytest.MonkeyPatch) -> None:
    environment.setenv("ENVIRONMENT", "production")
    with pytest.raises(ValueError, match="SECRET_KEY"):
        Settings()
    environment.setenv("JWT_SECRET_KEY", "too-short")
    with pytest.raises(ValueError, match="32 characters"):
        Settings()
