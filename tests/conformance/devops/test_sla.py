"""devops-service.md, "Ticket Priority Levels" and "SLA Tracking"."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from tests.conformance.devops.support import (
    API,
    Actor,
    create_ticket,
    parse_time,
    ticket_url,
)
from tests.factories import login, make_user
from ticketry.api.app import create_app
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.users.models import Role

# Priority -> (response SLA, resolution SLA), as the table gives them.
SLA_TABLE = {
    "P1": (timedelta(hours=1), timedelta(hours=4)),
    "P2": (timedelta(hours=4), timedelta(hours=24)),
    "P3": (timedelta(hours=8), timedelta(hours=72)),
    "P4": (timedelta(hours=24), timedelta(hours=168)),
}


def _assert_due(ticket: dict, priority: str) -> None:  # type: ignore[type-arg]
    response_sla, resolution_sla = SLA_TABLE[priority]
    created = parse_time(ticket["created_at"])
    assert parse_time(ticket["response_due_at"]) - created == response_sla
    assert parse_time(ticket["resolution_due_at"]) - created == resolution_sla
    assert parse_time(ticket["sla"]["response"]["due_at"]) == parse_time(ticket["response_due_at"])
    assert parse_time(ticket["sla"]["resolution"]["due_at"]) == parse_time(
        ticket["resolution_due_at"])


@pytest.mark.parametrize("priority", list(SLA_TABLE))
def test_due_dates_are_calculated_from_the_priority_when_a_ticket_is_created(  # type: ignore[no-untyped-def]
        client, end_user: Actor, priority: str) -> None:
    ticket = create_ticket(client, end_user, priority=priority)
    assert ticket["priority"] == priority
    _assert_due(ticket, priority)
    assert ticket["sla"]["response"]["state"] == "pending"
    assert ticket["sla"]["resolution"]["state"] == "pending"
    _assert_due(client.get(ticket_url(ticket["id"]), headers=end_user.headers).json(), priority)


@pytest.mark.parametrize(("old", "new"), [("P3", "P1"), ("P1", "P4"), ("P4", "P2"), ("P2", "P3")])
def test_due_dates_are_recomputed_when_the_priority_changes(  # type: ignore[no-untyped-def]
        client, manager: Actor, old: str, new: str) -> None:
    ticket = create_ticket(client, manager, priority=old)
    response = client.patch(ticket_url(ticket["id"]), headers=manager.headers,
                            json={"priority": new})
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["priority"] == new
    assert changed["created_at"] == ticket["created_at"]
    _assert_due(changed, new)


def test_a_ticket_without_a_priority_gets_the_default_p3_sla(client, end_user: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, end_user)
    assert ticket["priority"] == "P3"
    _assert_due(ticket, "P3")


def test_a_resolution_within_the_sla_is_met(client, manager: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, manager, priority="P1")
    client.patch(ticket_url(ticket["id"], "/status"), headers=manager.headers,
                 json={"status": "OPEN"})
    resolved = client.patch(ticket_url(ticket["id"], "/status"), headers=manager.headers,
                            json={"status": "RESOLVED", "resolution_notes": "fixed"}).json()
    assert resolved["sla"]["resolution"]["state"] == "met"


def test_a_first_public_agent_reply_meets_the_response_sla(  # type: ignore[no-untyped-def]
        client, end_user: Actor, engineer: Actor) -> None:
    ticket = create_ticket(client, end_user, priority="P2")
    client.post(ticket_url(ticket["id"], "/comments"), headers=engineer.headers,
                json={"content": "On it.", "comment_type": "COMMENT", "is_internal": False})
    fetched = client.get(ticket_url(ticket["id"]), headers=end_user.headers).json()
    assert fetched["sla"]["response"]["state"] == "met"
    assert fetched["sla"]["first_response_at"] is not None


def test_a_missed_deadline_shows_as_breached(client, session, end_user: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, end_user, priority="P1")
    created = parse_time(ticket["created_at"]) - timedelta(hours=5)
    session.execute(update(Ticket).where(Ticket.public_id == uuid.UUID(ticket["id"]))
                    .values(created_at=created, response_due_at=created + timedelta(hours=1),
                            resolution_due_at=created + timedelta(hours=4)))
    session.commit()
    fetched = client.get(ticket_url(ticket["id"]), headers=end_user.headers).json()
    assert fetched["sla"]["response"]["state"] == "breached"
    assert fetched["sla"]["resolution"]["state"] == "breached"


def test_sla_enabled_false_turns_sla_tracking_off(settings, db, session) -> None:  # type: ignore[no-untyped-def]
    app = create_app(settings.model_copy(update={"sla_enabled": False}), db)
    user = make_user(session, Role.END_USER)
    session.commit()
    with TestClient(app, base_url="http://127.0.0.1") as api:
        response = api.post(f"{API}/tickets", headers=login(api, user),
                            json={"title": "x", "description": "y", "priority": "P1"})
    assert response.status_code == 201, response.text
    assert response.json()["response_due_at"] is None
    assert response.json()["resolution_due_at"] is None
