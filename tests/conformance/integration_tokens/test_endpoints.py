"""## Endpoints: GET /api/tickets/ and GET /api/tickets/{id}/, their envelopes and fields,
## the "Field Descriptions" table and the "Status Codes" list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conformance.integration_tokens.support import (
    LIST,
    TICKET_FIELDS,
    UNSUPPORTED_METHODS,
    assert_document_ticket,
    assert_error,
    assert_recent,
    bearer,
    detail_path,
    parse_iso,
)
from tests.factories import make_ticket, make_user
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.tickets.service import (
    assign_ticket,
    change_status,
    close_ticket,
    delete_ticket,
    reopen_ticket,
)
from ticketry.domain.users.models import Role, Team, User
from ticketry.domain.users.schemas import TeamCreate
from ticketry.domain.users.service import create_team

MakeTicket = Callable[..., Ticket]


@pytest.fixture
def it_team(session: Session, admin: User) -> Team:
    team = create_team(session, actor=admin, data=TeamCreate(key="it", name="IT"))
    session.commit()
    return team


@pytest.fixture
def documented_ticket(session: Session, admin: User, it_team: Team) -> Ticket:
    """The document's example ticket, as close as the default queue allows: created by John Doe,
    assigned to Jane Smith, Open, High, at Corporate, in the IT department."""
    john = make_user(session, Role.END_USER, username="jdoe", full_name="John Doe")
    jane = make_user(session, Role.DEVOPS_ENGINEER, username="jsmith", full_name="Jane Smith")
    ticket = make_ticket(session, admin, title="Create a client application",
                         description="Detailed description...", category="INCIDENT",
                         priority="P2", location="Corporate", team_id=it_team.public_id,
                         requester_id=john.public_id)
    assign_ticket(session, actor=admin, ticket_id=ticket.public_id, assignee_id=jane.public_id)
    change_status(session, actor=admin, ticket_id=ticket.public_id, status="OPEN")
    session.commit()
    return ticket


def _list(client: TestClient, token: str) -> dict[str, Any]:
    response = client.get(LIST, headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    return body


def _detail(client: TestClient, token: str, ticket_number: str) -> dict[str, Any]:
    response = client.get(detail_path(ticket_number), headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    return body


# --------------------------------------------------------------------------- GET /api/tickets/


def test_list_envelope_is_success_count_tickets_timestamp(
        client: TestClient, admin_token: str, admin: User, new_ticket: MakeTicket) -> None:
    new_ticket(admin, title="Create a client application")
    new_ticket(admin, title="Second ticket")
    body = _list(client, admin_token)
    assert set(body) == {"success", "count", "tickets", "timestamp"}
    assert body["success"] is True
    assert isinstance(body["count"], int)
    assert body["count"] == 2
    assert isinstance(body["tickets"], list)
    assert len(body["tickets"]) == body["count"]
    assert_recent(body["timestamp"])
    for ticket in body["tickets"]:
        assert_document_ticket(ticket)


def test_list_returns_all_tickets(client: TestClient, admin_token: str, admin: User,
                                  new_ticket: MakeTicket) -> None:
    """"Returns all tickets in the system" (the caller may see): more than any page size."""
    made = [new_ticket(admin, title=f"Ticket {n}") for n in range(30)]
    body = _list(client, admin_token)
    assert body["count"] == 30
    assert sorted(t["ticket_number"] for t in body["tickets"]) == sorted(t.key for t in made)


def test_an_empty_list_is_still_the_envelope(client: TestClient, admin_token: str) -> None:
    body = _list(client, admin_token)
    assert body["success"] is True
    assert body["count"] == 0
    assert body["tickets"] == []
    assert_recent(body["timestamp"])


def test_list_without_the_trailing_slash_works_too(client: TestClient, admin_token: str,
                                                   ticket: Ticket) -> None:
    response = client.get("/api/tickets", headers=bearer(admin_token))
    assert response.status_code == 200
    assert response.json()["tickets"][0]["ticket_number"] == ticket.key


def test_every_documented_field_with_its_documented_meaning(
        client: TestClient, admin_token: str, documented_ticket: Ticket) -> None:
    [item] = _list(client, admin_token)["tickets"]
    assert list(item) == list(TICKET_FIELDS)
    assert item == {
        "ticket_number": documented_ticket.key,          # "Unique ticket identifier"
        "title": "Create a client application",          # "Brief ticket title"
        "description": "Detailed description...",       # "Detailed ticket description"
        "category": "Incident",                          # "Ticket category name"
        "created_by": "John Doe",                        # "Full name of ticket creator"
        "assigned_to": "Jane Smith",                     # "Full name of assigned user"
        "status": "Open",                                # "Current ticket status"
        "priority": "High",                              # "Ticket priority level"
        "location": "Corporate",                         # "Location associated with ticket"
        "department": "IT",                              # "Department associated with ticket"
        "created_at": item["created_at"],
        "closed_on": None,                               # "null if open"
    }
    assert isinstance(item["ticket_number"], str)
    created = parse_iso(item["created_at"])
    assert created.utcoffset() is not None
    assert created == documented_ticket.created_at.replace(microsecond=0)


def test_ticket_number_is_the_key_shown_everywhere_as_a_string(
        client: TestClient, admin_token: str, ticket: Ticket) -> None:
    [item] = _list(client, admin_token)["tickets"]
    assert item["ticket_number"] == ticket.key
    assert item["ticket_number"].startswith("OPS-")


def test_assigned_to_is_null_when_nobody_is_assigned(client: TestClient, admin_token: str,
                                                     ticket: Ticket) -> None:
    [item] = _list(client, admin_token)["tickets"]
    assert item["assigned_to"] is None
    assert item["created_by"] == "Ada Admin"
    assert item["status"] == "New"
    assert item["priority"] == "Medium"  # the queue's default priority, by its label


def test_closed_on_is_null_while_open_and_set_once_closed(
        client: TestClient, session: Session, admin_token: str, admin: User,
        ticket: Ticket) -> None:
    assert _detail(client, admin_token, ticket.key)["ticket"]["closed_on"] is None

    closed = close_ticket(session, actor=admin, ticket_id=ticket.public_id)
    session.commit()
    assert closed.closed_at is not None
    for item in (_list(client, admin_token)["tickets"][0],
                 _detail(client, admin_token, ticket.key)["ticket"]):
        assert item["status"] == "Closed"
        assert parse_iso(item["closed_on"]) == closed.closed_at.replace(microsecond=0)
        assert parse_iso(item["closed_on"]) >= parse_iso(item["created_at"])

    reopen_ticket(session, actor=admin, ticket_id=ticket.public_id)
    session.commit()
    reopened = _detail(client, admin_token, ticket.key)["ticket"]
    assert reopened["status"] == "Reopened"
    assert reopened["closed_on"] is None


def test_tickets_of_every_queue_are_listed_and_each_is_readable_by_its_number(
        client: TestClient, admin_token: str, admin: User, new_ticket: MakeTicket) -> None:
    """The integration API serves all queues, whatever their key format."""
    made = {queue: new_ticket(admin, queue=queue, title=f"A {queue} ticket")
            for queue in ("devops", "healthcare", "enterprise", "support")}
    body = _list(client, admin_token)
    assert body["count"] == 4
    listed = {t["ticket_number"]: t for t in body["tickets"]}
    assert set(listed) == {t.key for t in made.values()}
    assert made["healthcare"].key.startswith("INC")
    assert made["enterprise"].key.startswith("TKT-")
    for number, item in listed.items():
        assert_document_ticket(item)
        detail = _detail(client, admin_token, number)
        assert detail["ticket"] == item
    # Labels are the queue's own (healthcare's are Catalan).
    assert listed[made["healthcare"].key]["status"] == "Creada"


# --------------------------------------------------------------------------- GET /api/tickets/{id}/


def test_detail_by_the_ticket_number_shown_in_the_list(
        client: TestClient, admin_token: str, documented_ticket: Ticket, admin: User,
        new_ticket: MakeTicket) -> None:
    new_ticket(admin, title="Another one")
    listed = _list(client, admin_token)["tickets"]
    assert len(listed) == 2
    for item in listed:
        body = _detail(client, admin_token, item["ticket_number"])
        assert set(body) == {"success", "ticket", "timestamp"}
        assert body["success"] is True
        assert body["ticket"] == item
        assert list(body["ticket"]) == list(TICKET_FIELDS)
        assert_recent(body["timestamp"])


def test_detail_without_the_trailing_slash_works_too(client: TestClient, admin_token: str,
                                                     ticket: Ticket) -> None:
    response = client.get(f"/api/tickets/{ticket.key}", headers=bearer(admin_token))
    assert response.status_code == 200
    assert response.json()["ticket"]["ticket_number"] == ticket.key


@pytest.mark.parametrize("ticket_number", ["OPS-999999", "6140", "no-such-ticket",
                                           "00000000-0000-0000-0000-000000000000"])
def test_an_unknown_ticket_is_404(client: TestClient, admin_token: str, ticket: Ticket,
                                  ticket_number: str) -> None:
    body = assert_error(client.get(detail_path(ticket_number), headers=bearer(admin_token)), 404)
    assert "ticket" not in body


def test_a_deleted_ticket_is_404_and_leaves_the_list(
        client: TestClient, session: Session, admin_token: str, admin: User,
        ticket: Ticket) -> None:
    delete_ticket(session, actor=admin, ticket_id=ticket.public_id)
    session.commit()
    assert _list(client, admin_token)["count"] == 0
    assert_error(client.get(detail_path(ticket.key), headers=bearer(admin_token)), 404)


# --------------------------------------------------------------------------- 405


@pytest.mark.parametrize("method", UNSUPPORTED_METHODS)
@pytest.mark.parametrize("endpoint", ["list", "detail"])
def test_unsupported_methods_are_405(client: TestClient, admin_token: str, ticket: Ticket,
                                     method: str, endpoint: str) -> None:
    path = LIST if endpoint == "list" else detail_path(ticket.key)
    response = client.request(method, path, headers=bearer(admin_token),
                              json={"title": "changed"} if method != "DELETE" else None)
    body = assert_error(response, 405)
    assert "GET" in response.headers["allow"]
    assert method in (body["detail"] or "")
    # Nothing changed.
    assert _detail(client, admin_token, ticket.key)["ticket"]["title"] == ticket.title


# --------------------------------------------------------------------------- 500


def test_a_server_error_is_500_with_the_error_body(app: Any, admin_token: str, ticket: Ticket,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """"500 Internal Server Error - Server error", in the documented error format, and
    without leaking the exception."""
    import ticketry.api.dialects.integration_tokens.app as dialect

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(dialect, "get_queue_config", broken)
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        response = client.get(detail_path(ticket.key), headers=bearer(admin_token))
    body = assert_error(response, 500)
    assert "secret internals" not in response.text
    assert body["success"] is False
