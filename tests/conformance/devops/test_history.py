"""devops-service.md, "Audit History": every change is logged with its change type, field,
old/new values, the user who made it and a timestamp. (SLA_BREACH is written by the worker.)"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from tests.conformance.devops.support import (
    Actor,
    add_comment,
    assign,
    change_status,
    create_ticket,
    parse_time,
    ticket_in,
    ticket_url,
    upload,
    walk,
)


class Window:
    start: datetime
    end: datetime


@contextmanager
def timed() -> Iterator[Window]:
    window = Window()
    window.start = datetime.now(UTC)
    yield window
    window.end = datetime.now(UTC)


def history(client, actor: Actor, ticket_id: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    response = client.get(ticket_url(ticket_id, "/history"), headers=actor.headers)
    assert response.status_code == 200, response.text
    return response.json()


def the_entry(client, actor: Actor, ticket_id: str, change_type: str,  # type: ignore[no-untyped-def]
              where: Callable[[dict[str, Any]], bool] = lambda e: True) -> dict[str, Any]:
    entries = [e for e in history(client, actor, ticket_id)
               if e["change_type"] == change_type and where(e)]
    assert len(entries) == 1, entries
    return entries[0]


def assert_entry(entry: dict[str, Any], *, by: Actor, window: Window, field: str | None,
                 old: str | None, new: str | None) -> None:
    assert entry["field"] == field
    assert entry["old_value"] == old
    assert entry["new_value"] == new
    assert entry["actor"]["id"] == by.id
    assert entry["actor"]["username"] == by.username
    assert window.start <= parse_time(entry["created_at"]) <= window.end
    assert isinstance(entry["metadata"], dict)


def test_created(client, engineer: Actor) -> None:  # type: ignore[no-untyped-def]
    with timed() as window:
        ticket = create_ticket(client, engineer)
    entries = history(client, engineer, ticket["id"])
    assert [e["change_type"] for e in entries] == ["CREATED"]
    assert_entry(entries[0], by=engineer, window=window, field=None, old=None, new=None)


def test_status_change(client, manager: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, manager)
    with timed() as window:
        walk(client, manager, ticket["id"], "OPEN")
    entry = the_entry(client, manager, ticket["id"], "STATUS_CHANGE")
    assert_entry(entry, by=manager, window=window, field="status", old="NEW", new="OPEN")


def test_priority_change(client, manager: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, manager, priority="P3")
    with timed() as window:
        client.patch(ticket_url(ticket["id"]), headers=manager.headers, json={"priority": "P1"})
    entry = the_entry(client, manager, ticket["id"], "PRIORITY_CHANGE")
    assert_entry(entry, by=manager, window=window, field="priority", old="P3", new="P1")


def test_assignment_change(client, manager: Actor, engineer: Actor, other_engineer: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, manager)
    with timed() as first:
        assert assign(client, manager, ticket["id"], engineer).status_code == 200
    with timed() as second:
        assert assign(client, manager, ticket["id"], other_engineer).status_code == 200
    entries = [e for e in history(client, manager, ticket["id"])
               if e["change_type"] == "ASSIGNMENT_CHANGE"]
    assert len(entries) == 2
    assert_entry(entries[0], by=manager, window=first, field="assignee", old=None,
                 new=engineer.username)
    assert_entry(entries[1], by=manager, window=second, field="assignee", old=engineer.username,
                 new=other_engineer.username)


def test_update(client, manager: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, manager, title="Old title")
    with timed() as window:
        client.patch(ticket_url(ticket["id"]), headers=manager.headers, json={"title": "New title"})
    entry = the_entry(client, manager, ticket["id"], "UPDATE")
    assert_entry(entry, by=manager, window=window, field="title", old="Old title", new="New title")


def test_update_records_one_entry_per_changed_field(client, manager: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, manager, category="INCIDENT", environment="STAGING")
    client.patch(ticket_url(ticket["id"]), headers=manager.headers,
                 json={"category": "PROBLEM", "environment": "PRODUCTION",
                       "description": ticket["description"]})
    updates = {e["field"]: (e["old_value"], e["new_value"])
               for e in history(client, manager, ticket["id"]) if e["change_type"] == "UPDATE"}
    assert updates == {"category": ("INCIDENT", "PROBLEM"),
                       "environment": ("STAGING", "PRODUCTION")}


def test_comment_added(client, end_user: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, end_user)
    with timed() as window:
        comment = add_comment(client, end_user, ticket["id"], "Any news?").json()
    entry = the_entry(client, end_user, ticket["id"], "COMMENT_ADDED")
    assert_entry(entry, by=end_user, window=window, field=None, old=None, new=None)
    assert entry["metadata"]["comment_id"] == comment["id"]


def test_attachment_added(client, end_user: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, end_user)
    with timed() as window:
        attachment = upload(client, end_user, ticket["id"], "error.log", b"boom\n").json()
    entry = the_entry(client, end_user, ticket["id"], "ATTACHMENT_ADDED")
    assert_entry(entry, by=end_user, window=window, field="attachment", old=None, new="error.log")
    assert entry["metadata"]["attachment_id"] == attachment["id"]
    assert entry["metadata"]["sha256"] == attachment["sha256"]


def test_resolved(client, manager: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = ticket_in(client, manager, "IN_PROGRESS")
    with timed() as window:
        client.post(ticket_url(ticket["id"], "/resolve"), headers=manager.headers,
                    json={"resolution_notes": "Patched."})
    entry = the_entry(client, manager, ticket["id"], "RESOLVED")
    assert_entry(entry, by=manager, window=window, field="status", old="IN_PROGRESS",
                 new="RESOLVED")
    assert entry["metadata"]["resolution_notes"] == "Patched."


def test_closed(client, manager: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = ticket_in(client, manager, "OPEN")
    with timed() as window:
        client.post(ticket_url(ticket["id"], "/close"), headers=manager.headers)
    entry = the_entry(client, manager, ticket["id"], "CLOSED")
    assert_entry(entry, by=manager, window=window, field="status", old="OPEN", new="CLOSED")


def test_reopened(client, manager: Actor, end_user: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, end_user)
    walk(client, manager, ticket["id"], "CLOSED")
    with timed() as window:
        client.post(ticket_url(ticket["id"], "/reopen"), headers=end_user.headers,
                    json={"reason": "It broke again."})
    entry = the_entry(client, manager, ticket["id"], "REOPENED")
    assert_entry(entry, by=end_user, window=window, field="status", old="CLOSED", new="REOPENED")


def test_escalated(client, manager: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = ticket_in(client, manager, "IN_PROGRESS")
    with timed() as window:
        change_status(client, manager, ticket["id"], "ESCALATED")
    entry = the_entry(client, manager, ticket["id"], "ESCALATED")
    assert_entry(entry, by=manager, window=window, field="status", old="IN_PROGRESS",
                 new="ESCALATED")


def test_a_full_lifecycle_is_logged_in_order(  # type: ignore[no-untyped-def]
        client, manager: Actor, engineer: Actor) -> None:
    ticket = create_ticket(client, manager, priority="P3")
    client.patch(ticket_url(ticket["id"]), headers=manager.headers, json={"priority": "P2"})
    client.patch(ticket_url(ticket["id"]), headers=manager.headers, json={"title": "Renamed"})
    assign(client, manager, ticket["id"], engineer)
    walk(client, manager, ticket["id"], "IN_PROGRESS", "ESCALATED")
    add_comment(client, manager, ticket["id"])
    upload(client, manager, ticket["id"], "trace.txt", b"trace\n")
    client.post(ticket_url(ticket["id"], "/resolve"), headers=manager.headers,
                json={"resolution_notes": "done"})
    client.post(ticket_url(ticket["id"], "/close"), headers=manager.headers)
    client.post(ticket_url(ticket["id"], "/reopen"), headers=manager.headers)
    entries = history(client, manager, ticket["id"])
    assert [e["change_type"] for e in entries] == [
        "CREATED", "PRIORITY_CHANGE", "UPDATE", "ASSIGNMENT_CHANGE", "STATUS_CHANGE",
        "ESCALATED", "COMMENT_ADDED", "ATTACHMENT_ADDED", "RESOLVED", "CLOSED", "REOPENED",
    ]
    times = [parse_time(e["created_at"]) for e in entries]
    assert times == sorted(times)
