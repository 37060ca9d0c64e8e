"""customer-support-api.md, "cURL Examples": every command run as written, through the test client
(the command line read the way curl reads it) and, with real curl, against a running
`ticketry serve` with TICKETRY_SUPPORT_ALLOW_ANONYMOUS=true. Also the 500 body."""

from __future__ import annotations

import json
import shlex
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conformance.support.support import (
    CURL_CSV_EXAMPLE,
    DOC_BASE,
    DOC_ID,
    EXAMPLE_TICKET,
    INTERNAL_ERROR,
    JSON_EXAMPLE,
    NOT_FOUND,
    SP,
    XML_EXAMPLE,
    assert_body,
    assert_json,
    assert_ticket,
    curl_multipart,
)
from tests.conftest import BoundDatabase
from tests.live_server import live_server

# "## cURL Examples", verbatim.
CREATE = """\
curl -X POST http://localhost:5000/tickets \\
  -H "Content-Type: application/json" \\
  -d '{
    "customer_id": "CUST-001",
    "customer_email": "john@example.com",
    "customer_name": "John Doe",
    "subject": "Cannot login to my account",
    "description": "I'\\''ve been trying to login for the past hour but keep getting an access denied error.",
    "category": "account_access",
    "priority": "high",
    "status": "new",
    "tags": ["login", "urgent"],
    "metadata": {
      "source": "web_form",
      "browser": "Chrome 120",
      "device_type": "desktop"
    }
  }'
"""
LIST_ALL = "curl -X GET http://localhost:5000/tickets\n"
LIST_FILTERED = 'curl -X GET "http://localhost:5000/tickets?status=new&priority=high"\n'
LIST_MORE_FILTERS = ('curl -X GET "http://localhost:5000/tickets?status=new&priority=high'
                     '&category=account_access&page=1&limit=20"\n')
GET_ONE = "curl -X GET http://localhost:5000/tickets/550e8400-e29b-41d4-a716-446655440000\n"
UPDATE = """\
curl -X PUT http://localhost:5000/tickets/550e8400-e29b-41d4-a716-446655440000 \\
  -H "Content-Type: application/json" \\
  -d '{
    "status": "in_progress",
    "assigned_to": "agent-456",
    "priority": "urgent"
  }'
"""
DELETE = "curl -X DELETE http://localhost:5000/tickets/550e8400-e29b-41d4-a716-446655440000\n"
IMPORT_CSV = """\
curl -X POST http://localhost:5000/tickets/import?format=csv \\
  -F "file=@tickets.csv"
"""
IMPORT_CSV_DETECTED = """\
curl -X POST http://localhost:5000/tickets/import \\
  -F "file=@tickets.csv"
"""
IMPORT_JSON = """\
curl -X POST http://localhost:5000/tickets/import?format=json \\
  -H "Content-Type: application/json" \\
  -F "file=@tickets.json"
"""
IMPORT_JSON_DETECTED = """\
curl -X POST http://localhost:5000/tickets/import \\
  -F "file=@tickets.json"
"""
IMPORT_XML = """\
curl -X POST http://localhost:5000/tickets/import?format=xml \\
  -H "Content-Type: text/xml" \\
  -F "file=@tickets.xml"
"""
IMPORT_XML_DETECTED = """\
curl -X POST http://localhost:5000/tickets/import \\
  -H "Content-Type: text/xml" \\
  -F "file=@tickets.xml"
"""
CLASSIFY = "curl -X POST http://localhost:5000/tickets/550e8400-e29b-41d4-a716-446655440000/auto-classify\n"

# The files the import examples upload, as the document shows them.
FILES = {"tickets.csv": CURL_CSV_EXAMPLE, "tickets.json": JSON_EXAMPLE, "tickets.xml": XML_EXAMPLE}
IMPORTS = [(IMPORT_CSV, 3), (IMPORT_CSV_DETECTED, 3), (IMPORT_JSON, 2), (IMPORT_JSON_DETECTED, 2),
           (IMPORT_XML, 2), (IMPORT_XML_DETECTED, 2)]


@dataclass
class Curl:
    method: str
    url: str
    headers: dict[str, str]
    data: str | None
    file: str | None


