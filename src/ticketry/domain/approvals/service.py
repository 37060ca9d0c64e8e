"""Approval workflows on tickets.

A request asks named users (one after another, or all at once) or anyone of a role (in a team)
to approve a ticket. While it is open the ticket sits in its queue's pending-approval status;
its outcome moves the ticket on through the normal lifecycle. Every step writes history on the
ticket and an event (`approval.requested` whenever an approval becomes someone's to decide,
`approval.processed` on every action), in the caller's transaction.

The queue's `settings.approval` carries the rules: `pending_status`, `outcome_status`
({approve, reject}), `escalation_minutes`, `actions` (the ones allowed), and the automatic
request (`approver_role`, `approver_team: "ticket"`, `auto_request_reason`) made for ticket types
that require approval and for tickets moved into the pending status.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from ticketry.config import Settings, get_settings
from ticketry.db import utcnow
from ticketry.domain.approvals.errors import (
    ApprovalAlreadyOpen,
    ApprovalNotActionable,
    ApprovalNotFound,
    NotAnApprover,
)
from ticketry.domain.approvals.models import (
    ACTIONABLE,
    OPEN_APPROVAL,
    Approval,
    ApprovalMode,
    ApprovalRequest,
    ApprovalStatus,
    RequestStatus,
)
from ticketry.domain.approvals.schemas import (
    ApprovalAction,
    ApprovalActionName,
    ApprovalRef,
    ApprovalRequestCreate,
)
from ticketry.domain.errors import DomainError, PermissionDenied, ValidationFailed
from ticketry.domain.events.service import EventType, emit_ticket_event, user_ref
from ticketry.domain.history.models import ChangeType
from ticketry.domain.history.service import record_change
from ticketry.domain.queues.config import QueueConfig
from ticketry.domain.queues.service import find_queue_config, get_queue_config
from ticketry.domain.tickets import permissions
from ticketry.domain.tickets.errors import TicketNotFound
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.tickets.service import get_ticket, move_ticket_status
from ticketry.domain.users.errors import TeamNotFound, UserNotFound
from ticketry.domain.users.models import Role, Team, User
from ticketry.log import get_logger

log = get_logger("ticketry.approvals")

# Roles an approval may be addressed to: someone who works tickets.
_APPROVER_ROLES = tuple(r for r in Role if r.at_least(Role.DEVOPS_ENGINEER))
_ESCALATION_BATCH = 100


# --------------------------------------------------------------------------- queue rules


@dataclass(frozen=True, slots=True)
class ApprovalRules:
    """A queue's `settings.approval`, read once per call."""

    pending_status: str | None
    outcome: dict[str, str]
    escalation_minutes: int | None
    actions: tuple[str, ...] | None
    approver_role: Role | None
    approver_team: str | None
    auto_reason: str | None


def approval_rules(config: QueueConfig) -> ApprovalRules:
    raw: dict[str, Any] = config.settings.get("approval") or {}
    pending = raw.get("pending_status")
    role = raw.get("approver_role")
    minutes = raw.get("escalation_minutes")
    actions = raw.get("actions")
    return ApprovalRules(
        pending_status=pending if pending in config.statuses else None,
        outcome={k: v for k, v in (raw.get("outcome_status") or {}).items()
                 if v in config.statuses},
        escalation_minutes=int(minutes) if minutes is not None else None,
        actions=tuple(actions) if actions else None,
        approver_role=Role(str(role)) if role in Role.__members__ else None,
        approver_team=raw.get("approver_team"),
        auto_reason=raw.get("auto_request_reason"),
    )


def _escalate_at(rules: ApprovalRules, settings: Settings, now: datetime,
                 *, role: str | None) -> datetime | None:
    if role == Role.ADMIN:
        # Administrators are where escalation ends: nobody further to hand on to.
        return None
    minutes = (rules.escalation_minutes if rules.escalation_minutes is not None
               else settings.approval_escalation_minutes)
    return now + timedelta(minutes=minutes) if minutes > 0 else None


# --------------------------------------------------------------------------- who approves


@dataclass(frozen=True, slots=True)
class _Approver:
    user: User | None = None
    role: Role | None = None
    team: Team | None = None


def _roles_at_least(role: Role) -> list[str]:
    return [r.value for r in Role if r.at_least(role)]


def _roles_up_to(role: Role) -> list[str]:
    return [r.value for r in Role if role.at_least(r)]


