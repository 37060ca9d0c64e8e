"""Breach detection: the worker marks each target that has passed (the mark is the due time),
writes one SLA_BREACH history entry and one `ticket.sla_breached` event per target, once.
Tickets waiting (paused), resolved, closed or deleted are left alone."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import BoundDatabase, StatementCounter
from ticketry.config import Settings
from ticketry.db import utcnow
from ticketry.domain.comments.schemas import CommentCreate
from ticketry.domain.comments.service import add_comment
from ticketry.domain.events.models import Event
from ticketry.domain.history.models import ChangeType, TicketHistory
from ticketry.domain.jobs.tasks import JobContext
from ticketry.domain.sla.service import SlaState, mark_breaches
from ticketry.domain.sla.tasks import CHECK_BREACHES, PERIODIC, check_breaches
from ticketry.domain.tickets import service
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.tickets.schemas import TicketCreate, TicketPatch, ticket_read
from ticketry.domain.users.models import User
from ticketry.worker.runner import Worker

CREATED = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
# P1: respond within an hour, resolve within four.
RESPONSE_DUE = CREATED + timedelta(hours=1)
RESOLUTION_DUE = CREATED + timedelta(hours=4)
AFTER_RESPONSE_DUE = CREATED + timedelta(hours=2)
AFTER_BOTH = CREATED + timedelta(hours=5)


def p1_ticket(session: Session, actor: User, *, created: datetime = CREATED,
              title: str = "Database is down") -> Ticket:
    return service.create_ticket(session, actor=actor, now=created, data=TicketCreate(
        title=title, description="No connections accepted.", priority="P1"))


def breaches(session: Session, ticket: Ticket) -> list[TicketHistory]:
    return list(session.scalars(select(TicketHistory).where(
        TicketHistory.ticket_id == ticket.id, TicketHistory.change_type == ChangeType.SLA_BREACH)
        .order_by(TicketHistory.id)))


def breach_events(session: Session, ticket: Ticket | None = None) -> list[Event]:
    stmt = select(Event).where(Event.type == "ticket.sla_breached").order_by(Event.id)
    if ticket is not None:
        stmt = stmt.where(Event.ticket_id == ticket.id)
    return list(session.scalars(stmt))


# --------------------------------------------------------------------------- marking


def test_a_missed_response_is_marked_recorded_and_announced_once(
        session: Session, requester: User, manager: User, engineer: User) -> None:
    ticket = p1_ticket(session, requester)
    service.assign_ticket(session, actor=manager, ticket_id=ticket.public_id,
                          assignee_id=engineer.public_id)

    marked = mark_breaches(session, now=AFTER_RESPONSE_DUE)

    assert marked == 1
    assert ticket.response_breached_at == RESPONSE_DUE
    assert ticket.resolution_breached_at is None  # not due yet
    [entry] = breaches(session, ticket)
    assert entry.actor_id is None
    assert entry.new_value == "response"
    assert entry.details == {"target": "response", "due_at": RESPONSE_DUE.isoformat()}
    [event] = breach_events(session, ticket)
    assert event.actor_id is None
    assert event.queue_id == ticket.queue_id
    assert event.data["sla"] == {"target": "response", "due_at": RESPONSE_DUE.isoformat(),
                                 "breached_at": RESPONSE_DUE.isoformat()}
    snapshot = event.data["ticket"]
    assert (snapshot["id"], snapshot["ticket_number"], snapshot["priority"]) == \
        (ticket.id, ticket.key, "P1")
    assert snapshot["created_by"]["username"] == requester.username
    assert snapshot["assigned_to"]["username"] == engineer.username


def test_checking_again_finds_nothing_new(session: Session, requester: User) -> None:
    ticket = p1_ticket(session, requester)
    mark_breaches(session, now=AFTER_RESPONSE_DUE)

    assert mark_breaches(session, now=AFTER_RESPONSE_DUE + timedelta(minutes=1)) == 0

    assert len(breaches(session, ticket)) == 1
    assert len(breach_events(session, ticket)) == 1
    assert ticket.response_breached_at == RESPONSE_DUE


def test_each_missed_target_is_recorded_on_its_own(session: Session, requester: User) -> None:
    ticket = p1_ticket(session, requester)
    mark_breaches(session, now=AFTER_RESPONSE_DUE)

    mark_breaches(session, now=AFTER_BOTH)
    mark_breaches(session, now=AFTER_BOTH + timedelta(hours=1))

    assert [e.details["target"] for e in breaches(session, ticket)] == ["response", "resolution"]
    assert [e.data["sla"]["target"] for e in breach_events(session, ticket)] == \
        ["response", "resolution"]
    assert (ticket.response_breached_at, ticket.resolution_breached_at) == \
        (RESPONSE_DUE, RESOLUTION_DUE)


def test_both_targets_missed_at_once_give_two_entries_and_two_events(
        session: Session, requester: User) -> None:
    ticket = p1_ticket(session, requester)

    assert mark_breaches(session, now=AFTER_BOTH) == 1

    assert [e.new_value for e in breaches(session, ticket)] == ["response", "resolution"]
    assert len(breach_events(session, ticket)) == 2


def test_a_target_not_yet_due_is_not_breached(session: Session, requester: User) -> None:
    ticket = p1_ticket(session, requester)

    assert mark_breaches(session, now=RESPONSE_DUE) == 0  # due at, not after

    assert ticket.response_breached_at is None
    assert breach_events(session) == []


def test_a_ticket_answered_in_time_misses_only_its_resolution(session: Session,
                                                              requester: User,
                                                              engineer: User) -> None:
    ticket = p1_ticket(session, requester)
    add_comment(session, actor=engineer, ticket_id=ticket.public_id,
                data=CommentCreate(content="Looking into it."))

    mark_breaches(session, now=utcnow() + timedelta(days=365))

    assert ticket.response_breached_at is None
    assert [e.new_value for e in breaches(session, ticket)] == ["resolution"]


def put_aside(session: Session, manager: User, ticket: Ticket, how: str) -> None:
    if how == "waiting":
        service.change_status(session, actor=manager, ticket_id=ticket.public_id, status="OPEN")
        service.change_status(session, actor=manager, ticket_id=ticket.public_id,
                              status="PENDING_INFO")
    elif how == "resolved":
        service.change_status(session, actor=manager, ticket_id=ticket.public_id, status="OPEN")
        service.resolve_ticket(session, actor=manager, ticket_id=ticket.public_id,
                               resolution_notes="Restarted the pool.")
    elif how == "closed":
        service.close_ticket(session, actor=manager, ticket_id=ticket.public_id)
    elif how == "deleted":
        service.delete_ticket(session, actor=manager, ticket_id=ticket.public_id)


@pytest.mark.parametrize("how", ["waiting", "resolved", "closed", "deleted"])
def test_tickets_waiting_or_done_are_not_breached(session: Session, requester: User,
                                                  manager: User, admin: User, how: str) -> None:
    ticket = p1_ticket(session, requester)
    put_aside(session, admin if how == "deleted" else manager, ticket, how)

    assert mark_breaches(session, now=AFTER_BOTH) == 0

    assert (ticket.response_breached_at, ticket.resolution_breached_at) == (None, None)
    assert breaches(session, ticket) == []
    assert breach_events(session) == []


def test_nothing_is_marked_when_sla_tracking_is_off(session: Session, requester: User,
                                                   settings: Settings) -> None:
    ticket = p1_ticket(session, requester)
    off = settings.model_copy(update={"sla_enabled": False})

    assert mark_breaches(session, now=AFTER_BOTH, settings=off) == 0
    assert asyncio.run(check_breaches(JobContext(database=None, settings=off,  # type: ignore[arg-type]
                                                 worker="test"), now=AFTER_BOTH)) == 0

    assert ticket.response_breached_at is None


def test_a_batch_takes_the_same_few_statements_however_many_tickets(
        session: Session, requester: User, engineer: User,
        statements: StatementCounter) -> None:
    def count_for(tickets: int) -> int:
        created = utcnow() - timedelta(days=30)
        for n in range(tickets):
            ticket = p1_ticket(session, requester, created=created, title=f"Outage {n}")
            service.assign_ticket(session, actor=engineer, ticket_id=ticket.public_id,
                                  assignee_id=engineer.public_id)
        session.flush()
        with statements.counting():
            assert mark_breaches(session) == tickets
        return statements.count

    assert count_for(2) == count_for(7)


# --------------------------------------------------------------------------- what is shown


def test_a_marked_target_shows_as_breached(session: Session, requester: User,
                                          engineer: User) -> None:
    ticket = p1_ticket(session, requester)
    mark_breaches(session, now=AFTER_RESPONSE_DUE)
    add_comment(session, actor=engineer, ticket_id=ticket.public_id,
                data=CommentCreate(content="Sorry for the wait."))

    read = ticket_read(ticket, now=utcnow())

    assert read.sla.response.state is SlaState.BREACHED
    assert read.sla.resolution.state is SlaState.BREACHED  # due 2026-06-01 13:00, still open


def test_a_priority_change_withdraws_a_mark_whose_due_time_no_longer_stands(
        session: Session, requester: User, manager: User) -> None:
    created = utcnow() - timedelta(hours=2)
    ticket = p1_ticket(session, requester, created=created)
    mark_breaches(session)
    assert ticket.response_breached_at == created + timedelta(hours=1)

    service.update_ticket(session, actor=manager, ticket_id=ticket.public_id,
                          data=TicketPatch(priority="P4"))

    assert ticket.response_due_at == created + timedelta(hours=24)
    assert ticket.response_breached_at is None
    assert ticket_read(ticket, now=utcnow()).sla.response.state is SlaState.PENDING
    assert mark_breaches(session) == 0


# --------------------------------------------------------------------------- the worker


def test_the_check_is_a_periodic_task_on_the_configured_interval(settings: Settings) -> None:
    [task] = PERIODIC
    tuned = settings.model_copy(update={"sla_check_interval_seconds": 15.0})

    assert task.kind == CHECK_BREACHES == "sla.check_breaches"
    assert task.interval(tuned) == 15.0


def test_the_task_works_through_every_batch(session: Session, db: BoundDatabase,
                                            requester: User, settings: Settings) -> None:
    tickets = [p1_ticket(session, requester, title=f"Outage {n}") for n in range(5)]
    session.commit()
    ctx = JobContext(database=db, settings=settings, worker="test")

    marked = asyncio.run(check_breaches(ctx, now=AFTER_RESPONSE_DUE, batch_size=2))
    again = asyncio.run(check_breaches(ctx, now=AFTER_RESPONSE_DUE, batch_size=2))

    assert (marked, again) == (5, 0)
    session.expire_all()
    assert all(t.response_breached_at == RESPONSE_DUE for t in tickets)
    assert session.scalar(select(func.count()).select_from(Event).where(
        Event.type == "ticket.sla_breached")) == 5


def test_the_worker_marks_breaches_and_fans_out_the_events(session: Session, db: BoundDatabase,
                                                           requester: User,
                                                           settings: Settings) -> None:
    late = p1_ticket(session, requester, created=utcnow() - timedelta(hours=2))
    on_time = p1_ticket(session, requester, created=utcnow(), title="Slow queries")
    session.commit()

    asyncio.run(Worker(db, settings).drain())

    session.expire_all()
    assert late.response_breached_at == late.response_due_at
    assert on_time.response_breached_at is None
    [event] = breach_events(session)
    assert event.ticket_id == late.id
    assert event.dispatched_at is not None
    assert len(breaches(session, late)) == 1