def parse_curl(command: str) -> Curl:
    """The command line as a shell and curl read it (the options the examples use)."""
    args = shlex.split(command.replace("\\\n", " "))
    assert args[0] == "curl"
    method, url, headers, data, file = "GET", "", {}, None, None
    i = 1
    while i < len(args):
        arg = args[i]
        if arg in ("-X", "-H", "-d", "-F"):
            value = args[i + 1]
            i += 2
            if arg == "-X":
                method = value
            elif arg == "-H":
                name, _, header_value = value.partition(":")
                headers[name.strip()] = header_value.strip()
            elif arg == "-d":
                data = value
            else:
                field, _, ref = value.partition("=@")
                assert field == "file", value
                file = ref
        else:
            url = arg
            i += 1
    return Curl(method, url, headers, data, file)


def run(client: TestClient, command: str, ticket_id: str | None = None) -> httpx.Response:
    """Send what curl would send, to the mounted desk."""
    curl = parse_curl(command)
    assert curl.url.startswith(DOC_BASE)
    path = SP + curl.url[len(DOC_BASE):]
    if ticket_id is not None:
        path = path.replace(DOC_ID, ticket_id)
    headers = dict(curl.headers)
    content: bytes | None = None
    if curl.file is not None:
        content, headers["Content-Type"] = curl_multipart(
            curl.file, FILES[curl.file].encode(), request_type=curl.headers.get("Content-Type"))
    elif curl.data is not None:
        content = curl.data.encode()
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    return client.request(curl.method, path, content=content, headers=headers)


def test_the_parser_reads_the_create_example_as_curl_does() -> None:
    curl = parse_curl(CREATE)
    assert curl.method == "POST"
    assert curl.headers == {"Content-Type": "application/json"}
    assert curl.data is not None
    assert json.loads(curl.data) == EXAMPLE_TICKET


def test_every_example_in_order(api: TestClient) -> None:
    # 1. Create a Ticket
    created = assert_json(run(api, CREATE), 201)
    assert_ticket(created)
    for field, value in EXAMPLE_TICKET.items():
        assert created[field] == value, field
    ticket_id = created["id"]
    # 2. Get All Tickets
    body = assert_json(run(api, LIST_ALL), 200)
    assert body["tickets"] == [created]
    assert body["pagination"] == {"page": 1, "limit": 20, "total": 1, "total_pages": 1}
    # 3. Get Tickets with Filters, and the alternative with additional filters
    for command in (LIST_FILTERED, LIST_MORE_FILTERS):
        body = assert_json(run(api, command), 200)
        assert body["tickets"] == [created]
        assert body["pagination"] == {"page": 1, "limit": 20, "total": 1, "total_pages": 1}
    # 4. Get a Single Ticket by ID
    assert assert_json(run(api, GET_ONE, ticket_id), 200) == created
    # 5. Update a Ticket (Change Status and Assign)
    updated = assert_json(run(api, UPDATE, ticket_id), 200)
    assert_ticket(updated)
    assert (updated["status"], updated["assigned_to"], updated["priority"]) == \
        ("in_progress", "agent-456", "urgent")
    changed = {"status", "assigned_to", "priority", "updated_at"}
    assert {k: v for k, v in updated.items() if k not in changed} == \
        {k: v for k, v in created.items() if k not in changed}
    # 3 again: it no longer matches status=new
    assert assert_json(run(api, LIST_FILTERED), 200)["tickets"] == []
    # 10. Auto-Classify a Ticket
    classified = assert_json(run(api, CLASSIFY, ticket_id), 200)
    assert classified["classification"]["category"] == "account_access"
    assert {"login", "access denied"} <= set(classified["classification"]["keywords_found"])
    assert classified["ticket"]["id"] == ticket_id
    # 6. Delete a Ticket
    assert assert_json(run(api, DELETE, ticket_id), 200) == {
        "message": "Ticket deleted successfully", "id": ticket_id}
    assert_body(run(api, GET_ONE, ticket_id), 404, NOT_FOUND)


@pytest.mark.parametrize("command", [GET_ONE, UPDATE, DELETE, CLASSIFY])
def test_the_documents_own_id_is_not_found_here(api: TestClient, command: str) -> None:
    assert_body(run(api, command), 404, NOT_FOUND)


@pytest.mark.parametrize(("command", "rows"), IMPORTS,
                         ids=["7-csv", "7-csv-detected", "8-json", "8-json-detected", "9-xml",
                              "9-xml-detected"])
