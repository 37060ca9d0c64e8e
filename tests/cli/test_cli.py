"""The `ticketry` command, run against its own throwaway SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from ticketry.cli.main import app
from ticketry.config import get_settings
from ticketry.db import Database
from ticketry.domain.history.models import TicketHistory
from ticketry.domain.queues.models import Queue
from ticketry.domain.tickets.models import Ticket, TicketTag
from ticketry.domain.users.models import User

runner = CliRunner()


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("TICKETRY_DATABASE_URL", url)
    monkeypatch.setenv("TICKETRY_ADMIN_PASSWORD", "first-admin-password")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def _users(url: str) -> dict[str, str]:
    database = Database(url, pool_size=1, max_overflow=0)
    try:
        with database.session() as session:
            return {u.username: u.role for u in session.scalars(select(User))}
    finally:
        database.dispose()


def test_migrate_installs_presets_and_creates_the_first_admin(cli_database: str) -> None:
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output
    assert "installed queue presets: devops, healthcare, enterprise, support" in result.output
    assert _users(cli_database) == {"admin": "ADMIN"}

    again = runner.invoke(app, ["migrate"])
    assert again.exit_code == 0
    assert "installed queue presets" not in again.output
    database = Database(cli_database, pool_size=1, max_overflow=0)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Queue)) == 4
    database.dispose()


def test_users_create_as_in_the_product_brief(cli_database: str) -> None:
    result = runner.invoke(app, ["users", "create", "jdoe", "--email", "jdoe@example.com",
                                 "--password", "s3cret-password", "--role", "DEVOPS_ENGINEER"])
    assert result.exit_code == 0, result.output
    assert "created user 'jdoe' (DEVOPS_ENGINEER)" in result.output
    assert _users(cli_database)["jdoe"] == "DEVOPS_ENGINEER"


def test_users_create_refuses_bad_input_and_duplicates(cli_database: str) -> None:
    bad = runner.invoke(app, ["users", "create", "x", "--email", "not-an-email",
                              "--password", "short", "--role", "WIZARD"])
    assert bad.exit_code == 2
    for field in ("email", "password", "role"):
        assert field in bad.output

    ok = runner.invoke(app, ["users", "create", "jane", "--email", "jane@example.com",
                             "--password", "long-enough-pw"])
    assert ok.exit_code == 0, ok.output
    dup = runner.invoke(app, ["users", "create", "JANE", "--email", "other@example.com",
                              "--password", "long-enough-pw"])
    assert dup.exit_code == 1
    assert "already exists" in dup.output
    assert _users(cli_database)["jane"] == "END_USER"


def test_import_stores_every_valid_row_whole_across_batches(cli_database: str,
                                                            tmp_path: Path) -> None:
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    rows = "".join(f"C{n},c{n}@example.com,Customer {n},Subject {n},"
                   f"A long enough description {n},other,low,new,a;row{n}\n" for n in range(7))
    bad = "C9,not-an-email,X,Subject 9,A long enough description 9,other,low,new,\n"
    data = tmp_path / "tickets.csv"
    data.write_text("customer_id,customer_email,customer_name,subject,description,category,"
                    "priority,status,tags\n" + rows + bad, encoding="utf-8")
    result = runner.invoke(app, ["import", str(data), "--queue", "support", "--batch-size", "3"])
    assert result.exit_code == 0, result.output
    assert "imported 7 of 8 rows (1 refused)" in result.output
    assert "Invalid email format: not-an-email" in result.output
    database = Database(cli_database, pool_size=1, max_overflow=0)
    try:
        with database.session() as session:
            tickets = session.scalars(select(Ticket).order_by(Ticket.id)).all()
            assert [t.title for t in tickets] == [f"Subject {n}" for n in range(7)]
            assert len({t.key for t in tickets}) == 7
            for n, ticket in enumerate(tickets):
                assert set(session.scalars(select(TicketTag.tag).where(
                    TicketTag.ticket_id == ticket.id))) == {"a", f"row{n}"}
                assert session.scalar(select(func.count()).select_from(TicketHistory).where(
                    TicketHistory.ticket_id == ticket.id)) == 1
    finally:
        database.dispose()
