"""devops-service.md, "Usage Examples": every curl example, sent as written."""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.conformance.devops.support import (
    API,
    Actor,
    create_ticket,
    ticket_in,
    ticket_url,
    walk,
)

CREATE_EXAMPLE = {
    "title": "Production database is down",
    "description": "The production PostgreSQL database is not responding. All services are "
                   "affected. Started at 14:30 UTC.",
    "category": "INCIDENT",
    "priority": "P1",
    "environment": "PRODUCTION",
    "affected_service": "PostgreSQL Database",
    "impact_level": "CRITICAL",
    "tags": ["database", "production", "outage"],
}

COMMENT_EXAMPLE = {
    "content": "Investigating the issue. Database server shows high CPU usage.",
    "comment_type": "COMMENT",
    "is_internal": False,
}

RESOLVE_EXAMPLE = {
    "resolution_notes": "Issue resolved by restarting the database service and clearing "
                        "connection pool. Root cause was memory leak in connection handler. "
                        "Applied patch v2.3.1.",
}


def test_creating_a_ticket_example(client, engineer: Actor) -> None:  # type: ignore[no-untyped-def]
    response = client.post(f"{API}/tickets", json=CREATE_EXAMPLE,
                           headers={**engineer.headers, "Content-Type": "application/json"})
    assert response.status_code == 201, response.text
    body = response.json()
    for field, value in CREATE_EXAMPLE.items():
        assert body[field] == value, field
    assert body["status"] == "NEW"
    assert body["requester"]["id"] == engineer.id
    assert body["response_due_at"] is not None
    assert body["resolution_due_at"] is not None
    fetched = client.get(ticket_url(body["id"]), headers=engineer.headers).json()
    for field, value in CREATE_EXAMPLE.items():
        assert fetched[field] == value, field


def test_listing_tickets_with_filters_example(client, admin: Actor) -> None:  # type: ignore[no-untyped-def]
    wanted = [
        ticket_in(client, admin, "OPEN", priority="P2", title="open p2"),
        ticket_in(client, admin, "IN_PROGRESS", priority="P1", title="in progress p1"),
        ticket_in(client, admin, "OPEN", priority="P1", title="open p1"),
        ticket_in(client, admin, "IN_PROGRESS", priority="P2", title="in progress p2"),
    ]
    # Each of these misses the status filter or the priority filter.
    ticket_in(client, admin, "NEW", priority="P1")
    ticket_in(client, admin, "PENDING_INFO", priority="P2")
    ticket_in(client, admin, "OPEN", priority="P3")
    ticket_in(client, admin, "IN_PROGRESS", priority="P4")
    ticket_in(client, admin, "RESOLVED", priority="P1")

    response = client.get(
        f"{API}/tickets?status=OPEN&status=IN_PROGRESS&priority=P1&priority=P2"
        "&sort_by=priority&order=asc", headers=admin.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    items = body["items"]
    assert body["total"] == 4
    assert sorted(t["id"] for t in items) == sorted(t["id"] for t in wanted)
    assert [t["priority"] for t in items] == ["P1", "P1", "P2", "P2"]
    assert all(t["status"] in ("OPEN", "IN_PROGRESS") for t in items)


def test_adding_a_comment_example(client, engineer: Actor, end_user: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, end_user)
    response = client.post(ticket_url(ticket["id"], "/comments"), json=COMMENT_EXAMPLE,
                           headers={**engineer.headers, "Content-Type": "application/json"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["content"] == COMMENT_EXAMPLE["content"]
    assert body["comment_type"] == "COMMENT"
    assert body["is_internal"] is False
    assert body["author"]["id"] == engineer.id
    # A public comment: the requester sees it.
    seen = client.get(ticket_url(ticket["id"], "/comments"), headers=end_user.headers).json()
    assert [c["id"] for c in seen] == [body["id"]]


def test_uploading_an_attachment_example(client, end_user: Actor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    content = (b"2024-01-15 14:30:01 ERROR database: connection refused (port 5432)\n"
               b"2024-01-15 14:30:02 ERROR pool: exhausted, 0 of 50 connections free\n")
    log_file = tmp_path / "error.log"
    log_file.write_bytes(content)
    ticket = create_ticket(client, end_user)
    # curl -F "file=@/path/to/error.log": one multipart part named `file`, with the file's name.
    with log_file.open("rb") as handle:
        response = client.post(ticket_url(ticket["id"], "/attachments"), headers=end_user.headers,
                               files={"file": ("error.log", handle, "application/octet-stream")})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["filename"] == "error.log"
    assert body["size"] == len(content)
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    download = client.get(f"{API}/attachments/{body['id']}", headers=end_user.headers)
    assert download.status_code == 200
    assert download.content == content


def test_assigning_a_ticket_example(client, manager: Actor, engineer: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, manager)
    response = client.put(ticket_url(ticket["id"], "/assign"),
                          headers={**manager.headers, "Content-Type": "application/json"},
                          json={"assignee_id": engineer.id,
                                "notes": "John has expertise in database issues"})
    assert response.status_code == 200, response.text
    assert response.json()["assignee"]["id"] == engineer.id
    history = client.get(ticket_url(ticket["id"], "/history"), headers=manager.headers).json()
    entry = next(e for e in history if e["change_type"] == "ASSIGNMENT_CHANGE")
    assert entry["metadata"]["notes"] == "John has expertise in database issues"


def test_resolving_a_ticket_example(client, engineer: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, engineer)
    client.put(ticket_url(ticket["id"], "/assign"), headers=engineer.headers,
               json={"assignee_id": engineer.id})
    walk(client, engineer, ticket["id"], "IN_PROGRESS")
    response = client.post(ticket_url(ticket["id"], "/resolve"), json=RESOLVE_EXAMPLE,
                           headers={**engineer.headers, "Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "RESOLVED"
    assert body["resolution_notes"] == RESOLVE_EXAMPLE["resolution_notes"]
    assert body["resolved_at"] is not None
