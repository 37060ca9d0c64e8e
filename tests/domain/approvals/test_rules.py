"""The queue rules that request approval by themselves, and who may act on an approval.

The enterprise preset's rule is data (`settings.approval`: `approver_role` MANAGER,
`approver_team` "ticket"; `ticket_types[].requires_approval` for `change` and `request`)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import make_ticket, make_user
from ticketry.domain.approvals import service
from ticketry.domain.approvals.errors import NotAnApprover
from ticketry.domain.approvals.models import Approval, ApprovalRequest
from ticketry.domain.approvals.schemas import (
    ApprovalAction,
    ApprovalActionName,
    ApprovalRequestCreate,
)
from ticketry.domain.events.models import Event
from ticketry.domain.queues.service import find_queue_config
from ticketry.domain.tickets import service as tickets
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.users.models import Role, Team, User


def requests_of(session: Session, ticket: Ticket) -> list[ApprovalRequest]:
    return list(session.scalars(select(ApprovalRequest).where(
        ApprovalRequest.ticket_id == ticket.id).order_by(ApprovalRequest.id)))


def approvals_of(session: Session, ticket: Ticket) -> list[Approval]:
    return list(session.scalars(select(Approval).where(Approval.ticket_id == ticket.id)
                                .order_by(Approval.id)))


def test_the_enterprise_preset_names_its_approval_rule(session: Session) -> None:
    config = find_queue_config(session, "enterprise")
    rules = service.approval_rules(config)

    assert (rules.pending_status, rules.approver_role, rules.approver_team) == \
        ("pending_approval", Role.MANAGER, "ticket")
    assert rules.outcome == {"approve": "open", "reject": "closed"}
    assert sorted(k for k, t in config.ticket_types.items() if t.requires_approval) == \
        ["change", "request"]


@pytest.mark.parametrize("ticket_type", ["change", "request"])
def test_tickets_of_types_that_require_approval_wait_for_a_manager_of_their_team(
        session: Session, requester: User, team: Team, ticket_type: str) -> None:
    make_user(session, Role.MANAGER, team=team)

    ticket = make_ticket(session, requester, queue="enterprise", ticket_type=ticket_type,
                         team_id=team.public_id)

    assert ticket.status == "pending_approval"
    (request,) = requests_of(session, ticket)
    assert (request.requested_by_id, request.previous_status, request.mode) == \
        (requester.id, "open", "sequential")
    (approval,) = approvals_of(session, ticket)
    assert (approval.approver_role, approval.approver_team_id, approval.status) == \
        ("MANAGER", team.id, "pending")


def test_a_team_whose_only_manager_is_inactive_falls_back_to_any_manager(
        session: Session, requester: User, team: Team) -> None:
    make_user(session, Role.MANAGER, team=team, is_active=False)

    ticket = make_ticket(session, requester, queue="enterprise", ticket_type="change",
                         team_id=team.public_id)

    (approval,) = approvals_of(session, ticket)
    assert (approval.approver_role, approval.approver_team_id) == ("MANAGER", None)


def test_a_ticket_created_in_pending_approval_comes_from_the_initial_status(
        session: Session, manager: User) -> None:
    ticket = make_ticket(session, manager, queue="enterprise", ticket_type="incident",
                         status="pending_approval")

    (request,) = requests_of(session, ticket)
    assert request.previous_status == "open"
    events = session.scalars(select(Event.type).where(Event.ticket_id == ticket.id)
                             .order_by(Event.id)).all()
    assert events == ["ticket.created", "approval.requested"]


def test_closing_a_ticket_that_waits_for_approval_withdraws_the_request(
        session: Session, manager: User, requester: User) -> None:
    ticket = make_ticket(session, requester, queue="enterprise", ticket_type="change")

    tickets.close_ticket(session, actor=manager, ticket_id=ticket.public_id)

    (request,) = requests_of(session, ticket)
    assert request.status == "cancelled"
    assert [a.status for a in approvals_of(session, ticket)] == ["cancelled"]


def test_queues_without_approval_settings_request_nothing_by_themselves(
        session: Session, manager: User, requester: User) -> None:
    ticket = make_ticket(session, requester, priority="P3")

    tickets.change_status(session, actor=manager, ticket_id=ticket.public_id, status="OPEN")

    assert requests_of(session, ticket) == []


def test_a_deactivated_approver_can_no_longer_act(session: Session, engineer: User,
                                                  manager: User, requester: User) -> None:
    ticket = make_ticket(session, requester, queue="enterprise", ticket_type="incident")
    request = service.request_approval(
        session, actor=engineer, ticket_id=ticket.public_id,
        data=ApprovalRequestCreate(approvers=[manager.public_id], reason="Budget"))
    manager.is_active = False

    with pytest.raises(NotAnApprover):
        service.act_on_approval(session, actor=manager, approval_id=request.approvals[0].id,
                                data=ApprovalAction(action=ApprovalActionName.APPROVE))


def test_the_requester_who_approves_is_not_told_about_their_own_action(
        session: Session, lead: User, requester: User) -> None:
    ticket = make_ticket(session, requester, queue="enterprise", ticket_type="incident")
    request = service.request_approval(
        session, actor=lead, ticket_id=ticket.public_id,
        data=ApprovalRequestCreate(approvers=[lead.public_id], reason="Self-check"))

    service.act_on_approval(session, actor=lead, approval_id=request.approvals[0].public_id,
                            data=ApprovalAction(action=ApprovalActionName.APPROVE))

    processed = session.scalars(select(Event).where(Event.type == "approval.processed",
                                                    Event.ticket_id == ticket.id)).one()
    assert processed.data["notify_user_ids"] == [requester.id]
