from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ticketry.domain.approvals.models import Approval, ApprovalMode, ApprovalRequest
from ticketry.domain.text import CleanStr
from ticketry.domain.users.models import Role, Team, User
from ticketry.domain.users.schemas import TeamRef, UserSummary


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value.strip()


Reason = Annotated[CleanStr, AfterValidator(_not_blank), Field(min_length=1, max_length=2000)]
Comments = Annotated[CleanStr, Field(max_length=5000)]
Condition = Annotated[CleanStr, AfterValidator(_not_blank), Field(min_length=1, max_length=500)]
# An approval as the enterprise document numbers it (45), or by its public id.
ApprovalRef = int | uuid.UUID


class ApprovalActionName(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    DELEGATE = "delegate"
    REQUEST_INFO = "request_info"


class ApprovalRequestCreate(BaseModel):
    """Ask named users (`approvers`, in order) or anyone of a role (`approver_role`, optionally
    only in `team_id`) to approve the ticket."""

    model_config = ConfigDict(extra="forbid")

    approvers: list[uuid.UUID] | None = Field(default=None, max_length=20)
    approver_role: Role | None = None
    team_id: uuid.UUID | None = None
    mode: ApprovalMode = ApprovalMode.SEQUENTIAL
    reason: Reason


class ApprovalAction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: ApprovalActionName
    comments: Comments | None = None
    conditions: list[Condition] = Field(default_factory=list, max_length=20)
    # Required for `delegate`: who decides instead.
    delegate_to: uuid.UUID | None = None


class BulkApprovalAction(ApprovalAction):
    approval_ids: list[ApprovalRef] = Field(min_length=1, max_length=100)


class ApprovalTicketRef(BaseModel):
    id: uuid.UUID
    key: str
    title: str
    priority: str | None
    status: str


class ApprovalRead(BaseModel):
    id: uuid.UUID
    # The integer id the enterprise document uses (`POST /approvals/45/action`).
    number: int
    request_id: uuid.UUID
    request_status: str
    mode: str
    reason: str | None
    ticket: ApprovalTicketRef
    approver: UserSummary | None
    approver_role: str | None
    approver_team: TeamRef | None
    position: int
    status: str
    acted_by: UserSummary | None
    comments: str | None
    conditions: list[str]
    created_at: datetime
    activated_at: datetime | None
    escalate_at: datetime | None
    decided_at: datetime | None
    delegated_from: int | None
    escalated_from: int | None


class ApprovalRequestRead(BaseModel):
    id: uuid.UUID
    ticket_id: uuid.UUID
    requested_by: UserSummary | None
    reason: str | None
    mode: str
    status: str
    previous_status: str | None
    created_at: datetime
    decided_at: datetime | None
    approvals: list[ApprovalRead]


class ApprovalWorkflowRead(BaseModel):
    """A ticket's approvals: `status` is its latest request's (`none` if it never had one)."""

    ticket_id: uuid.UUID
    status: str
    requests: list[ApprovalRequestRead]


class ApprovalActionResult(BaseModel):
    approval: ApprovalRead
    # Approvals that became pending because of the action (the delegate, the next approver).
    activated: list[ApprovalRead]


class ApprovalPage(BaseModel):
    items: list[ApprovalRead]
    total: int
    page: int
    size: int
    pages: int


class BulkItemResult(BaseModel):
    approval_id: ApprovalRef
    ok: bool
    status: str | None = None
    error_code: str | None = None
    message: str | None = None


class BulkActionResult(BaseModel):
    succeeded: int
    failed: int
    results: list[BulkItemResult]


def user_summary(user: User | None) -> UserSummary | None:
    if user is None:
        return None
    return UserSummary(id=user.public_id, username=user.username, full_name=user.full_name,
                       email=user.email)


def _team_ref(team: Team | None) -> TeamRef | None:
    return TeamRef(id=team.public_id, key=team.key, name=team.name,
                   code=team.code) if team else None


def approval_read(approval: Approval, request: ApprovalRequest | None = None) -> ApprovalRead:
    """`approval` with its request, ticket, approver, team and actor loaded."""
    request = request or approval.request
    ticket = approval.ticket
    return ApprovalRead(
        id=approval.public_id, number=approval.id, request_id=request.public_id,
        request_status=request.status, mode=request.mode, reason=request.reason,
        ticket=ApprovalTicketRef(id=ticket.public_id, key=ticket.key, title=ticket.title,
                                 priority=ticket.priority, status=ticket.status),
        approver=user_summary(approval.approver), approver_role=approval.approver_role,
        approver_team=_team_ref(approval.approver_team), position=approval.position,
        status=approval.status, acted_by=user_summary(approval.acted_by),
        comments=approval.comments, conditions=list(approval.conditions or []),
        created_at=approval.created_at, activated_at=approval.activated_at,
        escalate_at=approval.escalate_at, decided_at=approval.decided_at,
        delegated_from=approval.delegated_from_id, escalated_from=approval.escalated_from_id,
    )


def request_read(request: ApprovalRequest) -> ApprovalRequestRead:
    return ApprovalRequestRead(
        id=request.public_id, ticket_id=request.ticket.public_id,
        requested_by=user_summary(request.requested_by), reason=request.reason,
        mode=request.mode, status=request.status, previous_status=request.previous_status,
        created_at=request.created_at, decided_at=request.decided_at,
        approvals=[approval_read(a, request) for a in request.approvals],
    )
