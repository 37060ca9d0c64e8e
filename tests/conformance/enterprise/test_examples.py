"""enterprise-api.md, "cURL Examples": the three commands run as written, with bash and the
real curl, against a running `ticketry serve`. Only the base URL `https://api.ticketsystem.com`
becomes the server's `/enterprise` URL and `YOUR_TOKEN` the token the login example returned.

The login example's user (john.doe / password123) is made with `ticketry users create`. The
upload example names ticket 123: the server is given 122 tickets first, so the create example
makes ticket 123, and `network_logs.txt` is a file in the directory curl runs in."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conformance.enterprise.support import (
    CREATE_RESPONSE_FIELDS,
    DOC_BASE,
    EP,
    LOGIN_FIELDS,
    TICKET_NUMBER,
    UPLOAD_FIELDS,
    parse_utc,
)
from tests.live_server import live_server

# "### cURL Examples", verbatim.
LOGIN = """\
curl -X POST "https://api.ticketsystem.com/auth/login" \\
  -H "Content-Type: application/json" \\
  -d '{"username": "john.doe", "password": "password123"}'
"""
CREATE = """\
curl -X POST "https://api.ticketsystem.com/tickets" \\
  -H "Authorization: Bearer YOUR_TOKEN" \\
  -H "Content-Type: application/json" \\
  -d '{
    "title": "Network Connectivity Issue",
    "description": "Users unable to access shared drives",
    "priority": "high",
    "ticket_type": "incident",
    "department_id": 1
  }'
"""
UPLOAD = """\
curl -X POST "https://api.ticketsystem.com/attachments/ticket/123/upload" \\
  -H "Authorization: Bearer YOUR_TOKEN" \\
  -F "file=@network_logs.txt" \\
  -F "description=Network diagnostic logs"
"""
NETWORK_LOGS = b"".join(f"10:00:{n:02d} ping fileserver01: timeout\n".encode() for n in range(40))


@dataclass
class Server:
    base_url: str
    workdir: Path
    log: Path
    token: str = "YOUR_TOKEN"

    @property
    def api(self) -> str:
        return f"{self.base_url}{EP}"

    def curl(self, command: str) -> tuple[int, Any]:
        """The document's command, with bash and curl, in a directory holding its file."""
        script = command.replace(DOC_BASE, self.api).replace("YOUR_TOKEN", self.token)
        script = script.rstrip("\n").replace("curl ", "curl -s -m 20 -w '\\n%{http_code}' ", 1)
        result = subprocess.run(["bash", "-c", script], cwd=self.workdir, capture_output=True,
                                text=True, timeout=30, check=False)
        assert result.returncode == 0, (
            f"curl exited {result.returncode} for:\n{command}\n"
            f"server log:\n{self.log.read_text()[-3000:]}")
        body, _, status = result.stdout.rpartition("\n")
        return int(status), json.loads(body)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """`ticketry serve` on a database of its own, with john.doe; always terminated."""
    workdir = tmp_path / "files"
    workdir.mkdir()
    (workdir / "network_logs.txt").write_bytes(NETWORK_LOGS)
    with live_server(tmp_path) as live:
        made = live.cli("users", "create", "john.doe", "--email", "john.doe@company.com",
                        "--password", "password123", "--role", "END_USER",
                        "--full-name", "John Doe")
        assert made.returncode == 0, made.stdout + made.stderr
        yield Server(live.base_url, workdir, live.log)


def _envelope(status: int, body: Any, expected: int) -> Any:
    assert status == expected, body
    assert set(body) == {"success", "data", "message", "timestamp", "request_id"}, body
    assert body["success"] is True
    parse_utc(body["timestamp"])
    return body["data"]


def test_the_curl_examples_against_the_running_server(server: Server) -> None:
    # Login
    status, body = server.curl(LOGIN)
    data = _envelope(status, body, 200)
    assert body["message"] == "Login successful"
    assert set(data) == LOGIN_FIELDS
    assert data["token_type"] == "bearer"
    assert {k: data["user"][k] for k in ("username", "email", "first_name", "last_name", "role",
                                         "permissions")} == {
        "username": "john.doe", "email": "john.doe@company.com", "first_name": "John",
        "last_name": "Doe", "role": "user",
        "permissions": ["view_tickets", "create_tickets", "comment_tickets"]}
    server.token = data["access_token"]
    headers = {"Authorization": f"Bearer {server.token}"}

    # 122 tickets before the example's: its ticket is number 123.
    with httpx.Client(base_url=server.api, headers=headers, timeout=30) as http:
        last = 0
        while last < 122:
            made = http.post("/tickets", json={"title": f"Earlier ticket {last + 1}",
                                               "description": "Filed before the examples",
                                               "department_id": 1})
            assert made.status_code == 201, made.text
            last = made.json()["data"]["id"]
        assert last == 122

    # Create ticket
    status, body = server.curl(CREATE)
    created = _envelope(status, body, 201)
    assert body["message"] == "Ticket created successfully"
    assert set(created) == CREATE_RESPONSE_FIELDS
    assert created["id"] == 123
    assert TICKET_NUMBER.match(created["ticket_number"])
    assert (created["title"], created["status"]) == ("Network Connectivity Issue", "open")

    # Upload file
    status, body = server.curl(UPLOAD)
    uploaded = _envelope(status, body, 201)
    assert set(uploaded) == UPLOAD_FIELDS
    assert (uploaded["filename"], uploaded["size"], uploaded["content_type"]) == \
        ("network_logs.txt", len(NETWORK_LOGS), "text/plain")
    assert uploaded["virus_scan_status"] == "not_scanned"

    # What the server now holds, read back over HTTP.
    with httpx.Client(headers=headers, timeout=30) as http:
        download = http.get(uploaded["upload_url"])
        assert download.status_code == 200, download.text
        assert download.content == NETWORK_LOGS
        detail = http.get(f"{server.api}/tickets/123").json()["data"]
    assert detail["description"] == "Users unable to access shared drives"
    assert (detail["priority"], detail["ticket_type"]) == ("high", "incident")
    assert detail["department"] == {"id": 1, "name": "IT Department"}
    assert detail["created_by"]["username"] == "john.doe"
    [attachment] = detail["attachments"]
    assert attachment["description"] == "Network diagnostic logs"
    assert attachment["id"] == uploaded["id"]
