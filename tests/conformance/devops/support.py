"""Small helpers shared by the devops-service.md conformance tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from ticketry.domain.users.models import User

API = "/api/v1"


@dataclass
class Actor:
    """A user of the API together with the Authorization header of a live session."""

    user: User
    headers: dict[str, str]

    @property
    def id(self) -> str:
        return str(self.user.public_id)

    @property
    def username(self) -> str:
        return self.user.username

# "Valid Status Transitions", exactly as the document lists them.
VALID_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "NEW": ("OPEN", "IN_PROGRESS", "CLOSED"),
    "OPEN": ("IN_PROGRESS", "PENDING_INFO", "RESOLVED", "CLOSED"),
    "IN_PROGRESS": ("PENDING_INFO", "RESOLVED", "ESCALATED", "OPEN"),
    "PENDING_INFO": ("IN_PROGRESS", "OPEN", "CLOSED"),
    "RESOLVED": ("CLOSED", "REOPENED"),
    "CLOSED": ("REOPENED",),
    "REOPENED": ("OPEN", "IN_PROGRESS", "RESOLVED"),
    "ESCALATED": ("IN_PROGRESS", "RESOLVED", "CLOSED"),
}
STATUSES = tuple(VALID_TRANSITIONS)

# How to reach each status from NEW, walking allowed transitions only.
PATH_FROM_NEW: dict[str, tuple[str, ...]] = {
    "NEW": (),
    "OPEN": ("OPEN",),
    "IN_PROGRESS": ("IN_PROGRESS",),
    "PENDING_INFO": ("OPEN", "PENDING_INFO"),
    "RESOLVED": ("OPEN", "RESOLVED"),
    "CLOSED": ("CLOSED",),
    "REOPENED": ("CLOSED", "REOPENED"),
    "ESCALATED": ("IN_PROGRESS", "ESCALATED"),
}

RESOLUTION_NOTES = "Restarted the service and cleared the connection pool."


def ticket_url(ticket_id: str, suffix: str = "") -> str:
    return f"{API}/tickets/{ticket_id}{suffix}"


def unknown_id() -> str:
    return str(uuid.uuid4())


def create_ticket(client: TestClient, actor: Actor, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"title": "Disk full on build agent",
                            "description": "The / partition of build-agent-3 is at 100%."}
    body.update(fields)
    response = client.post(f"{API}/tickets", headers=actor.headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def change_status(client: TestClient, actor: Actor, ticket_id: str, status: str,
                  **extra: Any) -> Response:
    body: dict[str, Any] = {"status": status, **extra}
    if status == "RESOLVED":
        body.setdefault("resolution_notes", RESOLUTION_NOTES)
    return client.patch(ticket_url(ticket_id, "/status"), headers=actor.headers, json=body)


def walk(client: TestClient, actor: Actor, ticket_id: str, *statuses: str) -> dict[str, Any]:
    """Move a ticket through the given statuses, each step an allowed transition."""
    response = client.get(ticket_url(ticket_id), headers=actor.headers)
    for status in statuses:
        response = change_status(client, actor, ticket_id, status)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == status
    return response.json()


def ticket_in(client: TestClient, actor: Actor, status: str, **fields: Any) -> dict[str, Any]:
    ticket = create_ticket(client, actor, **fields)
    return walk(client, actor, ticket["id"], *PATH_FROM_NEW[status])


def assign(client: TestClient, actor: Actor, ticket_id: str, assignee: Actor | None,
           notes: str | None = None) -> Response:
    body: dict[str, Any] = {"assignee_id": assignee.id if assignee else None}
    if notes is not None:
        body["notes"] = notes
    return client.put(ticket_url(ticket_id, "/assign"), headers=actor.headers, json=body)


def upload(client: TestClient, actor: Actor, ticket_id: str, filename: str, content: bytes,
           content_type: str = "application/octet-stream") -> Response:
    return client.post(ticket_url(ticket_id, "/attachments"), headers=actor.headers,
                       files={"file": (filename, content, content_type)})


def add_comment(client: TestClient, actor: Actor, ticket_id: str, content: str = "Looking into it.",
                *, internal: bool = False) -> Response:
    return client.post(ticket_url(ticket_id, "/comments"), headers=actor.headers,
                       json={"content": content, "comment_type": "COMMENT",
                             "is_internal": internal})


def assert_problem(response: Response, status: int, error_code: str | None = None) -> dict[str, Any]:
    """An error response as the document describes it: `detail` and `error_code`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert isinstance(body["error_code"], str)
    assert body["error_code"]
    if error_code is not None:
        assert body["error_code"] == error_code, body
    return body


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