def _role_candidates(session: Session, role: str, team_id: int | None) -> list[int]:
    """Active users who may act on a role approval and are told about it."""
    stmt = select(User.id).where(User.is_active.is_(True),
                                 User.role.in_(_roles_at_least(Role(role))))
    if team_id is not None:
        stmt = stmt.where(User.team_id == team_id)
    return list(session.scalars(stmt.order_by(User.id)))


def may_act(actor: User, approval: Approval) -> bool:
    """The named approver; for a role approval, anyone of that role or above (in the team, if
    limited to one), and administrators always."""
    if not actor.is_active:
        return False
    if approval.approver_id is not None:
        return approval.approver_id == actor.id
    if approval.approver_role is None:
        return False
    if actor.role_enum is Role.ADMIN:
        return True
    return actor.role_enum.at_least(Role(approval.approver_role)) and (
        approval.approver_team_id is None or approval.approver_team_id == actor.team_id)


def _label(approval: Approval) -> str:
    if approval.approver is not None:
        return approval.approver.username
    team = approval.approver_team
    return f"{approval.approver_role} ({team.key})" if team else str(approval.approver_role)


# --------------------------------------------------------------------------- events, history


def _approval_data(approval: Approval, request: ApprovalRequest) -> dict[str, Any]:
    return {"id": approval.id, "public_id": str(approval.public_id),
            "request_id": str(request.public_id), "reason": request.reason,
            "approver": user_ref(approval.approver), "approver_role": approval.approver_role,
            "requested_by_id": request.requested_by_id}


def _announce(session: Session, *, actor: User | None, ticket: Ticket, request: ApprovalRequest,
              approvals: Iterable[Approval], now: datetime) -> None:
    """`approval.requested` for approvals that just became someone's to decide."""
    for approval in approvals:
        notify = ([approval.approver_id] if approval.approver_id is not None
                  else _role_candidates(session, str(approval.approver_role),
                                        approval.approver_team_id))
        emit_ticket_event(session, type=EventType.APPROVAL_REQUESTED, actor=actor, ticket=ticket,
                          at=now, extra={"approval": {**_approval_data(approval, request),
                                                      "notify_user_ids": notify}})


def _record_requested(session: Session, *, actor: User | None, ticket: Ticket,
                      request: ApprovalRequest, approval: Approval, now: datetime) -> None:
    record_change(session, ticket_id=ticket.id, actor=actor,
                  change_type=ChangeType.APPROVAL_REQUESTED, at=now, field="approval",
                  new=_label(approval),
                  details={"approval_id": str(approval.public_id),
                           "request_id": str(request.public_id),
                           **({"reason": request.reason} if request.reason else {})})


def _processed_event(session: Session, *, actor: User, ticket: Ticket, request: ApprovalRequest,
                     approval: Approval, action: str, now: datetime) -> None:
    notify: list[int] = []
    for user_id in (request.requested_by_id, ticket.requester_id):
        if user_id is not None and user_id != actor.id and user_id not in notify:
            notify.append(user_id)
    emit_ticket_event(
        session, type=EventType.APPROVAL_PROCESSED, actor=actor, ticket=ticket, at=now,
        extra={"approval": {**_approval_data(approval, request), "action": action,
                            "comments": approval.comments,
                            "conditions": list(approval.conditions or []),
                            "acted_by": user_ref(actor)},
               "request": {"public_id": str(request.public_id), "status": request.status},
               "notify_user_ids": notify})


# --------------------------------------------------------------------------- opening


def _new_approval(request: ApprovalRequest, ticket: Ticket, approver: _Approver, *,
                  position: int, active: bool, now: datetime, rules: ApprovalRules,
                  settings: Settings) -> Approval:
    role = approver.role.value if approver.role else None
    approval = Approval(
        public_id=uuid.uuid4(), ticket_id=ticket.id, position=position,
        approver_id=approver.user.id if approver.user else None, approver_role=role,
        approver_team_id=approver.team.id if approver.team else None,
        status=ApprovalStatus.PENDING.value if active else ApprovalStatus.WAITING.value,
        conditions=[], created_at=now,
        activated_at=now if active else None,
        escalate_at=_escalate_at(rules, settings, now, role=role) if active else None,
    )
    # Relationships set up front: they are lazy="raise", and the readers need them.
    approval.request = request
    approval.ticket = ticket
    approval.approver = approver.user
    approval.approver_team = approver.team
    approval.acted_by = None
    return approval


def _activate(approval: Approval, rules: ApprovalRules, settings: Settings,
              now: datetime) -> None:
    approval.status = ApprovalStatus.PENDING.value
    approval.activated_at = now
    approval.escalate_at = _escalate_at(rules, settings, now, role=approval.approver_role)


