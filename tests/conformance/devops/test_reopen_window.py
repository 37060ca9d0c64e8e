"""devops-service.md, TICKET_REOPEN_WINDOW_DAYS (7): "Days after closure ticket can be reopened"."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from tests.conformance.devops.support import (
    API,
    Actor,
    assert_problem,
    change_status,
    create_ticket,
    ticket_in,
    ticket_url,
)
from tests.factories import login, make_user
from ticketry.api.app import create_app
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.users.models import Role


def _closed_days_ago(session, ticket_id: str, days: float) -> None:  # type: ignore[no-untyped-def]
    session.execute(update(Ticket).where(Ticket.public_id == uuid.UUID(ticket_id))
                    .values(closed_at=datetime.now(UTC) - timedelta(days=days)))
    session.commit()


def test_the_reopen_window_defaults_to_7_days(settings) -> None:  # type: ignore[no-untyped-def]
    assert settings.ticket_reopen_window_days == 7


def test_a_ticket_closed_just_now_can_be_reopened(client, manager: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = ticket_in(client, manager, "CLOSED")
    response = client.post(ticket_url(ticket["id"], "/reopen"), headers=manager.headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "REOPENED"


def test_a_ticket_closed_6_days_ago_can_still_be_reopened(client, session, manager: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = ticket_in(client, manager, "CLOSED")
    _closed_days_ago(session, ticket["id"], 6.5)
    response = client.post(ticket_url(ticket["id"], "/reopen"), headers=manager.headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "REOPENED"


def test_a_ticket_closed_more_than_7_days_ago_cannot_be_reopened_422(  # type: ignore[no-untyped-def]
        client, session, manager: Actor) -> None:
    ticket = ticket_in(client, manager, "CLOSED")
    _closed_days_ago(session, ticket["id"], 8)
    response = client.post(ticket_url(ticket["id"], "/reopen"), headers=manager.headers)
    assert_problem(response, 422, "REOPEN_WINDOW_EXPIRED")
    assert client.get(ticket_url(ticket["id"]), headers=manager.headers).json()["status"] == "CLOSED"


def test_the_window_also_applies_to_reopening_through_the_status_endpoint(  # type: ignore[no-untyped-def]
        client, session, manager: Actor) -> None:
    ticket = ticket_in(client, manager, "CLOSED")
    _closed_days_ago(session, ticket["id"], 8)
    assert_problem(change_status(client, manager, ticket["id"], "REOPENED"), 422,
                   "REOPEN_WINDOW_EXPIRED")


def test_the_window_also_binds_the_requester(client, session, end_user: Actor, admin: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, end_user)
    assert change_status(client, admin, ticket["id"], "CLOSED").status_code == 200
    _closed_days_ago(session, ticket["id"], 8)
    assert_problem(client.post(ticket_url(ticket["id"], "/reopen"), headers=end_user.headers), 422)


@pytest.mark.parametrize(("days_ago", "status_code"), [(1.5, 422), (0.5, 200)])
def test_ticket_reopen_window_days_is_configurable(  # type: ignore[no-untyped-def]
        settings, db, session, days_ago: float, status_code: int) -> None:
    app = create_app(settings.model_copy(update={"ticket_reopen_window_days": 1}), db)
    user = make_user(session, Role.MANAGER)
    session.commit()
    with TestClient(app, base_url="http://127.0.0.1") as api:
        headers = login(api, user)
        ticket = api.post(f"{API}/tickets", headers=headers,
                          json={"title": "x", "description": "y"}).json()
        api.patch(ticket_url(ticket["id"], "/status"), headers=headers, json={"status": "CLOSED"})
        _closed_days_ago(session, ticket["id"], days_ago)
        response = api.post(ticket_url(ticket["id"], "/reopen"), headers=headers)
    assert response.status_code == status_code, response.text
