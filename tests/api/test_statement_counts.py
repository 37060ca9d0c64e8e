"""SQL statements per request stay constant: a page of tickets, one ticket and a create cost the
same number of statements whatever the page size and however many comments and attachments the
tickets carry (no N+1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.api.conftest import API
from tests.conftest import StatementCounter
from tests.factories import PASSWORD, make_ticket, make_user, stage_file
from ticketry.config import Settings
from ticketry.domain.attachments.service import add_attachment
from ticketry.domain.attachments.storage import LocalStorage
from ticketry.domain.auth import service as auth
from ticketry.domain.comments.schemas import CommentCreate
from ticketry.domain.comments.service import add_comment
from ticketry.domain.tickets.service import assign_ticket
from ticketry.domain.users.models import Role

MAX_STATEMENTS = 8
# A write adds its history rows and its event (the outbox row) to the same transaction.
MAX_CREATE_STATEMENTS = 9


@pytest.fixture
def agent_headers(session: Session, settings: Settings) -> dict[str, str]:
    agent = make_user(session, Role.MANAGER)
    issued = auth.login(session, settings=settings, username=agent.username, password=PASSWORD)
    session.commit()
    return {"Authorization": f"Bearer {issued.access_token}"}


@pytest.fixture
def busy_tickets(session: Session, settings: Settings) -> Callable[[int, int], list[str]]:
    """`busy_tickets(count, extras)`: tickets with `extras` comments and attachments each, each
    by a different requester and assigned to a different engineer."""
    storage = LocalStorage(settings.storage_path)
    manager = make_user(session, Role.MANAGER)

    def make(count: int, extras: int) -> list[str]:
        ids = []
        for _ in range(count):
            requester = make_user(session, Role.END_USER)
            engineer = make_user(session, Role.DEVOPS_ENGINEER)
            ticket = make_ticket(session, requester, tags=["disk", "ci"])
            assign_ticket(session, actor=manager, ticket_id=ticket.public_id,
                          assignee_id=engineer.public_id)
            for n in range(extras):
                add_comment(session, actor=engineer, ticket_id=ticket.public_id,
                            data=CommentCreate(content=f"Update {n}"))
                add_attachment(session, actor=requester, ticket_id=ticket.public_id,
                               staged=stage_file(storage, f"log-{n}.txt", b"disk at 100%\n"),
                               storage=storage)
            ids.append(str(ticket.public_id))
        session.commit()
        return ids

    return make


def count(statements: StatementCounter, request: Callable[[], Any],
          expected_status: int = 200) -> int:
    request()  # warm: the queue configuration is cached per process, as in production
    with statements.counting() as counter:
        response = request()
        used = counter.count
    assert response.status_code == expected_status, response.text
    return used


def test_a_page_of_tickets_costs_the_same_at_any_page_size(
        client: TestClient, statements: StatementCounter, agent_headers: dict[str, str],
        busy_tickets: Callable[[int, int], list[str]]) -> None:
    busy_tickets(50, 2)

    def page(size: int) -> Callable[[], Any]:
        return lambda: client.get(f"{API}/tickets?size={size}", headers=agent_headers)

    assert len(page(50)().json()["items"]) == 50
    five, fifty = count(statements, page(5)), count(statements, page(50))

    assert five == fifty, statements.statements
    assert fifty <= MAX_STATEMENTS


def test_a_page_costs_the_same_however_many_comments_and_attachments(
        client: TestClient, statements: StatementCounter, agent_headers: dict[str, str],
        busy_tickets: Callable[[int, int], list[str]]) -> None:
    def listing() -> Any:
        return client.get(f"{API}/tickets?size=50", headers=agent_headers)

    busy_tickets(5, 0)
    bare = count(statements, listing)
    busy_tickets(5, 5)
    busy = count(statements, listing)

    assert len(listing().json()["items"]) == 10
    assert bare == busy
    assert busy <= MAX_STATEMENTS


@pytest.mark.parametrize("filters", ["status=NEW&priority=P3", "tags=disk&search=build",
                                     "sort_by=priority&order=asc", "unassigned=false"])
def test_filtering_and_sorting_cost_no_extra_statements_per_ticket(
        client: TestClient, statements: StatementCounter, agent_headers: dict[str, str],
        busy_tickets: Callable[[int, int], list[str]], filters: str) -> None:
    busy_tickets(20, 1)

    def page(size: int) -> Callable[[], Any]:
        return lambda: client.get(f"{API}/tickets?size={size}&{filters}", headers=agent_headers)

    assert count(statements, page(5)) == count(statements, page(50)) <= MAX_STATEMENTS


def test_one_ticket_costs_the_same_however_busy_it_is(
        client: TestClient, statements: StatementCounter, agent_headers: dict[str, str],
        busy_tickets: Callable[[int, int], list[str]]) -> None:
    quiet, busy = busy_tickets(1, 0)[0], busy_tickets(1, 10)[0]

    def read(ticket_id: str) -> Callable[[], Any]:
        return lambda: client.get(f"{API}/tickets/{ticket_id}", headers=agent_headers)

    assert count(statements, read(quiet)) == count(statements, read(busy)) <= MAX_STATEMENTS


def test_creating_a_ticket_costs_a_bounded_number_of_statements(
        client: TestClient, statements: StatementCounter, agent_headers: dict[str, str],
        busy_tickets: Callable[[int, int], list[str]]) -> None:
    busy_tickets(10, 2)

    def create(tags: int) -> Callable[[], Any]:
        body = {"title": "Disk full", "description": "The / partition is at 100%.",
                "priority": "P1", "tags": [f"tag{n}" for n in range(tags)]}
        return lambda: client.post(f"{API}/tickets", headers=agent_headers, json=body)

    few, many = count(statements, create(1), 201), count(statements, create(20), 201)

    assert few == many, statements.statements
    assert many <= MAX_CREATE_STATEMENTS