def _open_request(session: Session, *, actor: User, ticket: Ticket, config: QueueConfig,
                  approvers: Sequence[_Approver], mode: ApprovalMode, reason: str | None,
                  previous_status: str, now: datetime, settings: Settings) -> ApprovalRequest:
    rules = approval_rules(config)
    request = ApprovalRequest(
        public_id=uuid.uuid4(), ticket_id=ticket.id, requested_by_id=actor.id, reason=reason,
        mode=mode.value, status=RequestStatus.PENDING.value, previous_status=previous_status,
        created_at=now)
    request.ticket = ticket
    request.requested_by = actor
    request.approvals = [
        _new_approval(request, ticket, approver, position=i,
                      active=mode is ApprovalMode.PARALLEL or i == 0, now=now, rules=rules,
                      settings=settings)
        for i, approver in enumerate(approvers)]
    session.add(request)
    session.flush()
    active = [a for a in request.approvals if a.status == ApprovalStatus.PENDING]
    for approval in active:
        _record_requested(session, actor=actor, ticket=ticket, request=request,
                          approval=approval, now=now)
    if rules.pending_status is not None and ticket.status != rules.pending_status:
        move_ticket_status(session, actor=actor, ticket=ticket, status=rules.pending_status,
                           now=now, settings=settings)
    _announce(session, actor=actor, ticket=ticket, request=request, approvals=active, now=now)
    log.info("approval_requested", key=ticket.key, request=str(request.public_id),
             approvers=len(request.approvals), mode=mode.value, actor=actor.username)
    session.flush()
    return request


def _open_request_of(session: Session, ticket_id: int) -> ApprovalRequest | None:
    return session.scalars(select(ApprovalRequest).where(
        ApprovalRequest.ticket_id == ticket_id,
        ApprovalRequest.status == RequestStatus.PENDING.value)).one_or_none()


def _named_approvers(session: Session, ticket: Ticket,
                     public_ids: Sequence[uuid.UUID]) -> list[_Approver]:
    if not public_ids:
        raise ValidationFailed("approvers must name at least one user", field="approvers")
    if len(set(public_ids)) != len(public_ids):
        raise ValidationFailed("approvers must not name a user twice", field="approvers")
    users = {u.public_id: u for u in session.scalars(
        select(User).where(User.public_id.in_(list(public_ids))))}
    problems = []
    for i, public_id in enumerate(public_ids):
        user = users.get(public_id)
        if user is None:
            message = f"user {public_id} does not exist"
        elif not user.is_active:
            message = f"user {user.username} is not active"
        elif not permissions.can_view(user, ticket):
            message = f"user {user.username} cannot view this ticket"
        else:
            continue
        problems.append({"field": f"approvers.{i}", "message": message})
    if problems:
        raise ValidationFailed(
            problems[0]["message"] if len(problems) == 1
            else f"{len(problems)} approvers cannot approve this ticket", details=problems)
    return [_Approver(user=users[public_id]) for public_id in public_ids]


def _role_approver(session: Session, role: Role, team_public_id: uuid.UUID | None) -> _Approver:
    if role not in _APPROVER_ROLES:
        raise ValidationFailed(
            f"approver_role must be one of: {', '.join(_APPROVER_ROLES)}", field="approver_role")
    team = None
    if team_public_id is not None:
        team = session.scalars(select(Team).where(Team.public_id == team_public_id)).one_or_none()
        if team is None:
            raise TeamNotFound(f"team {team_public_id} does not exist", field="team_id")
    if not _role_candidates(session, role, team.id if team else None):
        where = f" in team {team.key}" if team else ""
        raise ValidationFailed(f"no active user can approve as {role.value}{where}",
                               field="approver_role")
    return _Approver(role=role, team=team)


def request_approval(session: Session, *, actor: User, ticket_id: uuid.UUID,
                     data: ApprovalRequestCreate, settings: Settings | None = None,
                     now: datetime | None = None) -> ApprovalRequest:
    """Open an approval request on a ticket (agents only; one open request per ticket)."""
    settings = settings or get_settings()
    now = now or utcnow()
    if not actor.is_agent:
        raise PermissionDenied("only agents may request approval")
    ticket = get_ticket(session, actor=actor, ticket_id=ticket_id, for_update=True)
    if (data.approvers is None) == (data.approver_role is None):
        raise ValidationFailed("give either approvers (users) or approver_role, not both",
                               field="approvers")
    if data.team_id is not None and data.approver_role is None:
        raise ValidationFailed("team_id limits a role approval: give approver_role too",
                               field="team_id")
    if data.approvers is not None:
        approvers = _named_approvers(session, ticket, data.approvers)
    else:
        assert data.approver_role is not None
        approvers = [_role_approver(session, data.approver_role, data.team_id)]
    if _open_request_of(session, ticket.id) is not None:
        raise ApprovalAlreadyOpen(f"ticket {ticket.key} already has an open approval request")
    return _open_request(session, actor=actor, ticket=ticket,
                         config=get_queue_config(session, ticket.queue_id), approvers=approvers,
                         mode=data.mode, reason=data.reason, previous_status=ticket.status,
                         now=now, settings=settings)


