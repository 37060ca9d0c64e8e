"""enterprise-api.md, "Code Examples" -> "Python SDK", run as written against a live
`ticketry serve` (on SQLite, or on a database of its own on the PostgreSQL server the tests
use): only the base URL, the API key and the credentials are substituted. The key is made with
`ticketry api-tokens --create`, the user with `ticketry users create`."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.databases import fresh_database_url
from tests.live_server import LiveServer, live_server

# "### Python SDK", verbatim.
PYTHON_SDK_EXAMPLE = '''\
from ticket_system_sdk import TicketSystemClient

# Initialize client
client = TicketSystemClient(
    base_url="https://api.ticketsystem.com",
    api_key="your_api_key"
)

# Login
auth = client.auth.login("username", "password")
client.set_token(auth.access_token)

# Create ticket
ticket = client.tickets.create({
    "title": "Server Issue",
    "description": "Server is responding slowly",
    "priority": "high",
    "department_id": 1
})

# List tickets
tickets = client.tickets.list(
    status="open",
    priority="high",
    page=1,
    size=20
)

# Add comment
comment = client.comments.create(
    ticket_id=ticket.id,
    content="I'm investigating this issue",
    is_internal=False
)
'''


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    configured = os.environ.get("TICKETRY_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    with fresh_database_url(configured, sqlite_file=tmp_path / "server.db",
                            prefix="ticketry_sdk_example") as url, \
            live_server(tmp_path, env={"TICKETRY_DATABASE_URL": url}) as live:
        yield live


def substituted(example: str, *, base_url: str, api_key: str, username: str,
                password: str) -> str:
    replacements = {
        'base_url="https://api.ticketsystem.com"': f'base_url="{base_url}"',
        'api_key="your_api_key"': f'api_key="{api_key}"',
        'client.auth.login("username", "password")': f'client.auth.login("{username}", '
                                                      f'"{password}")',
    }
    for old, new in replacements.items():
        assert example.count(old) == 1, old
        example = example.replace(old, new)
    return example


def test_the_python_sdk_example_runs_as_written(server: LiveServer) -> None:
    created = server.cli("users", "create", "john.doe", "--email", "john.doe@company.com",
                         "--password", "password123", "--role", "END_USER")
    assert created.returncode == 0, created.stderr
    issued = server.cli("api-tokens", "--create", "--name", "SDK", "--user", "john.doe")
    assert issued.returncode == 0, issued.stderr
    api_key = issued.stdout.strip().splitlines()[-1]
    assert api_key.startswith("tkr_")

    example = substituted(PYTHON_SDK_EXAMPLE, base_url=server.base_url, api_key=api_key,
                          username="john.doe", password="password123")
    names: dict[str, Any] = {}
    exec(compile(example, "enterprise-api.md (Python SDK)", "exec"), names)
    client, auth, ticket, tickets, comment = (names[n] for n in (
        "client", "auth", "ticket", "tickets", "comment"))
    try:
        assert auth.user.username == "john.doe"
        assert client.token == auth.access_token

        assert (ticket.title, ticket.priority, ticket.status) == ("Server Issue", "high", "open")
        assert ticket.queue == "enterprise"
        assert re.fullmatch(r"TKT-\d{8}-\d{3}", ticket.ticket_number)
        assert ticket.department_id == 1
        assert ticket.team.name == "IT Department"

        assert tickets.total == 1
        assert [t.id for t in tickets] == [ticket.id]

        assert comment.ticket_id == ticket.id
        assert comment.content == "I'm investigating this issue"
        assert comment.is_internal is False
    finally:
        client.close()

    # What the example did is on the server, as another client sees it.
    seen = httpx.get(f"{server.base_url}/api/v1/tickets/{ticket.id}/comments",
                     headers={"X-API-Token": api_key})
    assert seen.status_code == 200, seen.text
    assert [c["content"] for c in seen.json()] == ["I'm investigating this issue"]
