"""Alembic environment: runs on the connection the caller hands over, or on the settings' URL."""

from __future__ import annotations

from alembic import context

from ticketry.db import Base, create_db_engine
from ticketry.domain import models  # noqa: F401  (registers every table)
from ticketry.migrations import include_in_comparison

target_metadata = Base.metadata
config = context.config


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from ticketry.config import get_settings

    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = create_db_engine(url, pool_size=1, max_overflow=0)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        include_name=include_in_comparison,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
