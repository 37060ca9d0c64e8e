"""`ticketry export`, run against a database of its own (SQLite, or PostgreSQL when the suite
runs there) holding a few committed tickets."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.databases import fresh_database_url
from tests.domain.reports.spreadsheets import read_sheets
from tests.factories import make_ticket, make_user
from ticketry.cli.main import app
from ticketry.config import get_settings
from ticketry.db import Database
from ticketry.domain.users.models import Role
from ticketry.domain.users.service import get_user_by_username

runner = CliRunner()


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Migrated by `ticketry migrate`; three devops tickets (one titled like a formula), one of
    the support desk, one of an end user's own."""
    base = os.environ.get("TICKETRY_DATABASE_URL", "")
    folder = tmp_path_factory.mktemp("cli-export")
    with fresh_database_url(base, sqlite_file=folder / "cli.db",
                            prefix="ticketry_cli_export") as url, pytest.MonkeyPatch.context() as env:
        env.setenv("TICKETRY_DATABASE_URL", url)
        env.setenv("TICKETRY_ADMIN_PASSWORD", "first-admin-password")
        get_settings.cache_clear()
        assert runner.invoke(app, ["migrate"]).exit_code == 0
        database = Database(url, pool_size=1, max_overflow=0)
        with database.unit_of_work() as session:
            admin = get_user_by_username(session, "admin")
            assert admin is not None
            customer = make_user(session, Role.END_USER, username="customer")
            keys = {
                "first": make_ticket(session, admin, title="Disk full").key,
                "formula": make_ticket(session, admin, title="=cmd|' /C calc'!A0").key,
                "third": make_ticket(session, admin, title="Third").key,
                "support": make_ticket(session, admin, queue="support").key,
                "customer": make_ticket(session, customer, title="Customer's own").key,
            }
        database.dispose()
        yield keys
    get_settings.cache_clear()


def test_csv_to_a_file(desk: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "tickets.csv"

    result = runner.invoke(app, ["export", "--queue", "devops", "--output", str(target)])

    assert result.exit_code == 0, result.output
    assert f"exported tickets to {target}" in result.output
    rows = list(csv.DictReader(io.StringIO(target.read_text("utf-8-sig"), newline="")))
    assert [r["key"] for r in rows] == [desk["first"], desk["formula"], desk["third"],
                                        desk["customer"]]
    assert rows[1]["title"] == "'=cmd|' /C calc'!A0"
    assert not (tmp_path / "tickets.csv.part").exists()


def test_json_to_standard_output_filtered_by_status(desk: dict[str, str]) -> None:
    result = runner.invoke(app, ["export", "--format", "json", "--queue", "support",
                                 "--status", "new", "--status", "closed"])

    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)
    assert [item["key"] for item in items] == [desk["support"]]
    assert items[0]["queue"] == "support"


def test_xlsx_chosen_by_the_file_extension(desk: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "tickets.xlsx"

    result = runner.invoke(app, ["export", "--output", str(target), "--queue", "devops"])

    assert result.exit_code == 0, result.output
    rows = read_sheets(target.read_bytes())["Tickets"]
    assert len(rows) == 5
    formula = next(row[3] for row in rows if row[0].text == desk["formula"])
    assert (formula.text, formula.formula, formula.quote_prefix) == ("=cmd|' /C calc'!A0",
                                                                     False, True)


def test_as_an_end_user_only_their_own_tickets(desk: dict[str, str]) -> None:
    result = runner.invoke(app, ["export", "--format", "json", "--user", "customer"])

    assert result.exit_code == 0, result.output
    assert [item["key"] for item in json.loads(result.stdout)] == [desk["customer"]]


@pytest.mark.usefixtures("desk")
@pytest.mark.parametrize(("args", "code", "message"), [
    (["--format", "pdf"], 2, "--format must be one of csv, json, xlsx"),
    (["--queue", "nope"], 1, "queue 'nope' does not exist"),
    (["--user", "nobody"], 1, "no user 'nobody'"),
])
def test_refusals(args: list[str], code: int, message: str, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    result = runner.invoke(app, ["export", *args, "--output", str(target)])
    assert result.exit_code == code
    assert message in result.output
    assert list(tmp_path.iterdir()) == []
