"""Approvals: what awaits the caller, acting on one, acting on many."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ticketry.api.deps import ActorDep, SessionDep, SettingsDep
from ticketry.api.dialects.enterprise import mapping
from ticketry.api.dialects.enterprise.envelopes import ok, page_data, status_and_code
from ticketry.api.dialects.enterprise.lookups import (
    choices,
    number,
    queue_config,
    user_public_id,
)
from ticketry.api.dialects.enterprise.schemas import ApprovalActionIn, BulkApprovalIn
from ticketry.domain.approvals import service as approvals
from ticketry.domain.approvals.schemas import ApprovalAction, ApprovalActionName
from ticketry.domain.users.models import User

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

router = APIRouter(tags=["approvals"])


def _action(session: Session, actor: User, body: ApprovalActionIn) -> ApprovalAction:
    target, field = ((body.delegate_to_id, "delegate_to_id") if body.delegate_to_id is not None
                     else (body.delegate_to, "delegate_to"))
    delegate = user_public_id(session, actor, target, field) if target is not None else None
    return ApprovalAction(action=ApprovalActionName(body.action), comments=body.comments,
                          conditions=body.conditions, delegate_to=delegate)


@router.get("/approvals/pending")
def pending(
    request: Request, actor: ActorDep, session: SessionDep,
    department_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    priority: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response:
    """Approvals awaiting the caller's decision (directly, or through their role and
    department), oldest first."""
    config = queue_config(request, session)
    result = approvals.list_pending_approvals(
        session, actor=actor, page=page, size=size,
        filters=approvals.PendingFilters(priority=choices(config, priority, "priority"),
                                         department_id=department_id, queue=config.key))
    return ok(request, page_data([mapping.approval_document(config, a) for a in result.items],
                                 total=result.total, page=page, size=size),
              "Pending approvals retrieved successfully")


@router.post("/approvals/bulk-action")
def bulk_action(body: BulkApprovalIn, request: Request, actor: ActorDep, session: SessionDep,
                settings: SettingsDep) -> Response:
    """The same action on each approval; each succeeds or fails on its own (`results`)."""
    config = queue_config(request, session)
    items = approvals.act_on_approvals(session, actor=actor, approval_ids=body.approval_ids,
                                       data=_action(session, actor, body), settings=settings)
    results: list[dict[str, Any]] = []
    for item in items:
        if item.outcome is not None:
            approval = mapping.approval_document(config, item.outcome.approval)
            results.append({"approval_id": item.approval_id, "success": True,
                            "status": approval["status"],
                            "ticket_status": approval["ticket_status"], "error": None})
        else:
            assert item.error is not None
            _, code = status_and_code(item.error)
            results.append({"approval_id": item.approval_id, "success": False, "status": None,
                            "ticket_status": None,
                            "error": {"code": code, "message": item.error.message,
                                      "rule": item.error.code}})
    succeeded = sum(1 for r in results if r["success"])
    return ok(request, {"processed": len(results), "succeeded": succeeded,
                        "failed": len(results) - succeeded, "results": results},
              f"Bulk {body.action}: {succeeded} of {len(results)} approvals processed")


@router.post("/approvals/{approval_id}/action")
def act(approval_id: str, body: ApprovalActionIn, request: Request, actor: ActorDep,
        session: SessionDep, settings: SettingsDep) -> Response:
    """`approve`, `reject`, `delegate` (to `delegate_to_id`) or `request_info` (the question in
    `comments`), as the approver. Acting on a decided approval: 422 BUSINESS_RULE_VIOLATION."""
    config = queue_config(request, session)
    outcome = approvals.act_on_approval(session, actor=actor,
                                        approval_id=number(approval_id, "approval"),
                                        data=_action(session, actor, body), settings=settings)
    data = mapping.approval_document(config, outcome.approval)
    data["activated"] = [mapping.approval_document(config, a) for a in outcome.activated]
    return ok(request, data, "Approval processed successfully")
