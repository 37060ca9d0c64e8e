"""Alembic migrations, applied by `ticketry migrate` and on `ticketry serve`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine

_HERE = Path(__file__).parent


def alembic_config(url: str | None = None) -> Config:
    config = Config(str(_HERE / "alembic.ini"))
    config.set_main_option("script_location", str(_HERE))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_to_head(bind: Engine | Connection) -> None:
    """Apply every migration on the given engine or connection."""
    config = alembic_config()
    if isinstance(bind, Engine):
        with bind.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    else:
        config.attributes["connection"] = bind
        command.upgrade(config, "head")
