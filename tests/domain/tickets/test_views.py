"""The Core-read ticket view (`tickets.views`) shows exactly what the loaded entity shows.

The canonical get and list read views instead of `Ticket` entities; `ticket_read` must turn
either into the same `TicketRead`, and the view reads must apply the same visibility rules.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from tests.factories import make_ticket, make_user
from ticketry.db import utcnow
from ticketry.domain.search.service import browse_tickets
from ticketry.domain.tickets import service
from ticketry.domain.tickets.errors import TicketNotFound
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.tickets.schemas import TicketFilters, ticket_read
from ticketry.domain.users.models import Role, Team, User


def _shown(ticket: object) -> str:
    return ticket_read(ticket, utcnow()).model_dump_json()


@pytest.fixture
def tickets(session: Session, admin: User, engineer: User, team: Team,
            requester: User) -> list[Ticket]:
    plain = make_ticket(session, requester)
    full = make_ticket(
        session, admin, requester_id=requester.public_id, team_id=team.public_id,
        tags=["disk", "urgent-ish"], metadata={"host": "build-7", "cores": 8},
        people=["ops@example.com"], priority="P2", environment="PRODUCTION",
        due_at=utcnow() + timedelta(days=2), url="https://ci.example.com/7")
    service.assign_ticket(session, actor=admin, ticket_id=full.public_id,
                          assignee_id=engineer.public_id)
    support = make_ticket(session, admin, queue="support")
    resolved = make_ticket(session, admin)
    service.assign_ticket(session, actor=admin, ticket_id=resolved.public_id,
                          assignee_id=engineer.public_id)
    service.change_status(session, actor=engineer, ticket_id=resolved.public_id,
                          status="IN_PROGRESS")
    service.resolve_ticket(session, actor=engineer, ticket_id=resolved.public_id,
                           resolution_notes="Cleared the cache.")
    session.flush()
    return [plain, full, support, resolved]


def test_a_view_shows_what_the_entity_shows(session: Session, admin: User,
                                            tickets: list[Ticket]) -> None:
    for ticket in tickets:
        entity = service.get_ticket(session, actor=admin, ticket_id=ticket.public_id)
        view = service.get_ticket_view(session, actor=admin, ticket_id=ticket.public_id)
        assert _shown(view) == _shown(entity)
        assert (view.id, view.version) == (entity.id, entity.version)


def test_the_view_carries_the_related_people_team_and_queue(
        session: Session, admin: User, engineer: User, team: Team, requester: User,
        tickets: list[Ticket]) -> None:
    view = service.get_ticket_view(session, actor=admin, ticket_id=tickets[1].public_id)
    assert view.requester is not None
    assert view.requester.public_id == requester.public_id
    assert view.assignee is not None
    assert view.assignee.username == engineer.username
    assert view.team is not None
    assert view.team.key == team.key
    assert view.queue.key == "devops"
    bare = service.get_ticket_view(session, actor=admin, ticket_id=tickets[0].public_id)
    assert bare.assignee is None
    assert bare.team is None


def test_a_view_follows_the_visibility_rules(session: Session, admin: User, requester: User,
                                             tickets: list[Ticket]) -> None:
    stranger = make_user(session, Role.END_USER)
    own = service.get_ticket_view(session, actor=requester, ticket_id=tickets[0].public_id)
    assert own.public_id == tickets[0].public_id
    with pytest.raises(TicketNotFound):
        service.get_ticket_view(session, actor=stranger, ticket_id=tickets[0].public_id)
    service.delete_ticket(session, actor=admin, ticket_id=tickets[0].public_id)
    with pytest.raises(TicketNotFound):
        service.get_ticket_view(session, actor=admin, ticket_id=tickets[0].public_id)


def test_a_list_page_of_views_matches_the_entities(session: Session, admin: User,
                                                   tickets: list[Ticket]) -> None:
    page = browse_tickets(session, actor=admin, filters=TicketFilters(), size=3,
                          sort_by="created_at", order="asc")
    assert page.total == len(tickets)
    assert page.next_cursor is not None
    rest = browse_tickets(session, actor=admin, filters=TicketFilters(), size=3,
                          sort_by="created_at", order="asc", cursor=page.next_cursor)
    shown = [*page.items, *rest.items]
    assert [view.public_id for view in shown] == [t.public_id for t in tickets]
    for view in shown:
        entity = service.get_ticket(session, actor=admin, ticket_id=view.public_id)
        assert _shown(view) == _shown(entity)


def test_a_created_ticket_shows_its_queue_without_loading_it_again(
        session: Session, admin: User) -> None:
    from sqlalchemy import event

    statements: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    make_ticket(session, admin, queue="support")  # the queue's configuration is now cached
    session.flush()
    session.expunge_all()  # a new request's session holds no queue
    admin = session.merge(admin)
    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        ticket = make_ticket(session, admin, queue="support")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert not [s for s in statements if "FROM queues" in s]
    shown = ticket_read(ticket, utcnow())
    assert shown.queue == "support"
    assert ticket.queue.name == service.find_queue_config(session, "support").name