def _rule_approver(session: Session, rules: ApprovalRules, ticket: Ticket) -> _Approver:
    """The queue's automatic approver: its role in the ticket's team, or anywhere when that
    team has nobody of the role."""
    assert rules.approver_role is not None
    team = None
    if rules.approver_team == "ticket" and ticket.team_id is not None and _role_candidates(
            session, rules.approver_role, ticket.team_id):
        team = session.get(Team, ticket.team_id)
    return _Approver(role=rules.approver_role, team=team)


def apply_approval_rules(session: Session, *, actor: User, ticket: Ticket,
                         previous_status: str | None, now: datetime,
                         settings: Settings) -> ApprovalRequest | None:
    """The queue's rules after a ticket is created (`previous_status` None) or changes status.

    A new ticket of a type that requires approval, or a ticket put into the pending-approval
    status, gets a request from the queue's approver; a ticket taken out of that status by
    hand withdraws its open request."""
    config = get_queue_config(session, ticket.queue_id)
    rules = approval_rules(config)
    pending = rules.pending_status
    if previous_status is None:
        ticket_type = config.ticket_types.get(ticket.ticket_type or "")
        needed = (ticket_type is not None and ticket_type.requires_approval) or (
            pending is not None and ticket.status == pending)
    else:
        needed = pending is not None and ticket.status == pending != previous_status
    if needed and rules.approver_role is not None:
        if _open_request_of(session, ticket.id) is not None:
            return None
        if previous_status is None:
            # Created straight into the pending status: it came from the initial one.
            previous_status = (config.initial_status.key if ticket.status == pending
                               else ticket.status)
        return _open_request(
            session, actor=actor, ticket=ticket, config=config,
            approvers=[_rule_approver(session, rules, ticket)],
            mode=ApprovalMode.SEQUENTIAL, reason=rules.auto_reason,
            previous_status=previous_status, now=now, settings=settings)
    if (previous_status is not None and pending is not None and previous_status == pending
            and ticket.status != pending):
        request = _open_request_of(session, ticket.id)
        if request is not None:
            _withdraw(session, actor=actor, ticket=ticket, request=request, now=now)
    return None


def _withdraw(session: Session, *, actor: User, ticket: Ticket, request: ApprovalRequest,
              now: datetime) -> None:
    request.status = RequestStatus.CANCELLED.value
    request.decided_at = now
    for approval in session.scalars(select(Approval).where(
            Approval.request_id == request.id, Approval.status.in_(OPEN_APPROVAL))):
        approval.status = ApprovalStatus.CANCELLED.value
        approval.decided_at = now
    record_change(session, ticket_id=ticket.id, actor=actor,
                  change_type=ChangeType.APPROVAL_PROCESSED, at=now, field="request",
                  new=RequestStatus.CANCELLED.value,
                  details={"request_id": str(request.public_id)})
    log.info("approval_withdrawn", key=ticket.key, request=str(request.public_id),
             actor=actor.username)


# --------------------------------------------------------------------------- reading


def _with_details(stmt: Select[tuple[Approval]]) -> Select[tuple[Approval]]:
    return stmt.options(joinedload(Approval.request), joinedload(Approval.ticket),
                        joinedload(Approval.approver), joinedload(Approval.approver_team),
                        joinedload(Approval.acted_by))


def _ref_filter(ref: ApprovalRef) -> ColumnElement[bool]:
    return Approval.public_id == ref if isinstance(ref, uuid.UUID) else Approval.id == ref


def get_approval(session: Session, *, actor: User, approval_id: ApprovalRef) -> Approval:
    """An approval of a ticket the actor may see."""
    approval = session.scalars(_with_details(select(Approval).where(
        _ref_filter(approval_id)))).unique().one_or_none()
    if (approval is None or approval.ticket.deleted_at is not None
            or not permissions.can_view(actor, approval.ticket)):
        raise ApprovalNotFound(f"approval {approval_id} not found")
    return approval


