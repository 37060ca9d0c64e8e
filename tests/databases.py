"""A database of its own: a SQLite file, or a new database on the PostgreSQL server named by a
URL, dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ticketry.db import normalize_database_url


@contextmanager
def fresh_database_url(raw: str, *, sqlite_file: Path, prefix: str) -> Iterator[str]:
    if not raw or make_url(raw).get_backend_name() == "sqlite":
        yield f"sqlite:///{sqlite_file}"
        return
    server = normalize_database_url(raw)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
