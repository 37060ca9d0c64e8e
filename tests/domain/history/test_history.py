"""Audit history: every change is logged with who, when, which field, the old and the new value
and a change type, in the same transaction as the change itself."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import make_ticket
from ticketry.db import utcnow
from ticketry.domain.comments.schemas import CommentCreate
from ticketry.domain.comments.service import add_comment
from ticketry.domain.errors import ValidationFailed
from ticketry.domain.history.models import TicketHistory
from ticketry.domain.history.service import list_ticket_history
from ticketry.domain.tickets import service
from ticketry.domain.tickets.errors import InvalidTransition
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.tickets.schemas import TicketCreate, TicketPatch, TicketReplace
from ticketry.domain.users.models import User


def entries(session: Session, ticket: Ticket) -> list[TicketHistory]:
    """Every entry of the ticket, internal ones included, oldest first."""
    return list(list_ticket_history(session, ticket_id=ticket.id, include_internal=True))


def changes(session: Session, ticket: Ticket) -> list[tuple[str, str | None, str | None,
                                                            str | None]]:
    return [(e.change_type, e.field, e.old_value, e.new_value) for e in entries(session, ticket)]


def history_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(TicketHistory)) or 0


def test_creation_is_recorded_with_its_author_and_time(session: Session,
                                                       requester: User) -> None:
    before = utcnow()
    ticket = make_ticket(session, requester)

    [created] = entries(session, ticket)
    assert created.change_type == "CREATED"
    assert created.actor_id == requester.id
    assert created.actor is not None
    assert created.actor.username == requester.username
    assert before <= created.created_at <= utcnow()
    assert created.created_at == ticket.created_at
    assert created.details["key"] == ticket.key


def test_each_changed_field_gets_its_own_entry(session: Session, requester: User,
                                               manager: User) -> None:
    ticket = make_ticket(session, requester, environment="STAGING", tags=["disk"])

    before = utcnow()
    service.update_ticket(session, actor=manager, ticket_id=ticket.public_id, data=TicketPatch(
        title="Disk full on build agent 3", priority="P1", environment="PRODUCTION",
        tags=["disk", "ci"], category="INFRASTRUCTURE"))

    recorded = entries(session, ticket)[1:]
    assert sorted((e.change_type, e.field, e.old_value, e.new_value) for e in recorded) == sorted([
        ("UPDATE", "title", "Disk full on build agent", "Disk full on build agent 3"),
        ("PRIORITY_CHANGE", "priority", "P3", "P1"),
        ("UPDATE", "environment", "STAGING", "PRODUCTION"),
        ("UPDATE", "tags", "disk", "disk, ci"),
        ("UPDATE", "category", None, "INFRASTRUCTURE"),
    ])
    for entry in recorded:
        assert entry.actor_id == manager.id
        assert before <= entry.created_at <= utcnow()
        assert entry.created_at == ticket.updated_at


def test_unchanged_fields_leave_no_entry(session: Session, requester: User,
                                         manager: User) -> None:
    ticket = make_ticket(session, requester, priority="P2")

    service.update_ticket(session, actor=manager, ticket_id=ticket.public_id, data=TicketPatch(
        title=ticket.title, priority="P2", description="The / partition is full again."))

    assert changes(session, ticket)[1:] == [
        ("UPDATE", "description", "The / partition is at 100%.", "The / partition is full again."),
    ]


def test_a_full_replace_records_the_fields_it_resets(session: Session, requester: User,
                                                     manager: User) -> None:
    ticket = make_ticket(session, requester, environment="STAGING")

    service.update_ticket(session, actor=manager, ticket_id=ticket.public_id, data=TicketReplace(
        title=ticket.title, description=ticket.description))

    assert changes(session, ticket)[1:] == [("UPDATE", "environment", "STAGING", None)]


def test_assignment_records_old_and_new_assignee_and_the_notes(session: Session,
                                                               requester: User, manager: User,
                                                               engineer: User,
                                                               other_engineer: User) -> None:
    ticket = make_ticket(session, requester)

    service.assign_ticket(session, actor=manager, ticket_id=ticket.public_id,
                          assignee_id=engineer.public_id, notes="Knows the build farm")
    service.assign_ticket(session, actor=manager, ticket_id=ticket.public_id,
                          assignee_id=other_engineer.public_id)
    service.assign_ticket(session, actor=manager, ticket_id=ticket.public_id, assignee_id=None)

    assert changes(session, ticket)[1:] == [
        ("ASSIGNMENT_CHANGE", "assignee", None, engineer.username),
        ("ASSIGNMENT_CHANGE", "assignee", engineer.username, other_engineer.username),
        ("ASSIGNMENT_CHANGE", "assignee", other_engineer.username, None),
    ]
    assert entries(session, ticket)[1].details == {"notes": "Knows the build farm"}


def test_status_changes_record_old_and_new_status_and_notes(session: Session,
                                                            requester: User,
                                                            manager: User) -> None:
    ticket = make_ticket(session, requester)

    service.change_status(session, actor=manager, ticket_id=ticket.public_id, status="OPEN",
                          notes="Acknowledged")
    service.resolve_ticket(session, actor=manager, ticket_id=ticket.public_id,
                           resolution_notes="Pruned the docker cache")

    recorded = entries(session, ticket)
    assert changes(session, ticket)[1:] == [
        ("STATUS_CHANGE", "status", "NEW", "OPEN"),
        ("RESOLVED", "status", "OPEN", "RESOLVED"),
    ]
    assert recorded[1].details == {"notes": "Acknowledged"}
    assert recorded[2].details == {"resolution_notes": "Pruned the docker cache"}
    assert {e.actor_id for e in recorded[1:]} == {manager.id}


def test_comments_are_recorded_and_internal_ones_hidden_from_end_users(
        session: Session, requester: User, engineer: User) -> None:
    ticket = make_ticket(session, requester)
    add_comment(session, actor=engineer, ticket_id=ticket.public_id,
                data=CommentCreate(content="Public reply"))
    add_comment(session, actor=engineer, ticket_id=ticket.public_id,
                data=CommentCreate(content="Internal note", is_internal=True))

    seen_by_agent = [e for e, _ in service.list_history(session, actor=engineer,
                                                        ticket_id=ticket.public_id)]
    seen_by_requester = [e for e, _ in service.list_history(session, actor=requester,
                                                            ticket_id=ticket.public_id)]

    assert [e.change_type for e in seen_by_agent] == ["CREATED", "COMMENT_ADDED",
                                                      "COMMENT_ADDED"]
    assert [e.details.get("internal") for e in seen_by_agent[1:]] == [False, True]
    assert [e.change_type for e in seen_by_requester] == ["CREATED", "COMMENT_ADDED"]


def test_entries_come_oldest_first(session: Session, requester: User, manager: User) -> None:
    ticket = service.create_ticket(session, actor=requester, now=utcnow() - timedelta(hours=1),
                                   data=TicketCreate(title="VPN drops",
                                                     description="Every ten minutes."))
    service.change_status(session, actor=manager, ticket_id=ticket.public_id, status="OPEN")
    service.change_status(session, actor=manager, ticket_id=ticket.public_id,
                          status="IN_PROGRESS")

    times = [e.created_at for e in entries(session, ticket)]
    assert times == sorted(times)
    assert [e.change_type for e in entries(session, ticket)] == [
        "CREATED", "STATUS_CHANGE", "STATUS_CHANGE"]


# --------------------------------------------------------------------------- rollback


def test_a_rolled_back_change_leaves_no_history(session: Session, requester: User,
                                                manager: User) -> None:
    ticket = make_ticket(session, requester)
    session.commit()
    before = history_count(session)

    # The title change is applied and recorded, then the status part is refused: the caller's
    # transaction rolls back, taking both the change and its history with it.
    with pytest.raises(InvalidTransition):
        service.update_ticket(session, actor=manager, ticket_id=ticket.public_id,
                              data=TicketPatch(title="Half-applied title", status="RESOLVED",
                                               resolution_notes="n/a"))
    session.rollback()

    assert history_count(session) == before
    reloaded = session.scalars(select(Ticket).where(Ticket.id == ticket.id)).one()
    assert (reloaded.title, reloaded.status, reloaded.version) == (
        "Disk full on build agent", "NEW", 1)
    assert changes(session, reloaded) == [("CREATED", None, None, None)]


def test_a_refused_change_writes_no_history_even_before_rollback(session: Session,
                                                                 requester: User,
                                                                 manager: User) -> None:
    ticket = make_ticket(session, requester)
    before = history_count(session)

    with pytest.raises(ValidationFailed):
        service.update_ticket(session, actor=manager, ticket_id=ticket.public_id,
                              data=TicketPatch(title="New title", priority="P9"))
    session.flush()

    assert history_count(session) == before
    assert ticket.title == "Disk full on build agent"
