"""Two transactions writing one ticket's text at once both end up in its index entry (on
PostgreSQL the index refresh takes the ticket's row lock, then reads what the other committed;
SQLite has one writer at a time)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.databases import fresh_database_url
from tests.domain.search.results import comment, found
from tests.factories import make_ticket, make_user
from ticketry.db import Database
from ticketry.domain.comments.schemas import CommentUpdate
from ticketry.domain.comments.service import update_comment
from ticketry.domain.queues.config import queue_configs
from ticketry.domain.queues.service import install_presets
from ticketry.domain.users.models import Role
from ticketry.migrations import upgrade_to_head


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    """A database of its own: these transactions commit."""
    with fresh_database_url(os.environ.get("TICKETRY_DATABASE_URL", ""),
                            sqlite_file=tmp_path / "search.db", prefix="ticketry_search") as url:
        database = Database(url, pool_size=3, max_overflow=0)
        upgrade_to_head(database.engine)
        with database.unit_of_work() as session:
            install_presets(session)
        yield database
        database.dispose()
    queue_configs.clear()


def _wait_until_blocked(database: Database, started: threading.Event) -> None:
    started.wait(10)
    if database.is_sqlite:
        time.sleep(0.3)  # the editor waits for SQLite's write lock either way
        return
    with database.engine.connect() as conn:
        for _ in range(200):
            if conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                 "current_database() AND wait_event_type = 'Lock'")).scalar():
                return
            time.sleep(0.05)


def test_a_comment_added_while_another_is_edited_is_not_lost(database: Database) -> None:
    with database.unit_of_work() as session:
        agent = make_user(session, Role.MANAGER)
        ticket = make_ticket(session, agent, title="Shared ticket", description="Busy.")
        original = comment(session, agent, ticket, "The original wording.")
    started = threading.Event()

    def edit() -> None:
        with database.unit_of_work() as session:
            started.set()
            update_comment(session, actor=session.merge(agent), comment_id=original.public_id,
                           data=CommentUpdate(content="Reworded with zebra."))

    with database.unit_of_work() as session:
        comment(session, session.merge(agent), ticket, "Added an aardvark.")
        editor = threading.Thread(target=edit)
        editor.start()
        _wait_until_blocked(database, started)
    editor.join(30)

    with database.unit_of_work() as session:
        assert found(session, agent, "aardvark") == ["Shared ticket"]
        assert found(session, agent, "zebra") == ["Shared ticket"]
        assert found(session, agent, "original") == []