def list_ticket_approvals(session: Session, *, actor: User,
                          ticket_id: uuid.UUID) -> tuple[Ticket, Sequence[ApprovalRequest]]:
    """Every approval request of a ticket, newest first, with their approvals."""
    ticket = get_ticket(session, actor=actor, ticket_id=ticket_id)
    requests = session.scalars(
        select(ApprovalRequest).where(ApprovalRequest.ticket_id == ticket.id)
        .options(joinedload(ApprovalRequest.requested_by),
                 selectinload(ApprovalRequest.approvals).options(
                     joinedload(Approval.approver), joinedload(Approval.approver_team),
                     joinedload(Approval.acted_by)))
        .order_by(ApprovalRequest.created_at.desc(), ApprovalRequest.id.desc())).unique().all()
    for request in requests:
        set_committed_value(request, "ticket", ticket)
        for approval in request.approvals:
            set_committed_value(approval, "ticket", ticket)
            set_committed_value(approval, "request", request)
    return ticket, requests


@dataclass(frozen=True, slots=True)
class PendingFilters:
    priority: list[str] = field(default_factory=list)
    team_id: uuid.UUID | None = None
    # A team by the number documents that count departments use (Team.code).
    department_id: int | None = None
    queue: str | None = None


@dataclass(frozen=True, slots=True)
class ApprovalPage:
    items: Sequence[Approval]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return math.ceil(self.total / self.size) if self.size else 0


def awaiting(actor: User) -> ColumnElement[bool]:
    """SQL filter: approvals the actor may decide now, directly or through their role."""
    by_role: ColumnElement[bool]
    if actor.role_enum is Role.ADMIN:
        by_role = Approval.approver_role.is_not(None)
    elif actor.is_agent:
        by_role = and_(Approval.approver_role.in_(_roles_up_to(actor.role_enum)),
                       or_(Approval.approver_team_id.is_(None),
                           Approval.approver_team_id == actor.team_id))
    else:
        by_role = false()
    return and_(Approval.status.in_(ACTIONABLE),
                or_(Approval.approver_id == actor.id, by_role))


