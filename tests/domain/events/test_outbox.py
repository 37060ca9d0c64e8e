"""Every change writes its event in its own transaction: committed together, or not at all."""

from __future__ import annotations

import io
import uuid

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import login, make_ticket, make_user
from ticketry.domain.events.models import Event
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.users.models import Role, User

API = "/api/v1"


def events_of(session: Session, ticket_id: int) -> list[Event]:
    session.expire_all()
    return list(session.scalars(select(Event).where(Event.ticket_id == ticket_id)
                                .order_by(Event.id)))


def ticket_row(session: Session, public_id: str) -> Ticket:
    return session.scalars(select(Ticket).where(Ticket.public_id == uuid.UUID(public_id))).one()


def test_creating_a_ticket_writes_ticket_created_with_the_documented_payload(
        client: TestClient, session: Session, engineer: User) -> None:
    headers = login(client, engineer)
    response = client.post(f"{API}/tickets", headers=headers,
                           json={"title": "Disk full", "description": "At 100%", "priority": "P2"})
    assert response.status_code == 201
    ticket = ticket_row(session, response.json()["id"])

    [event] = events_of(session, ticket.id)

    assert event.type == "ticket.created"
    assert event.actor_id == engineer.id
    assert event.dispatched_at is None
    assert event.data["ticket"] == {
        "id": ticket.id, "public_id": str(ticket.public_id), "ticket_number": ticket.key,
        "queue_id": ticket.queue_id, "title": "Disk full", "status": ticket.status,
        "status_category": "new", "priority": "P2", "ticket_type": ticket.ticket_type,
        "category": ticket.category, "team_id": None,
        "created_by": {"id": engineer.id, "public_id": str(engineer.public_id),
                       "username": engineer.username},
        "assigned_to": None,
        "created_at": ticket.created_at.isoformat(), "updated_at": ticket.updated_at.isoformat(),
    }


def test_a_refused_change_leaves_no_event(client: TestClient, session: Session,
                                          engineer: User) -> None:
    ticket = make_ticket(session, engineer)
    headers = login(client, engineer)
    client.patch(f"{API}/tickets/{ticket.public_id}", headers=headers,
                 json={"assignee_id": str(engineer.public_id)})
    before = len(events_of(session, ticket.id))

    # The title change is made in the session before the status is refused: all of it goes.
    response = client.patch(f"{API}/tickets/{ticket.public_id}", headers=headers,
                            json={"title": "Renamed", "status": "NO_SUCH_STATUS"})

    assert response.status_code == 422
    assert len(events_of(session, ticket.id)) == before


def test_an_update_reports_its_changes_status_and_assignment_as_separate_events(
        client: TestClient, session: Session, lead: User, engineer: User) -> None:
    ticket = make_ticket(session, lead)
    old_priority = ticket.priority
    headers = login(client, lead)

    response = client.patch(f"{API}/tickets/{ticket.public_id}", headers=headers, json={
        "title": "Disk full (again)", "priority": "P1", "assignee_id": str(engineer.public_id)})
    assert response.status_code == 200, response.text

    new = [e for e in events_of(session, ticket.id) if e.type != "ticket.created"]
    assert [e.type for e in new] == ["ticket.updated", "ticket.assigned"]
    assert new[0].data["changes"] == {"title": {"old": "Disk full on build agent",
                                                "new": "Disk full (again)"},
                                      "priority": {"old": old_priority, "new": "P1"}}
    assert new[1].data["assignee"]["username"] == engineer.username
    assert new[1].data["previous_assignee"] is None
    assert new[1].data["ticket"]["assigned_to"]["username"] == engineer.username


def test_a_status_change_says_where_from_and_where_to(client: TestClient, session: Session,
                                                      engineer: User) -> None:
    ticket = make_ticket(session, engineer)
    headers = login(client, engineer)
    client.patch(f"{API}/tickets/{ticket.public_id}", headers=headers,
                 json={"assignee_id": str(engineer.public_id)})

    response = client.patch(f"{API}/tickets/{ticket.public_id}/status", headers=headers,
                            json={"status": "IN_PROGRESS"})
    assert response.status_code == 200, response.text

    last = events_of(session, ticket.id)[-1]
    assert last.type == "ticket.status_changed"
    assert (last.data["old_status"], last.data["new_status"]) == ("NEW", "IN_PROGRESS")
    assert last.data["ticket"]["status"] == "IN_PROGRESS"


