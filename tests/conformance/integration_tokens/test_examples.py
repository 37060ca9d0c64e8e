"""## Example Usage: the document's Python and cURL examples, run as written.

`requests` is not a dependency; the examples get a stand-in `requests` module whose `get` is the
same call made with the test client or with httpx (whose `get(url, headers=...)` and `.json()`
are requests' own)."""

from __future__ import annotations

import subprocess
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conformance.integration_tokens.support import parse_table
from tests.factories import make_ticket
from tests.live_server import LiveServer, live_server
from ticketry.domain.users.models import User

# "### Python with requests", verbatim.
PYTHON_EXAMPLE = """\
import requests

token = "YOUR_TOKEN_HERE"
headers = {"Authorization": f"Bearer {token}"}

# Get all tickets
response = requests.get("http://127.0.0.1:8000/api/tickets/", headers=headers)
data = response.json()

for ticket in data['tickets']:
    print(f"Ticket {ticket['ticket_number']}: {ticket['title']}")
"""

# "### cURL", verbatim.
CURL_EXAMPLE = """\
TOKEN="YOUR_TOKEN_HERE"
curl -H "Authorization: Bearer $TOKEN" \\
     -H "Content-Type: application/json" \\
     http://127.0.0.1:8000/api/tickets/
"""

# "## Authentication": the three ways, verbatim.
AUTH_EXAMPLES = (
    'curl -H "Authorization: Bearer YOUR_TOKEN_HERE" http://127.0.0.1:8000/api/tickets/',
    'curl -H "X-API-Token: YOUR_TOKEN_HERE" http://127.0.0.1:8000/api/tickets/',
    'curl "http://127.0.0.1:8000/api/tickets/?token=YOUR_TOKEN_HERE"',
)


def run_python_example(get: Callable[..., Any], token: str, capsys: pytest.CaptureFixture[str],
                       monkeypatch: pytest.MonkeyPatch, base_url: str = "http://127.0.0.1:8000") -> list[str]:
    """Run the example with `requests.get` bound to `get`; return the lines it printed."""
    requests = types.ModuleType("requests")
    requests.get = get  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "requests", requests)
    code = PYTHON_EXAMPLE.replace("YOUR_TOKEN_HERE", token).replace("http://127.0.0.1:8000", base_url)
    capsys.readouterr()
    exec(compile(code, "integration-tokens-api.md", "exec"), {"__name__": "example"})
    return [line for line in capsys.readouterr().out.splitlines() if line.startswith("Ticket ")]


def test_the_python_example_prints_every_ticket(
        client: TestClient, session: Session, admin: User, admin_token: str,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    made = [make_ticket(session, admin, title="Create a client application"),
            make_ticket(session, admin, title="Renew the TLS certificate", queue="healthcare")]
    session.commit()
    printed = run_python_example(client.get, admin_token, capsys, monkeypatch)
    assert sorted(printed) == sorted(f"Ticket {t.key}: {t.title}" for t in made)


# --------------------------------------------------------------------------- the real server


Server = LiveServer


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """`ticketry serve --port <free port>` on a database of its own; always terminated."""
    with live_server(tmp_path) as live:
        yield live


def _sh(script: str) -> Any:
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=10,
                            check=False)
    assert result.returncode == 0, result.stderr
    return httpx.Response(200, content=result.stdout.encode()).json()


def test_the_examples_against_the_running_server_with_a_cli_token(
        server: Server, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # python manage.py api_tokens --create --name "Integration Name" --user admin
    created = server.cli("api-tokens", "--create", "--name", "Integration Name", "--user", "admin")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("tkr_")

    # Something to list, filed through the canonical API with the same token.
    ticket = httpx.post(f"{server.base_url}/api/v1/tickets", headers={"X-API-Token": token}, json={
        "title": "Create a client application", "description": "Detailed description..."})
    assert ticket.status_code == 201, ticket.text
    key = ticket.json()["key"]

    def to_server(text: str) -> str:
        return text.replace("YOUR_TOKEN_HERE", token).replace("http://127.0.0.1:8000", server.base_url)

    # ### cURL
    data = _sh(to_server(CURL_EXAMPLE))
    assert data["success"] is True
    assert data["count"] == 1
    [item] = data["tickets"]
    assert item["ticket_number"] == key
    assert item["title"] == "Create a client application"
    assert item["created_by"] == "admin"  # the bootstrap administrator has no full name
    assert item["closed_on"] is None

    # ## Authentication: the three ways.
    for example in AUTH_EXAMPLES:
        assert _sh(to_server(example))["tickets"] == [item]

    # ### Python with requests
    printed = run_python_example(httpx.get, token, capsys, monkeypatch, base_url=server.base_url)
    assert printed == [f"Ticket {key}: Create a client application"]

    # A token deactivated with the CLI stops working in the running server at once.
    off = server.cli("api-tokens", "--deactivate", token)
    assert off.returncode == 0, off.stderr
    refused = _sh(to_server(CURL_EXAMPLE))
    assert refused["success"] is False
    assert refused["error"]
    assert refused["timestamp"]
    status = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", f"Authorization: Bearer {token}",
         f"{server.base_url}/api/tickets/"], capture_output=True, text=True, timeout=10, check=True)
    assert status.stdout == "401"

    # --list shows its use, never the token.
    listing = server.cli("api-tokens", "--list")
    assert listing.returncode == 0, listing.stderr
    assert token not in listing.stdout
    _header, [row] = parse_table(listing.stdout)
    assert row["name"] == "Integration Name"
    assert row["active"] == "no"
    assert row["last used"] != "never"
