"""Approval workflows: request approval of a ticket, act on approvals, list what awaits you.

Approvals are addressed by their public id or by the integer the enterprise document uses
(`POST /approvals/45/action`)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, status

from ticketry.api.deps import ActorDep, SessionDep, SettingsDep
from ticketry.api.routing import SegmentRouter
from ticketry.api.v1.responses import problems
from ticketry.domain.approvals import service
from ticketry.domain.approvals.errors import ApprovalNotFound
from ticketry.domain.approvals.schemas import (
    ApprovalAction,
    ApprovalActionResult,
    ApprovalPage,
    ApprovalRead,
    ApprovalRef,
    ApprovalRequestCreate,
    ApprovalRequestRead,
    ApprovalWorkflowRead,
    BulkActionResult,
    BulkApprovalAction,
    BulkItemResult,
    approval_read,
    request_read,
)

router = SegmentRouter(tags=["approvals"])

MAX_PAGE_SIZE = 100


def _ref(approval_id: str) -> ApprovalRef:
    if approval_id.isdigit() and len(approval_id) < 19:
        return int(approval_id)
    try:
        return uuid.UUID(approval_id)
    except ValueError:
        raise ApprovalNotFound(f"approval {approval_id} not found") from None


@router.post("/tickets/{ticket_id}/approvals", response_model=ApprovalRequestRead,
             status_code=status.HTTP_201_CREATED, responses=problems(401, 403, 404, 409, 422))
def request_approval(ticket_id: uuid.UUID, body: ApprovalRequestCreate, actor: ActorDep,
                     session: SessionDep, settings: SettingsDep) -> ApprovalRequestRead:
    """Ask named users (`approvers`; `mode` sequential or parallel) or anyone of a role
    (`approver_role`, optionally in `team_id`) to approve the ticket. Agents only; one open
    request per ticket (409). The ticket waits in its queue's pending-approval status."""
    request = service.request_approval(session, actor=actor, ticket_id=ticket_id, data=body,
                                       settings=settings)
    return request_read(request)


@router.get("/tickets/{ticket_id}/approvals", response_model=ApprovalWorkflowRead,
            responses=problems(401, 404))
def ticket_approvals(ticket_id: uuid.UUID, actor: ActorDep,
                     session: SessionDep) -> ApprovalWorkflowRead:
    """The ticket's approval workflow: every request, newest first, with its approvals."""
    ticket, requests = service.list_ticket_approvals(session, actor=actor, ticket_id=ticket_id)
    return ApprovalWorkflowRead(ticket_id=ticket.public_id,
                                status=requests[0].status if requests else "none",
                                requests=[request_read(r) for r in requests])


@router.get("/approvals/pending", response_model=ApprovalPage, responses=problems(401, 404, 422))
def pending_approvals(
    actor: ActorDep, session: SessionDep,
    priority: Annotated[list[str] | None, Query()] = None,
    team_id: uuid.UUID | None = None,
    department_id: Annotated[int | None, Query(ge=0, le=2_147_483_647)] = None,
    queue: Annotated[str | None, Query(max_length=64)] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=1_000_000,
                               description="Page size; values above 100 are capped")] = 20,
) -> ApprovalPage:
    """Approvals awaiting the caller's decision, directly or through their role and team,
    oldest first; filter by ticket priority, team (or department number) and queue."""
    size = min(size, MAX_PAGE_SIZE)
    priorities = [p.strip() for value in priority or [] for p in value.split(",") if p.strip()]
    result = service.list_pending_approvals(
        session, actor=actor, page=page, size=size,
        filters=service.PendingFilters(priority=priorities, team_id=team_id,
                                       department_id=department_id, queue=queue))
    return ApprovalPage(items=[approval_read(a) for a in result.items], total=result.total,
                        page=page, size=size, pages=result.pages)


@router.post("/approvals/bulk-action", response_model=BulkActionResult,
             responses=problems(401, 422))
def bulk_action(body: BulkApprovalAction, actor: ActorDep, session: SessionDep,
                settings: SettingsDep) -> BulkActionResult:
    """The same action on many approvals; each succeeds or fails on its own."""
    items = service.act_on_approvals(
        session, actor=actor, approval_ids=body.approval_ids, settings=settings,
        data=ApprovalAction(action=body.action, comments=body.comments,
                            conditions=body.conditions, delegate_to=body.delegate_to))
    results = [
        BulkItemResult(approval_id=item.approval_id, ok=True,
                       status=item.outcome.approval.status) if item.outcome is not None
        else BulkItemResult(approval_id=item.approval_id, ok=False,
                            error_code=item.error.code if item.error else None,
                            message=item.error.message if item.error else None)
        for item in items]
    succeeded = sum(1 for r in results if r.ok)
    return BulkActionResult(succeeded=succeeded, failed=len(results) - succeeded,
                            results=results)


@router.get("/approvals/{approval_id}", response_model=ApprovalRead,
            responses=problems(401, 404))
def read_approval(approval_id: str, actor: ActorDep, session: SessionDep) -> ApprovalRead:
    return approval_read(service.get_approval(session, actor=actor, approval_id=_ref(approval_id)))


@router.post("/approvals/{approval_id}/action", response_model=ApprovalActionResult,
             responses=problems(401, 403, 404, 422))
def act_on_approval(approval_id: str, body: ApprovalAction, actor: ActorDep,
                    session: SessionDep, settings: SettingsDep) -> ApprovalActionResult:
    """`approve`, `reject`, `delegate` (to `delegate_to`) or `request_info` (the question in
    `comments`), as the approver. Acting on a decided approval is refused (422)."""
    outcome = service.act_on_approval(session, actor=actor, approval_id=_ref(approval_id),
                                      data=body, settings=settings)
    return ApprovalActionResult(approval=approval_read(outcome.approval, outcome.request),
                                activated=[approval_read(a, outcome.request)
                                           for a in outcome.activated])
