"""## Managing API Tokens: `python manage.py api_tokens ...` is `ticketry api-tokens ...`.

The CLI writes to its own throwaway SQLite file; the API under test is built on that same file."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from tests.conformance.integration_tokens.support import (
    LIST,
    assert_error,
    bearer,
    detail_path,
    parse_table,
)
from ticketry.api.app import create_app
from ticketry.cli.main import app as cli
from ticketry.config import get_settings
from ticketry.db import Database
from ticketry.domain.api_tokens.models import ApiToken

runner = CliRunner()
TOKEN = re.compile(r"tkr_[A-Za-z0-9_-]{43}")
LIST_COLUMNS = ["id", "name", "user", "active", "created", "expires", "last used"]


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("TICKETRY_DATABASE_URL", url)
    monkeypatch.setenv("TICKETRY_ADMIN_PASSWORD", "first-admin-password")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture
def api(cli_database: str) -> Iterator[TestClient]:
    """The service on the CLI's database."""
    # The schema and the `admin` user exist once the CLI has run.
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    database = Database(cli_database, pool_size=2, max_overflow=2)
    with TestClient(create_app(get_settings(), database), base_url="http://127.0.0.1") as client:
        yield client
    database.dispose()


def tokens_cli(*args: str) -> str:
    result = runner.invoke(cli, ["api-tokens", *args])
    assert result.exit_code == 0, result.output
    return result.output


def create(name: str = "Integration Name", user: str = "admin", *extra: str) -> str:
    """`python manage.py api_tokens --create --name "Integration Name" --user admin`."""
    output = tokens_cli("--create", "--name", name, "--user", user, *extra)
    found = TOKEN.findall(output)
    assert len(found) == 1, output
    return found[0]


def listed() -> tuple[list[str], list[dict[str, str]], str]:
    output = tokens_cli("--list")
    header, rows = parse_table(output)
    return header, rows, output


# --------------------------------------------------------------------------- --create


def test_create_shows_the_token_once_and_it_works_in_all_three_ways(api: TestClient) -> None:
    result = runner.invoke(cli, ["api-tokens", "--create", "--name", "Integration Name",
                                 "--user", "admin"])
    assert result.exit_code == 0, result.output
    assert "created API token" in result.output
    assert "'Integration Name'" in result.output
    assert "'admin'" in result.output
    [token] = TOKEN.findall(result.output)
    # The secret sits alone on its line, so it can be copied (or captured by a script).
    assert token in result.output.splitlines()

    for response in (api.get(LIST, headers=bearer(token)),
                     api.get(LIST, headers={"X-API-Token": token}),
                     api.get(f"{LIST}?token={token}")):
        assert response.status_code == 200, response.text
        assert response.json()["success"] is True


def test_a_cli_token_acts_as_its_user_in_every_api(api: TestClient) -> None:
    token = create()
    created = api.post("/api/v1/tickets", headers=bearer(token), json={
        "title": "Create a client application", "description": "Detailed description..."})
    assert created.status_code == 201, created.text
    key = created.json()["key"]

    body = api.get(LIST, headers=bearer(token)).json()
    assert body["count"] == 1
    assert body["tickets"][0]["ticket_number"] == key
    assert body["tickets"][0]["title"] == "Create a client application"
    assert api.get(detail_path(key), headers={"X-API-Token": token}).json()["ticket"]["title"] \
        == "Create a client application"
    me = api.get("/api/v1/users/me", headers={"X-API-Token": token})
    assert me.status_code == 200, me.text
    assert me.json()["username"] == "admin"


def test_only_a_hash_of_the_cli_token_is_stored(api: TestClient, cli_database: str) -> None:
    token = create()
    database = Database(cli_database, pool_size=1, max_overflow=0)
    try:
        with database.session() as session:
            [row] = session.scalars(select(ApiToken)).all()
            values = [str(getattr(row, c.key)) for c in ApiToken.__table__.columns]
    finally:
        database.dispose()
    assert not any(token in value for value in values)


