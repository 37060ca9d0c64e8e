"""Alembic migrations, applied by `ticketry migrate` and on `ticketry serve`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine

from ticketry.domain.search.index import is_index_table

_HERE = Path(__file__).parent


def alembic_config(url: str | None = None) -> Config:
    config = Config(str(_HERE / "alembic.ini"))
    config.set_main_option("script_location", str(_HERE))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def include_in_comparison(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic `include_name`: what the models describe. The search index (FTS5 or tsvector,
    per backend; migration 0011) is not a model and stays out of schema comparisons."""
    return not (type_ == "table" and name is not None and is_index_table(name))


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