def test_a_patch_that_changes_nothing_emits_nothing(client: TestClient, session: Session,
                                                    engineer: User) -> None:
    ticket = make_ticket(session, engineer, priority="P3")
    headers = login(client, engineer)
    client.patch(f"{API}/tickets/{ticket.public_id}", headers=headers,
                 json={"assignee_id": str(engineer.public_id)})
    before = len(events_of(session, ticket.id))

    response = client.patch(f"{API}/tickets/{ticket.public_id}", headers=headers,
                            json={"priority": "P3"})

    assert response.status_code == 200
    assert len(events_of(session, ticket.id)) == before


def test_comments_carry_their_text_visibility_and_mentions(client: TestClient, session: Session,
                                                           engineer: User) -> None:
    ticket = make_ticket(session, engineer)
    headers = login(client, engineer)

    response = client.post(f"{API}/tickets/{ticket.public_id}/comments", headers=headers, json={
        "content": "Found it, @alice.b and @Bob: the log rotation. mail me: x@example.com",
        "is_internal": True, "mentions": ["@carol", "bob"]})
    assert response.status_code == 201, response.text

    event = events_of(session, ticket.id)[-1]
    assert event.type == "comment.added"
    assert event.data["comment"]["is_internal"] is True
    assert event.data["comment"]["public_id"] == response.json()["id"]
    assert event.data["comment"]["author"]["username"] == engineer.username
    # Each person once, e-mail addresses are not mentions.
    assert event.data["mentions"] == ["alice.b", "bob", "carol"]


def test_an_upload_writes_file_uploaded(client: TestClient, session: Session,
                                        engineer: User) -> None:
    ticket = make_ticket(session, engineer)
    headers = login(client, engineer)

    response = client.post(f"{API}/tickets/{ticket.public_id}/attachments", headers=headers,
                           files={"file": ("notes.txt", io.BytesIO(b"disk usage: 100%\n"),
                                           "text/plain")})
    assert response.status_code == 201, response.text

    event = events_of(session, ticket.id)[-1]
    assert event.type == "file.uploaded"
    assert event.data["file"]["filename"] == "notes.txt"
    assert event.data["file"]["size"] == 17


def test_an_import_writes_one_created_event_per_ticket(client: TestClient, session: Session,
                                                       admin: User) -> None:
    headers = login(client, admin)
    csv = ("title,description,customer_id,customer_email,customer_name,category,priority,status\n"
           "Login fails,Cannot log in,C1,a@example.com,A,technical_issue,high,new\n"
           "Refund,Charged twice,C2,b@example.com,B,billing_question,medium,new\n")

    response = client.post(f"{API}/tickets/import?queue=support", headers=headers,
                           files={"file": ("tickets.csv", io.BytesIO(csv.encode()), "text/csv")})
    assert response.status_code in (200, 201), response.text
    assert response.json()["successful"] == 2, response.text

    session.expire_all()
    events = list(session.scalars(select(Event).where(Event.type == "ticket.created",
                                                      Event.actor_id == admin.id)))
    titles = sorted(e.data["ticket"]["title"] for e in events)
    assert titles == ["Login fails", "Refund"]
    assert all(e.data["import"] is True for e in events)


def test_deleting_a_ticket_writes_ticket_deleted(client: TestClient, session: Session,
                                                 admin: User) -> None:
    requester = make_user(session, Role.END_USER)
    ticket = make_ticket(session, requester)
    headers = login(client, admin)

    assert client.delete(f"{API}/tickets/{ticket.public_id}", headers=headers).status_code == 204

    assert events_of(session, ticket.id)[-1].type == "ticket.deleted"