def list_pending_approvals(session: Session, *, actor: User, filters: PendingFilters,
                           page: int = 1, size: int = 20) -> ApprovalPage:
    """What awaits the actor's decision, oldest first."""
    stmt = (select(Approval).join(Ticket, Ticket.id == Approval.ticket_id)
            .where(awaiting(actor), Ticket.deleted_at.is_(None),
                   permissions.visible_tickets(actor)))
    if filters.priority:
        stmt = stmt.where(Ticket.priority.in_(filters.priority))
    if filters.team_id is not None:
        team_id = session.scalar(select(Team.id).where(Team.public_id == filters.team_id))
        if team_id is None:
            raise TeamNotFound(f"team {filters.team_id} does not exist", field="team_id")
        stmt = stmt.where(Ticket.team_id == team_id)
    if filters.department_id is not None:
        stmt = stmt.where(Ticket.team_id == select(Team.id).where(
            Team.code == filters.department_id).scalar_subquery())
    if filters.queue is not None:
        stmt = stmt.where(Ticket.queue_id == find_queue_config(session, filters.queue).id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = session.scalars(
        _with_details(stmt).order_by(Approval.activated_at, Approval.id)
        .offset((page - 1) * size).limit(size)).unique().all()
    return ApprovalPage(items, total, page, size)


# --------------------------------------------------------------------------- acting


@dataclass(frozen=True, slots=True)
class ActionOutcome:
    approval: Approval
    request: ApprovalRequest
    # Approvals that became someone's to decide because of the action.
    activated: list[Approval]


def _locked(session: Session, actor: User, approval_id: ApprovalRef) -> tuple[Ticket, Approval]:
    """The approval and its ticket, locked in ticket-then-approval order (as every writer).
    Nothing of the approval is read before the ticket's lock is held, so what is read is
    current."""
    ticket_public_id = session.scalar(
        select(Ticket.public_id).join(Approval, Approval.ticket_id == Ticket.id)
        .where(_ref_filter(approval_id)))
    if ticket_public_id is None:
        raise ApprovalNotFound(f"approval {approval_id} not found")
    try:
        ticket = get_ticket(session, actor=actor, ticket_id=ticket_public_id, for_update=True)
    except TicketNotFound:
        raise ApprovalNotFound(f"approval {approval_id} not found") from None
    approval = session.scalars(
        select(Approval).where(_ref_filter(approval_id))
        .options(joinedload(Approval.request), joinedload(Approval.approver),
                 joinedload(Approval.approver_team), joinedload(Approval.acted_by))
        .with_for_update(of=Approval)).unique().one()
    set_committed_value(approval, "ticket", ticket)
    return ticket, approval


def _check_actionable(approval: Approval) -> None:
    if approval.status in ACTIONABLE:
        return
    if approval.status == ApprovalStatus.WAITING:
        raise ApprovalNotActionable(
            f"approval {approval.id} is not yet due: an earlier approver decides first",
            status=approval.status)
    raise ApprovalNotActionable(f"approval {approval.id} is already {approval.status}",
                                status=approval.status)


def _siblings(session: Session, request: ApprovalRequest, ticket: Ticket) -> list[Approval]:
    rows = session.scalars(
        select(Approval).where(Approval.request_id == request.id)
        .options(joinedload(Approval.approver), joinedload(Approval.approver_team),
                 joinedload(Approval.acted_by))
        .order_by(Approval.position, Approval.id)).unique().all()
    for row in rows:
        set_committed_value(row, "ticket", ticket)
        set_committed_value(row, "request", request)
    return list(rows)


def act_on_approval(session: Session, *, actor: User, approval_id: ApprovalRef,
                    data: ApprovalAction, settings: Settings | None = None,
                    now: datetime | None = None) -> ActionOutcome:
    """Approve, reject, delegate or ask for more information, as the approval's approver."""
    settings = settings or get_settings()
    now = now or utcnow()
    ticket, approval = _locked(session, actor, approval_id)
    if not may_act(actor, approval):
        raise NotAnApprover("only the approver may act on this approval")
    _check_actionable(approval)
    config = get_queue_config(session, ticket.queue_id)
    rules = approval_rules(config)
    action = data.action
    if rules.actions is not None and action.value not in rules.actions:
        raise ValidationFailed(f"queue {config.key!r} does not allow {action.value!r}; allowed: "
                               f"{', '.join(rules.actions)}", field="action")
    request = approval.request
    comments = data.comments.strip() if data.comments and data.comments.strip() else None
    activated: list[Approval] = []
    delegate = None
    if action is ApprovalActionName.DELEGATE:
        delegate = _delegate_target(session, ticket, approval, actor, data.delegate_to)
    if action is ApprovalActionName.REQUEST_INFO and comments is None:
        raise ValidationFailed("request_info needs the question in comments", field="comments")

    approval.acted_by_id = actor.id
    approval.acted_by = actor
    approval.comments = comments
    approval.conditions = list(data.conditions)
    details: dict[str, Any] = {"approval_id": str(approval.public_id),
                               "request_id": str(request.public_id)}
    if comments:
        details["comments"] = comments
    if data.conditions:
        details["conditions"] = list(data.conditions)
    new_value: str | None = _label(approval)

    if action is ApprovalActionName.APPROVE:
        approval.status = ApprovalStatus.APPROVED.value
        approval.decided_at = now
        siblings = _siblings(session, request, ticket)
        if request.mode == ApprovalMode.SEQUENTIAL and not any(
                s.status in ACTIONABLE for s in siblings):
            waiting = [s for s in siblings if s.status == ApprovalStatus.WAITING]
            if waiting:
                _activate(waiting[0], rules, settings, now)
                activated.append(waiting[0])
    elif action is ApprovalActionName.REJECT:
        approval.status = ApprovalStatus.REJECTED.value
        approval.decided_at = now
        for sibling in _siblings(session, request, ticket):
            if sibling.id != approval.id and sibling.status in OPEN_APPROVAL:
                sibling.status = ApprovalStatus.CANCELLED.value
                sibling.decided_at = now
    elif action is ApprovalActionName.DELEGATE:
        assert delegate is not None
        approval.status = ApprovalStatus.DELEGATED.value
        approval.decided_at = now
        replacement = _new_approval(request, ticket, _Approver(user=delegate),
                                    position=approval.position, active=True, now=now,
                                    rules=rules, settings=settings)
        replacement.delegated_from_id = approval.id
        session.add(replacement)
        activated.append(replacement)
        new_value = delegate.username
    else:
        approval.status = ApprovalStatus.INFO_REQUESTED.value
        assert comments is not None
        _ask_requester(session, actor, ticket, comments)
    session.flush()

    record_change(session, ticket_id=ticket.id, actor=actor,
                  change_type=ChangeType.APPROVAL_PROCESSED, at=now, field=action.value,
                  new=new_value, details=details)
    if action is ApprovalActionName.REJECT:
        _complete(session, actor, ticket, config, rules, request, RequestStatus.REJECTED, now,
                  settings)
    elif action is ApprovalActionName.APPROVE and session.scalar(
            select(func.count()).select_from(Approval).where(
                Approval.request_id == request.id,
                Approval.status.in_(OPEN_APPROVAL))) == 0:
        _complete(session, actor, ticket, config, rules, request, RequestStatus.APPROVED, now,
                  settings)
    for new in activated:
        _record_requested(session, actor=actor, ticket=ticket, request=request, approval=new,
                          now=now)
    _processed_event(session, actor=actor, ticket=ticket, request=request, approval=approval,
                     action=action.value, now=now)
    _announce(session, actor=actor, ticket=ticket, request=request, approvals=activated,
              now=now)
    log.info("approval_processed", key=ticket.key, approval=approval.id, action=action.value,
             request_status=request.status, actor=actor.username)
    session.flush()
    return ActionOutcome(approval, request, activated)


def _delegate_target(session: Session, ticket: Ticket, approval: Approval, actor: User,
                     delegate_to: uuid.UUID | None) -> User:
    if delegate_to is None:
        raise ValidationFailed("delegate needs delegate_to: the user who decides instead",
                               field="delegate_to")
    delegate = session.scalars(select(User).where(User.public_id == delegate_to)).one_or_none()
    if delegate is None:
        raise UserNotFound(f"user {delegate_to} does not exist", field="delegate_to")
    if not delegate.is_active:
        raise ValidationFailed(f"user {delegate.username} is not active", field="delegate_to")
    if not permissions.can_view(delegate, ticket):
        raise ValidationFailed(f"user {delegate.username} cannot view this ticket",
                               field="delegate_to")
    if delegate.id in (actor.id, approval.approver_id):
        raise ValidationFailed("an approval cannot be delegated to its own approver",
                               field="delegate_to")
    return delegate


def _ask_requester(session: Session, actor: User, ticket: Ticket, question: str) -> None:
    """The approver's question, as a public comment the requester sees and can answer."""
    from ticketry.domain.comments.schemas import CommentCreate
    from ticketry.domain.comments.service import add_comment

    add_comment(session, actor=actor, ticket_id=ticket.public_id,
                data=CommentCreate(content=question))


def _complete(session: Session, actor: User, ticket: Ticket, config: QueueConfig,
              rules: ApprovalRules, request: ApprovalRequest, outcome: RequestStatus,
              now: datetime, settings: Settings) -> None:
    """Close the request and move the ticket on: to the queue's outcome status, or back to where
    it was before the request -- when the lifecycle allows that move."""
    request.status = outcome.value
    request.decided_at = now
    record_change(session, ticket_id=ticket.id, actor=actor,
                  change_type=ChangeType.APPROVAL_PROCESSED, at=now, field="request",
                  new=outcome.value, details={"request_id": str(request.public_id)})
    if rules.pending_status is None or ticket.status != rules.pending_status:
        return  # the ticket was never parked, or has been moved on by hand
    key = "approve" if outcome is RequestStatus.APPROVED else "reject"
    target = rules.outcome.get(key) or request.previous_status
    current = config.statuses.get(ticket.status)
    if not target or target == ticket.status:
        return
    if current is not None and target not in current.transitions:
        log.warning("approval_outcome_not_allowed", key=ticket.key, current=ticket.status,
                    target=target)
        return
    move_ticket_status(session, actor=actor, ticket=ticket, status=target, now=now,
                       settings=settings)


@dataclass(frozen=True, slots=True)
class BulkItem:
    approval_id: ApprovalRef
    outcome: ActionOutcome | None = None
    error: DomainError | None = None


def act_on_approvals(session: Session, *, actor: User, approval_ids: Sequence[ApprovalRef],
                     data: ApprovalAction, settings: Settings | None = None,
                     now: datetime | None = None) -> list[BulkItem]:
    """The same action on many approvals; each in a savepoint of its own, so one refusal
    leaves the others done."""
    settings = settings or get_settings()
    now = now or utcnow()
    results: list[BulkItem] = []
    for approval_id in approval_ids:
        try:
            with session.begin_nested():
                outcome = act_on_approval(session, actor=actor, approval_id=approval_id,
                                          data=data, settings=settings, now=now)
        except DomainError as error:
            results.append(BulkItem(approval_id, error=error))
        else:
            results.append(BulkItem(approval_id, outcome=outcome))
    return results


# --------------------------------------------------------------------------- escalation


def escalate_overdue_approvals(session: Session, *, settings: Settings | None = None,
                               now: datetime | None = None,
                               limit: int = _ESCALATION_BATCH) -> int:
    """Hand on pending approvals past their deadline; returns how many.

    To the approver's manager if they have an active one; else, in a sequential request, to
    the next approver; else to the administrators. Rows are claimed with FOR UPDATE SKIP
    LOCKED, so several workers share the work and an approval escalates once."""
    settings = settings or get_settings()
    now = now or utcnow()
    overdue = session.scalars(
        select(Approval).where(Approval.status == ApprovalStatus.PENDING.value,
                               Approval.escalate_at <= now,
                               Approval.ticket_id.in_(select(Ticket.id).where(
                                   Ticket.deleted_at.is_(None))))
        .order_by(Approval.escalate_at, Approval.id).limit(limit)
        .with_for_update(skip_locked=True)).all()
    if not overdue:
        return 0
    requests = {r.id: r for r in session.scalars(select(ApprovalRequest).where(
        ApprovalRequest.id.in_({a.request_id for a in overdue})))}
    tickets = {t.id: t for t in session.scalars(
        select(Ticket).where(Ticket.id.in_({a.ticket_id for a in overdue}))
        .options(joinedload(Ticket.requester), joinedload(Ticket.assignee))).unique()}
    user_ids = {a.approver_id for a in overdue if a.approver_id is not None}
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(user_ids)))}
    managers = {u.id: u for u in session.scalars(select(User).where(
        User.id.in_({u.manager_id for u in users.values() if u.manager_id is not None})))}
    teams = {t.id: t for t in session.scalars(select(Team).where(
        Team.id.in_({a.approver_team_id for a in overdue if a.approver_team_id is not None})))}
    waiting: dict[int, list[Approval]] = {}
    for row in session.scalars(
            select(Approval).where(Approval.request_id.in_(list(requests)),
                                   Approval.status == ApprovalStatus.WAITING.value)
            .options(joinedload(Approval.approver), joinedload(Approval.approver_team))
            .order_by(Approval.position, Approval.id)).unique():
        waiting.setdefault(row.request_id, []).append(row)
    configs: dict[int, QueueConfig] = {}
    for approval in overdue:
        request = requests[approval.request_id]
        ticket = tickets[approval.ticket_id]
        config = configs.setdefault(ticket.queue_id, get_queue_config(session, ticket.queue_id))
        approver = users.get(approval.approver_id) if approval.approver_id else None
        set_committed_value(approval, "approver", approver)
        set_committed_value(approval, "approver_team", teams.get(approval.approver_team_id or 0))
        _escalate(session, approval, request, ticket, config, approver, managers,
                  waiting.get(request.id, []), now, settings)
    session.flush()
    return len(overdue)


