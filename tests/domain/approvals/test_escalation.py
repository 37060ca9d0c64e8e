"""Overdue approvals escalate: every pending approval has a deadline (`escalate_at`, from the
server's `approval_escalation_minutes` or the queue's `settings.approval.escalation_minutes`);
the worker's periodic task hands overdue ones to the approver's manager, else to the next
approver of a sequential request, else to the administrators -- once each."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import BoundDatabase
from tests.factories import make_ticket
from ticketry.config import Settings
from ticketry.db import utcnow
from ticketry.domain.approvals import service
from ticketry.domain.approvals.models import Approval, ApprovalRequest
from ticketry.domain.approvals.schemas import (
    ApprovalAction,
    ApprovalActionName,
    ApprovalRequestCreate,
)
from ticketry.domain.approvals.tasks import PERIODIC, escalate_approvals
from ticketry.domain.events.models import Event
from ticketry.domain.history.models import TicketHistory
from ticketry.domain.jobs.tasks import JobContext
from ticketry.domain.queues.config import queue_configs
from ticketry.domain.queues.models import Queue
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.users.models import Role, User
from ticketry.worker.runner import Worker


def open_request(session: Session, actor: User, ticket: Ticket, *approvers: User,
                 mode: str = "sequential", settings: Settings | None = None) -> ApprovalRequest:
    return service.request_approval(
        session, actor=actor, ticket_id=ticket.public_id, settings=settings,
        data=ApprovalRequestCreate(approvers=[a.public_id for a in approvers], mode=mode,
                                   reason="Budget"))


def approvals_of(session: Session, request: ApprovalRequest) -> list[Approval]:
    session.expire_all()
    return list(session.scalars(select(Approval).where(Approval.request_id == request.id)
                                .order_by(Approval.id)))


def make_overdue(session: Session, *approvals: Approval) -> None:
    """Time travel: the deadlines have passed."""
    for approval in approvals:
        approval.escalate_at = utcnow() - timedelta(minutes=1)
    session.commit()


def run_escalation(db: BoundDatabase, settings: Settings) -> None:
    asyncio.run(escalate_approvals(JobContext(database=db, settings=settings, worker="test")))


@pytest.fixture
def ticket(session: Session, requester: User) -> Ticket:
    return make_ticket(session, requester, queue="enterprise", ticket_type="incident")


def test_a_pending_approval_is_due_after_the_servers_escalation_minutes(
        session: Session, ticket: Ticket, engineer: User, manager: User,
        settings: Settings) -> None:
    quick = settings.model_copy(update={"approval_escalation_minutes": 30})

    request = open_request(session, engineer, ticket, manager, settings=quick)

    (approval,) = request.approvals
    assert approval.activated_at is not None
    assert approval.escalate_at == approval.activated_at + timedelta(minutes=30)


def test_the_queue_may_set_its_own_escalation_minutes(session: Session, ticket: Ticket,
                                                      engineer: User, manager: User) -> None:
    queue = session.get(Queue, ticket.queue_id)
    assert queue is not None
    queue.settings = {**queue.settings,
                      "approval": {**queue.settings["approval"], "escalation_minutes": 5}}
    queue.config_version += 1
    session.flush()
    queue_configs.forget(queue.id)

    (approval,) = open_request(session, engineer, ticket, manager).approvals

    assert approval.activated_at is not None
    assert approval.escalate_at == approval.activated_at + timedelta(minutes=5)


def test_the_next_sequential_approver_gets_a_full_deadline_from_their_turn(
        session: Session, ticket: Ticket, engineer: User, manager: User, lead: User,
        settings: Settings) -> None:
    request = open_request(session, engineer, ticket, manager, lead)
    first, second = request.approvals
    assert (second.activated_at, second.escalate_at) == (None, None)
    later = utcnow() + timedelta(hours=3)

    service.act_on_approval(session, actor=manager, approval_id=first.id, now=later,
                            data=ApprovalAction(action=ApprovalActionName.APPROVE))

    assert second.activated_at == later
    assert second.escalate_at == later + timedelta(minutes=settings.approval_escalation_minutes)


def test_an_overdue_approver_with_a_manager_escalates_to_that_manager(
        session: Session, db: BoundDatabase, settings: Settings, ticket: Ticket,
        engineer: User, lead: User, manager: User) -> None:
    lead.manager_id = manager.id
    request = open_request(session, engineer, ticket, lead)
    make_overdue(session, *request.approvals)

    run_escalation(db, settings)

    overdue, escalated = approvals_of(session, request)
    assert overdue.status == "escalated"
    assert overdue.decided_at is not None
    assert (escalated.approver_id, escalated.status, escalated.escalated_from_id,
            escalated.position) == (manager.id, "pending", overdue.id, overdue.position)
    assert escalated.escalate_at is not None
    entry = session.scalars(select(TicketHistory).where(
        TicketHistory.ticket_id == ticket.id).order_by(TicketHistory.id.desc())).first()
    assert entry is not None
    assert (entry.change_type, entry.actor_id, entry.old_value, entry.new_value) == \
        ("APPROVAL_ESCALATED", None, lead.username, manager.username)
    event = session.scalars(select(Event).where(Event.ticket_id == ticket.id)
                            .order_by(Event.id.desc())).first()
    assert event is not None
    assert (event.type, event.actor_id) == ("approval.requested", None)
    assert event.data["approval"]["public_id"] == str(escalated.public_id)
    assert event.data["approval"]["notify_user_ids"] == [manager.id]


def test_without_a_manager_a_sequential_request_moves_on_to_the_next_approver(
        session: Session, db: BoundDatabase, settings: Settings, ticket: Ticket,
        engineer: User, lead: User, manager: User) -> None:
    request = open_request(session, engineer, ticket, lead, manager)
    make_overdue(session, request.approvals[0])

    run_escalation(db, settings)

    skipped, following = approvals_of(session, request)
    assert (skipped.status, following.status) == ("escalated", "pending")
    assert following.escalate_at is not None

    service.act_on_approval(session, actor=manager, approval_id=following.public_id,
                            data=ApprovalAction(action=ApprovalActionName.APPROVE))
    session.refresh(request)
    assert request.status == "approved"


def test_with_no_one_left_the_administrators_decide_and_escalation_stops_there(
        session: Session, db: BoundDatabase, settings: Settings, ticket: Ticket,
        engineer: User, lead: User, manager: User, admin: User) -> None:
    request = open_request(session, engineer, ticket, lead, manager, mode="parallel")
    make_overdue(session, *request.approvals)

    run_escalation(db, settings)

    rows = approvals_of(session, request)
    assert [(a.status, a.approver_id, a.approver_role) for a in rows] == [
        ("escalated", lead.id, None), ("escalated", manager.id, None),
        ("pending", None, "ADMIN"), ("pending", None, "ADMIN")]
    assert [a.escalate_at for a in rows[2:]] == [None, None]
    pending = service.list_pending_approvals(session, actor=admin,
                                             filters=service.PendingFilters())
    assert [a.id for a in pending.items] == [rows[2].id, rows[3].id]

    run_escalation(db, settings)
    assert len(approvals_of(session, request)) == 4


def test_an_overdue_role_approval_escalates_to_the_administrators(
        session: Session, db: BoundDatabase, settings: Settings, ticket: Ticket,
        engineer: User, manager: User, admin: User) -> None:
    request = service.request_approval(
        session, actor=engineer, ticket_id=ticket.public_id,
        data=ApprovalRequestCreate(approver_role=Role.MANAGER, reason="Budget"))
    make_overdue(session, *request.approvals)

    run_escalation(db, settings)

    role, escalated = approvals_of(session, request)
    assert (role.status, escalated.approver_role, escalated.status) == \
        ("escalated", "ADMIN", "pending")
    event = session.scalars(select(Event).where(Event.type == "approval.requested",
                                                Event.ticket_id == ticket.id)
                            .order_by(Event.id.desc())).first()
    assert event is not None
    assert event.data["approval"]["notify_user_ids"] == [admin.id]


def test_approvals_within_their_deadline_or_waiting_on_the_requester_stay_put(
        session: Session, db: BoundDatabase, settings: Settings, ticket: Ticket,
        engineer: User, lead: User, manager: User, requester: User) -> None:
    other = make_ticket(session, requester, queue="enterprise", ticket_type="incident")
    on_time = open_request(session, engineer, ticket, lead)
    asked = open_request(session, engineer, other, manager)
    service.act_on_approval(session, actor=manager, approval_id=asked.approvals[0].id,
                            data=ApprovalAction(action=ApprovalActionName.REQUEST_INFO,
                                                comments="Which cost centre?"))
    make_overdue(session, asked.approvals[0])

    run_escalation(db, settings)

    assert [a.status for a in approvals_of(session, on_time)] == ["pending"]
    assert [a.status for a in approvals_of(session, asked)] == ["info_requested"]


def test_escalating_twice_changes_nothing_more(session: Session, ticket: Ticket,
                                              engineer: User, lead: User,
                                              manager: User) -> None:
    lead.manager_id = manager.id
    request = open_request(session, engineer, ticket, lead)
    later = utcnow() + timedelta(days=2)

    first = service.escalate_overdue_approvals(session, now=later)
    again = service.escalate_overdue_approvals(session, now=later)

    assert (first, again) == (1, 0)
    assert [a.status for a in approvals_of(session, request)] == ["escalated", "pending"]


def test_the_worker_runs_the_escalation_timer(session: Session, db: BoundDatabase,
                                              settings: Settings, ticket: Ticket,
                                              engineer: User, lead: User,
                                              manager: User) -> None:
    assert [task.interval(settings) for task in PERIODIC] == \
        [settings.approval_check_interval_seconds]
    lead.manager_id = manager.id
    request = open_request(session, engineer, ticket, lead)
    make_overdue(session, *request.approvals)

    asyncio.run(Worker(db, settings).drain())

    assert [a.status for a in approvals_of(session, request)] == ["escalated", "pending"]
