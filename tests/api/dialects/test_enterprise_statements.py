"""The enterprise dialect's statements per request stay constant: a page of tickets, a ticket's
details, a page of comments and the pending approvals cost the same whatever the page size and
however many comments, files, approvals and links the tickets carry (no N+1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import StatementCounter
from tests.factories import PASSWORD, make_ticket, make_user, stage_file
from ticketry.config import Settings
from ticketry.domain.attachments.service import add_attachment
from ticketry.domain.attachments.storage import LocalStorage
from ticketry.domain.auth import service as auth
from ticketry.domain.comments.schemas import CommentCreate
from ticketry.domain.comments.service import add_comment
from ticketry.domain.links.service import link_tickets
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.tickets.service import assign_ticket
from ticketry.domain.users.models import Role, Team, User
from ticketry.domain.users.service import get_team_by_code

EP = "/enterprise"
# Authentication, the page's count, the page (people and department joined in).
MAX_LIST_STATEMENTS = 6
# The ticket, then comments, files, approvals, history and links, each one read.
MAX_DETAIL_STATEMENTS = 20


@pytest.fixture
def department(session: Session) -> Team:
    return get_team_by_code(session, 1)


@pytest.fixture
def manager(session: Session, department: Team) -> User:
    return make_user(session, Role.MANAGER, team=department)


@pytest.fixture
def headers(session: Session, settings: Settings, manager: User) -> dict[str, str]:
    issued = auth.login(session, settings=settings, username=manager.username, password=PASSWORD)
    session.commit()
    return {"Authorization": f"Bearer {issued.access_token}"}


@pytest.fixture
def busy(session: Session, settings: Settings, manager: User,
         department: Team) -> Callable[[int, int], list[Ticket]]:
    """`busy(count, extras)`: desk tickets of different requesters and assignees, each with
    `extras` comments, files and links, and a change (so an approval) among them."""
    storage = LocalStorage(settings.storage_path)

    def make(count: int, extras: int) -> list[Ticket]:
        made = []
        for n in range(count):
            requester = make_user(session, Role.END_USER)
            engineer = make_user(session, Role.DEVOPS_ENGINEER, team=department)
            ticket = make_ticket(session, requester, queue="enterprise", tags=["disk"],
                                 ticket_type="change" if n == 0 else "incident",
                                 team_id=department.public_id)
            assign_ticket(session, actor=manager, ticket_id=ticket.public_id,
                          assignee_id=engineer.public_id)
            for k in range(extras):
                add_comment(session, actor=engineer, ticket_id=ticket.public_id,
                            data=CommentCreate(content=f"Update {k} for @{requester.username}"))
                add_attachment(session, actor=requester, ticket_id=ticket.public_id,
                               staged=stage_file(storage, f"log-{k}.txt", b"disk at 100%\n"),
                               storage=storage)
                other = make_ticket(session, requester, queue="enterprise")
                link_tickets(session, actor=manager, ticket=ticket, target=other,
                             kind="relates_to")
            made.append(ticket)
        session.commit()
        return made

    return make


def count(statements: StatementCounter, request: Callable[[], Any]) -> int:
    request()  # warm: the queue configuration is cached per process, as in production
    with statements.counting() as counter:
        response = request()
        used = counter.count
    assert response.status_code == 200, response.text
    return used


def test_a_page_of_tickets_costs_the_same_at_any_size(
        client: TestClient, statements: StatementCounter, headers: dict[str, str],
        busy: Callable[[int, int], list[Ticket]]) -> None:
    busy(30, 1)

    def page(size: int) -> Callable[[], Any]:
        return lambda: client.get(f"{EP}/tickets", params={"size": size, "tags": "disk",
                                                          "department_id": 1},
                                  headers=headers)

    assert len(page(30)().json()["data"]["items"]) == 30
    five, thirty = count(statements, page(5)), count(statements, page(30))

    assert five == thirty, statements.statements
    assert thirty <= MAX_LIST_STATEMENTS


def test_details_cost_the_same_however_much_a_ticket_carries(
        client: TestClient, statements: StatementCounter, headers: dict[str, str],
        busy: Callable[[int, int], list[Ticket]]) -> None:
    # One of each already costs every statement a kind of thing needs (none costs fewer).
    [bare] = busy(1, 1)
    [loaded] = busy(1, 4)

    def details(ticket: Ticket) -> Callable[[], Any]:
        return lambda: client.get(f"{EP}/tickets/{ticket.id}", headers=headers)

    data = details(loaded)().json()["data"]
    assert (len(data["comments"]), len(data["attachments"]), len(data["related_tickets"])) == \
        (4, 4, 4)
    assert data["approval_workflow"]["status"] == "pending"
    few, many = count(statements, details(bare)), count(statements, details(loaded))

    assert few == many, statements.statements
    assert many <= MAX_DETAIL_STATEMENTS


def test_comments_and_pending_approvals_cost_the_same_at_any_size(
        client: TestClient, statements: StatementCounter, headers: dict[str, str],
        busy: Callable[[int, int], list[Ticket]], session: Session, manager: User) -> None:
    tickets = busy(6, 6)
    for ticket in tickets[1:]:
        make_ticket(session, manager, queue="enterprise", ticket_type="request",
                    title=f"Request about {ticket.key}")
    session.commit()

    def comments(size: int) -> Callable[[], Any]:
        return lambda: client.get(f"{EP}/comments/ticket/{tickets[0].id}",
                                  params={"size": size}, headers=headers)

    def pending(size: int) -> Callable[[], Any]:
        return lambda: client.get(f"{EP}/approvals/pending", params={"size": size},
                                  headers=headers)

    assert len(pending(10)().json()["data"]["items"]) == 6
    assert count(statements, comments(2)) == count(statements, comments(6))
    assert count(statements, pending(2)) == count(statements, pending(10))