def _escalate(session: Session, approval: Approval, request: ApprovalRequest, ticket: Ticket,
              config: QueueConfig, approver: User | None, managers: dict[int, User],
              waiting: list[Approval], now: datetime, settings: Settings) -> None:
    rules = approval_rules(config)
    manager = managers.get(approver.manager_id or 0) if approver else None
    target: Approval
    if (manager is not None and manager.is_active and manager.id != approval.approver_id
            and permissions.can_view(manager, ticket)):
        target = _new_approval(request, ticket, _Approver(user=manager),
                               position=approval.position, active=True, now=now, rules=rules,
                               settings=settings)
        target.escalated_from_id = approval.id
        session.add(target)
    elif request.mode == ApprovalMode.SEQUENTIAL and waiting:
        # Nobody above this approver: the request moves on to the next one.
        target = waiting.pop(0)
        set_committed_value(target, "ticket", ticket)
        set_committed_value(target, "request", request)
        _activate(target, rules, settings, now)
    else:
        target = _new_approval(request, ticket, _Approver(role=Role.ADMIN),
                               position=approval.position, active=True, now=now, rules=rules,
                               settings=settings)
        target.escalated_from_id = approval.id
        session.add(target)
    approval.status = ApprovalStatus.ESCALATED.value
    approval.decided_at = now
    session.flush()
    record_change(session, ticket_id=ticket.id, actor=None,
                  change_type=ChangeType.APPROVAL_ESCALATED, at=now, field="approval",
                  old=_label(approval), new=_label(target),
                  details={"approval_id": str(approval.public_id),
                           "escalated_to": str(target.public_id),
                           "request_id": str(request.public_id)})
    _announce(session, actor=None, ticket=ticket, request=request, approvals=[target], now=now)
    log.info("approval_escalated", key=ticket.key, approval=approval.id, to=_label(target))