def test_every_import_example(api: TestClient, command: str, rows: int) -> None:
    body = assert_json(run(api, command), 200)
    assert body == {"total": rows, "successful": rows, "failed": 0, "errors": []}
    listed = assert_json(run(api, LIST_ALL), 200)
    assert listed["pagination"]["total"] == rows
    assert sorted(t["customer_id"] for t in listed["tickets"]) == [f"CUST-00{n}" for n in range(1, rows + 1)]
    by_customer = {t["customer_id"]: t for t in listed["tickets"]}
    assert by_customer["CUST-001"]["tags"] == ["login", "urgent"]
    assert by_customer["CUST-002"]["tags"] == ["billing", "payment"]


# --------------------------------------------------------------------------- 500


def test_an_unexpected_error_is_the_documents_500(anonymous_app: FastAPI, db: BoundDatabase,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the database is on fire")

    with TestClient(anonymous_app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        monkeypatch.setattr(db, "session", broken)
        monkeypatch.setattr(db, "unit_of_work", broken)
        response = client.post(f"{SP}/tickets", json=EXAMPLE_TICKET)
        assert_body(response, 500, INTERNAL_ERROR)
        assert "on fire" not in response.text


# --------------------------------------------------------------------------- the real server


@dataclass
class Server:
    base_url: str
    workdir: Path
    log: Path

    def curl(self, command: str, ticket_id: str | None = None) -> tuple[int, Any]:
        """Run the document's command with bash and curl in a directory holding its files."""
        script = command.replace(DOC_BASE, f"{self.base_url}{SP}")
        if ticket_id is not None:
            script = script.replace(DOC_ID, ticket_id)
        script = script.rstrip("\n").replace("curl ", "curl -s -m 10 -w '\\n%{http_code}' ", 1)
        result = subprocess.run(["bash", "-c", script], cwd=self.workdir, capture_output=True, text=True,
                                timeout=15, check=False)
        assert result.returncode == 0, (
            f"curl exited {result.returncode} (28: no answer within 10 s) for:\n{command}\n"
            f"server log:\n{self.log.read_text()[-3000:]}")
        body, _, status = result.stdout.rpartition("\n")
        return int(status), json.loads(body)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """`ticketry serve` with anonymous access to the desk, on a database of its own; always
    terminated."""
    workdir = tmp_path / "files"
    workdir.mkdir()
    for name, content in FILES.items():
        (workdir / name).write_text(content)
    with live_server(tmp_path, env={"TICKETRY_SUPPORT_ALLOW_ANONYMOUS": "true"},
                     startup_seconds=15) as live:
        yield Server(live.base_url, workdir, live.log)


def test_the_examples_with_curl_against_the_running_server(server: Server) -> None:
    status, created = server.curl(CREATE)
    assert status == 201, created
    assert_ticket(created)
    for field, value in EXAMPLE_TICKET.items():
        assert created[field] == value, field
    ticket_id = created["id"]

    for command in (LIST_ALL, LIST_FILTERED, LIST_MORE_FILTERS):
        status, body = server.curl(command)
        assert status == 200, body
        assert body["tickets"] == [created]
        assert body["pagination"] == {"page": 1, "limit": 20, "total": 1, "total_pages": 1}

    status, body = server.curl(GET_ONE, ticket_id)
    assert (status, body) == (200, created)
    status, body = server.curl(UPDATE, ticket_id)
    assert status == 200, body
    assert (body["status"], body["assigned_to"], body["priority"]) == ("in_progress", "agent-456", "urgent")
    status, body = server.curl(CLASSIFY, ticket_id)
    assert status == 200, body
    assert body["classification"]["category"] == "account_access"
    status, body = server.curl(DELETE, ticket_id)
    assert (status, body) == (200, {"message": "Ticket deleted successfully", "id": ticket_id})
    assert server.curl(GET_ONE, ticket_id) == (404, NOT_FOUND)

    total = 0
    for command, rows in IMPORTS:
        status, body = server.curl(command)
        expected = {"total": rows, "successful": rows, "failed": 0, "errors": []}
        assert (status, body) == (200, expected), command
        total += rows
    status, body = server.curl(LIST_ALL)
    assert status == 200
    assert body["pagination"]["total"] == total
