"""healthcare-api.md, "Examples": the "Complete Ticket Lifecycle" run as written against a live
`ticketry serve`, with a user made by `ticketry users create ... --role ADMIN`.

`requests` is not a dependency; the example gets a stand-in module whose `post` and `put` are
httpx's (same arguments: `data=`, `json=`, `files=`, `headers=`), recording each response."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.conformance.healthcare.files import PDF
from tests.conformance.healthcare.support import (
    HC,
    INCIDENCE_ID,
    Actor,
    get_ticket,
    list_tickets,
    today_candidates,
)
from tests.live_server import LiveServer, live_server

# "### Complete Ticket Lifecycle", verbatim.
LIFECYCLE_EXAMPLE = '''\
import requests
import json

class TicketAPI:
    def __init__(self, base_url, username, password):
        self.base_url = base_url
        self.username = username
        self.password = password
        self.token = None

    def authenticate(self):
        """Get authentication token"""
        response = requests.post(
            f"{self.base_url}/token",
            data={"username": self.username, "password": self.password}
        )
        self.token = response.json()["access_token"]
        return self.token

    def create_ticket(self, ticket_data):
        """Create a new ticket"""
        headers = {"Authorization": f"Bearer {self.token}"}
        response = requests.post(
            f"{self.base_url}/tickets/",
            json=ticket_data,
            headers=headers
        )
        return response.json()

    def update_ticket(self, ticket_id, update_data):
        """Update ticket status"""
        headers = {"Authorization": f"Bearer {self.token}"}
        response = requests.put(
            f"{self.base_url}/tickets/{ticket_id}",
            json=update_data,
            headers=headers
        )
        return response.json()

    def upload_files(self, ticket_id, file_paths):
        """Upload files to ticket"""
        headers = {"Authorization": f"Bearer {self.token}"}
        files = [('files', open(path, 'rb')) for path in file_paths]
        response = requests.post(
            f"{self.base_url}/tickets/{ticket_id}/upload",
            files=files,
            headers=headers
        )
        return response.json()

# Usage
api = TicketAPI("http://localhost:8000", "username", "password")
api.authenticate()

# 1. Create ticket
ticket = api.create_ticket({
    "type": "incidence",
    "title": "AI Detected Issue",
    "description": "Performance degradation detected",
    "status_id": 1,
    "crit_id": 3,
    "tool_id": 1,
    "people": ["System Admin"],
    "pathway": "web"
})

# 2. Upload evidence
if ticket.get('id'):
    api.upload_files(ticket['id'], ["/path/to/logs.pdf"])

# 3. Update status
api.update_ticket(ticket['id'], {"status_id": 4})
'''


Server = LiveServer


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """`ticketry serve --port <free port>` on a database of its own; always terminated."""
    with live_server(tmp_path) as live:
        yield live


class RecordingRequests:
    """The part of `requests` the example uses, over httpx; every response is kept."""

    def __init__(self) -> None:
        self.responses: list[httpx.Response] = []

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = httpx.request(method, url, timeout=30, **kwargs)
        finally:
            for item in kwargs.get("files") or []:
                item[1].close()  # the example leaves its files open
        self.responses.append(response)
        return response

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self._send("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self._send("PUT", url, **kwargs)

    def module(self) -> types.ModuleType:
        module = types.ModuleType("requests")
        module.post = self.post  # type: ignore[attr-defined]
        module.put = self.put  # type: ignore[attr-defined]
        return module


def test_the_complete_ticket_lifecycle_against_the_running_server(
        server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made = server.cli("users", "create", "clinician", "--email", "clinician@example.com",
                      "--password", "clinician-password", "--role", "ADMIN")
    assert made.returncode == 0, made.stdout + made.stderr
    evidence = tmp_path / "logs.pdf"
    evidence.write_bytes(PDF)

    requests = RecordingRequests()
    monkeypatch.setitem(sys.modules, "requests", requests.module())
    code = (LIFECYCLE_EXAMPLE
            .replace('"http://localhost:8000", "username", "password"',
                     f'"{server.base_url}/healthcare", "clinician", "clinician-password"')
            .replace("/path/to/logs.pdf", str(evidence)))
    namespace: dict[str, Any] = {"__name__": "example"}
    exec(compile(code, "healthcare-api.md", "exec"), namespace)

    token, created, uploaded, updated = requests.responses
    assert token.status_code == 200, token.text
    assert token.json()["token_type"] == "bearer"
    assert namespace["api"].token == token.json()["access_token"]

    assert created.status_code == 201, created.text
    ticket = namespace["ticket"]
    assert ticket == created.json()
    assert INCIDENCE_ID.match(ticket["id"])
    assert ticket["title"] == "AI Detected Issue"
    assert ticket["status_id"] == 1
    assert ticket["crit_id"] == 3
    assert ticket["people"] == ["System Admin"]
    assert ticket["center_id"] is None
    assert ticket["creation_date"] in today_candidates()
    assert ticket["supports"] == 0
    assert ticket["attached"] == []

    assert uploaded.status_code in (200, 201), uploaded.text
    upload = uploaded.json()
    assert upload["message"] == "Upload completed. 1 files uploaded successfully."
    assert upload["total_uploaded"] == 1
    assert upload["total_failed"] == 0
    [stored] = upload["uploaded_files"]
    assert stored["original_name"] == "logs.pdf"
    assert stored["uploaded_by"] == "clinician"
    assert stored["content_type"] == "application/pdf"
    assert stored["path"].startswith(f"tickets/{ticket['id']}/attachments/")

    assert updated.status_code == 200, updated.text
    assert updated.json()["status_id"] == 4

    # What the server now holds, read back over HTTP.
    headers = {"Authorization": f"Bearer {namespace['api'].token}"}
    base = f"{server.base_url}/healthcare"
    detail = httpx.get(f"{base}/tickets/{ticket['id']}", headers=headers).json()
    assert detail["status"] == {"id": 4, "value": "resolving", "desc": "En resolució"}
    assert detail["modify_date"] is not None
    assert detail["created_by_user"]["username"] == "clinician"
    assert detail["created_by_user"]["permission_level"] == 1
    assert len(detail["attached"]) == 1
    listing = httpx.get(f"{base}/tickets/{ticket['id']}/attachments", headers=headers).json()
    assert listing["total_attachments"] == 1
    assert listing["total_size"] == len(PDF)
    history = httpx.get(f"{base}/tickets/{ticket['id']}/modifications", headers=headers).json()
    assert history["total"] >= 1
    assert all(m["user"]["username"] == "clinician" for m in history["modifications"])
    # The file is on the server's disk.
    assert any(p.read_bytes() == PDF for p in (tmp_path / "attachments").rglob("*.pdf"))


# "### Webhook Integration", verbatim.
WEBHOOK_EXAMPLE = '''\
from flask import Flask, request, jsonify
import requests

app = Flask(__name__)

@app.route('/webhook/ticket', methods=['POST'])
def create_ticket_webhook():
    """Webhook endpoint for creating tickets from external systems"""

    # Validate webhook payload
    data = request.get_json()
    if not data:
        return jsonify({"error": "Invalid payload"}), 400

    # Transform webhook data to ticket format
    ticket_data = {
        "type": data.get("type", "incidence"),
        "title": data.get("title"),
        "description": data.get("description"),
        "status_id": 1,  # Always start as "created"
        "crit_id": data.get("priority", 2),  # Default to medium
        "tool_id": data.get("tool_id", 1),
        "people": data.get("people", []),
        "pathway": "web",
        "notifier": data.get("reporter")
    }

    # Create ticket via API
    try:
        response = requests.post(
            "http://localhost:8000/tickets/",
            json=ticket_data,
            headers={"Authorization": f"Bearer {get_api_token()}"}
        )

        if response.status_code == 201:
            return jsonify({
                "success": True,
                "ticket_id": response.json()["id"],
                "message": "Ticket created successfully"
            })
        else:
            return jsonify({
                "success": False,
                "error": response.json().get("detail", "Unknown error")
            }), response.status_code

    except Exception as e:
        return jsonify({"success": False, "error": str(e)}), 500

if __name__ == '__main__':
    app.run(debug=True, port=5000)
'''


class _FlaskRequest:
    payload: Any = None

    def get_json(self) -> Any:
        return self.payload


def _flask_module(flask_request: _FlaskRequest) -> types.ModuleType:
    """Just enough of Flask for the example: the route decorator, `request` and `jsonify`."""

    class Flask:
        def __init__(self, name: str) -> None:
            self.name = name

        def route(self, path: str, methods: list[str]) -> Any:
            return lambda view: view

        def run(self, **kwargs: Any) -> None:  # pragma: no cover - guarded by __main__
            raise AssertionError("not run")

    module = types.ModuleType("flask")
    module.Flask = Flask  # type: ignore[attr-defined]
    module.request = flask_request  # type: ignore[attr-defined]
    module.jsonify = lambda body: body  # type: ignore[attr-defined]
    return module


def test_the_webhook_integration_example(client: TestClient, admin: Actor,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    flask_request = _FlaskRequest()
    requests = types.ModuleType("requests")
    requests.post = client.post  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "flask", _flask_module(flask_request))
    monkeypatch.setitem(sys.modules, "requests", requests)
    token = admin.headers["Authorization"].removeprefix("Bearer ")
    namespace: dict[str, Any] = {"__name__": "example", "get_api_token": lambda: token}
    code = WEBHOOK_EXAMPLE.replace("http://localhost:8000/tickets/", f"{HC}/tickets/")
    exec(compile(code, "healthcare-api.md", "exec"), namespace)
    view = namespace["create_ticket_webhook"]

    def call(payload: Any) -> Any:
        flask_request.payload = payload
        return view()

    # A full payload.
    result = call({"title": "Lab results not loading", "description": "Timeout after 30s",
                   "priority": 4, "tool_id": 5, "people": ["Dr. Smith"], "reporter": "Monitoring"})
    assert result["success"] is True, result
    assert result["message"] == "Ticket created successfully"
    ticket = get_ticket(client, admin, result["ticket_id"])
    assert INCIDENCE_ID.match(ticket["id"])
    assert ticket["status"]["value"] == "created"
    assert ticket["crit"] == {"id": 4, "value": "critical", "desc": "Crítica"}
    assert ticket["tool"]["value"] == "AXIA"
    assert ticket["notifier"] == "Monitoring"
    assert ticket["pathway"] == "web"

    # The defaults: incidence, crit 2 ("Default to medium"), tool 1, no people, no reporter.
    result = call({"title": "Printer offline", "description": "Floor 2"})
    assert result["success"] is True, result
    ticket = get_ticket(client, admin, result["ticket_id"])
    assert ticket["crit"] == {"id": 2, "value": "mid", "desc": "Mitja"}
    assert ticket["tool"]["id"] == 1
    assert ticket["people"] == []
    assert ticket["notifier"] is None

    # A suggestion.
    result = call({"type": "suggestion", "title": "Dark mode", "description": "Please"})
    assert result["success"] is True, result
    assert not result["ticket_id"].startswith("INC")

    # No title: the API's 400 and its `detail` come back through the example.
    body, status = call({"description": "No title given"})
    assert status == 400
    assert body["success"] is False
    assert isinstance(body["error"], str)
    assert body["error"] not in ("", "Unknown error")

    # No payload never reaches the API.
    assert call(None) == ({"error": "Invalid payload"}, 400)
    assert list_tickets(client, admin)["total"] == 3


def test_concurrent_clients_of_the_running_server(server: Server) -> None:
    """Many clients at once: every ticket gets its own id, every upload lands on its ticket."""
    made = server.cli("users", "create", "nurse", "--email", "nurse@example.com",
                      "--password", "nurse-password", "--role", "DEVOPS_ENGINEER")
    assert made.returncode == 0, made.stdout + made.stderr
    base = f"{server.base_url}/healthcare"
    token = httpx.post(f"{base}/token", data={"username": "nurse", "password": "nurse-password"})
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}

    def create(n: int) -> httpx.Response:
        return httpx.post(f"{base}/tickets/", headers=headers, timeout=30, json={
            "type": "suggestion" if n % 4 == 0 else "incidence", "title": f"Concurrent {n}",
            "description": "Filed at the same time as others", "status_id": 1, "crit_id": 2,
            "tool_id": 1, "people": [], "pathway": "web"})

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(create, range(24)))
    assert [r.status_code for r in responses] == [201] * 24, [
        r.text for r in responses if r.status_code != 201]
    ids = [r.json()["id"] for r in responses]
    assert len(set(ids)) == 24

    def upload(ticket_id: str) -> httpx.Response:
        return httpx.post(f"{base}/tickets/{ticket_id}/upload", headers=headers, timeout=30,
                          files=[("files", ("evidence.pdf", PDF, "application/pdf"))])

    with ThreadPoolExecutor(max_workers=8) as pool:
        uploads = list(pool.map(upload, ids[:8]))
    assert [u.status_code for u in uploads] == [200] * 8, [u.text for u in uploads]
    for ticket_id, u in zip(ids[:8], uploads, strict=True):
        assert u.json()["uploaded_files"][0]["ticket_id"] == ticket_id
    listing = httpx.get(f"{base}/tickets/", headers=headers, params={"limit": 100}).json()
    assert listing["total"] == 24