def test_create_with_an_expiry(api: TestClient) -> None:
    token = create("Temporary integration", "admin", "--expires-days", "30")
    _header, [row], _output = listed()
    assert row["name"] == "Temporary integration"
    assert row["expires"] != "never"
    assert api.get(LIST, headers=bearer(token)).status_code == 200


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--create", "--name", "X", "--user", "nobody"], 1, "does not exist"),
    (["--create", "--name", "X"], 2, "--user"),
    (["--create", "--user", "admin"], 2, "--name"),
    (["--deactivate", "9999"], 1, "not found"),
    (["--activate", "tkr_" + "x" * 43], 1, "not found"),
    ([], 2, "exactly one"),
    (["--list", "--deactivate", "1"], 2, "exactly one"),
])
def test_bad_commands_fail_with_a_message(api: TestClient, args: list[str], code: int,
                                          message: str) -> None:
    result = runner.invoke(cli, ["api-tokens", *args])
    assert result.exit_code == code, result.output
    assert message in result.output
    assert not TOKEN.search(result.output)


# --------------------------------------------------------------------------- --list


def test_list_shows_every_token_and_never_the_token_itself(api: TestClient) -> None:
    first = create("Integration Name")
    second = create("Nightly export", "admin", "--expires-days", "7")
    assert api.get(LIST, headers=bearer(first)).status_code == 200  # records "last used"

    header, rows, output = listed()
    assert header == LIST_COLUMNS
    assert [r["id"] for r in rows] == ["1", "2"]
    one, two = rows
    assert one["name"] == "Integration Name"
    assert two["name"] == "Nightly export"
    assert one["user"] == two["user"] == "admin"
    assert one["active"] == two["active"] == "yes"
    stamp = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")
    assert stamp.match(one["created"])
    assert stamp.match(two["created"])
    assert one["expires"] == "never"
    assert stamp.match(two["expires"])
    # "Monitor token usage via the `last_used` field"
    assert stamp.match(one["last used"])
    assert two["last used"] == "never"

    for secret in (first, second):
        assert secret not in output
        assert secret[4:12] not in output
    assert "tkr_" not in output


# --------------------------------------------------------------------------- --deactivate / --activate


@pytest.mark.parametrize("by", ["id", "value"])
def test_deactivate_then_activate(api: TestClient, by: str) -> None:
    token = create()
    other = create("Other integration")
    ref = "1" if by == "id" else token
    assert api.get(LIST, headers=bearer(token)).status_code == 200

    output = tokens_cli("--deactivate", ref)
    assert "deactivated" in output
    assert token not in output
    _header, rows, _output = listed()
    assert [r["active"] for r in rows] == ["no", "yes"]
    for response in (api.get(LIST, headers=bearer(token)),
                     api.get(LIST, headers={"X-API-Token": token}),
                     api.get(f"{LIST}?token={token}")):
        assert_error(response, 401)
    # The canonical API refuses it too, and the other token is untouched.
    assert api.get("/api/v1/tickets", headers=bearer(token)).status_code == 401
    assert api.get(LIST, headers=bearer(other)).status_code == 200

    output = tokens_cli("--activate", ref)
    assert "activated" in output
    _header, rows, _output = listed()
    assert [r["active"] for r in rows] == ["yes", "yes"]
    assert api.get(LIST, headers=bearer(token)).status_code == 200


def test_deactivating_twice_and_activating_an_active_token_are_harmless(api: TestClient) -> None:
    token = create()
    tokens_cli("--deactivate", token)
    tokens_cli("--deactivate", "1")
    assert api.get(LIST, headers=bearer(token)).status_code == 401
    tokens_cli("--activate", "1")
    tokens_cli("--activate", token)
    assert api.get(LIST, headers=bearer(token)).status_code == 200
