"""Tickets: list with the document's filters, create, read with everything around a ticket,
update, delete, and the advanced search."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Request, status
from fastapi.responses import Response

from ticketry.api.deps import ActorDep, SessionDep, SettingsDep
from ticketry.api.dialects.enterprise import mapping
from ticketry.api.dialects.enterprise.attachments import download_url
from ticketry.api.dialects.enterprise.envelopes import ok, page_data
from ticketry.api.dialects.enterprise.lookups import (
    check_choices,
    choices,
    queue_config,
    team_public_id,
    ticket_of,
    user_public_id,
)
from ticketry.api.dialects.enterprise.schemas import (
    TicketIn,
    TicketPatchIn,
    When,
)
from ticketry.domain.approvals import service as approvals
from ticketry.domain.attachments import service as attachments
from ticketry.domain.comments import service as comments
from ticketry.domain.links.service import list_ticket_links
from ticketry.domain.tickets import service as tickets
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.tickets.schemas import TicketCreate, TicketFilters, TicketPatch
from ticketry.domain.users.models import User

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

router = APIRouter(tags=["tickets"])

# The document's field names -> the core's, for what PATCH may set as given.
_PATCH_FIELDS = {"title": "title", "description": "description", "status": "status",
                 "priority": "priority", "ticket_type": "ticket_type", "tags": "tags",
                 "due_date": "due_at", "internal_notes": "internal_notes",
                 "public_notes": "public_notes", "resolution_notes": "resolution_notes",
                 "customer_satisfaction_rating": "satisfaction_rating"}
_LANGUAGE = "en"

Id = Annotated[int | None, Query(ge=1, le=2_147_483_647)]
Text = Annotated[str | None, Query(max_length=500)]


@router.get("/tickets")
def list_tickets(
    request: Request, actor: ActorDep, session: SessionDep,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
    status_: Annotated[str | None, Query(alias="status", max_length=200)] = None,
    priority: Annotated[str | None, Query(max_length=200)] = None,
    ticket_type: Annotated[str | None, Query(max_length=200)] = None,
    search: Text = None,
    created_by_id: Id = None,
    assigned_to_id: Id = None,
    department_id: Id = None,
    created_after: Annotated[When | None, Query()] = None,
    created_before: Annotated[When | None, Query()] = None,
    tags: Text = None,
) -> Response:
    """A page of the desk's tickets, newest first. `tags` (comma-separated): every tag given."""
    config = queue_config(request, session)
    filters = TicketFilters(
        queue=config.key, status=choices(config, status_, "status"),
        priority=choices(config, priority, "priority"),
        ticket_type=choices(config, ticket_type, "ticket_type"),
        search=search.strip() if search and search.strip() else None,
        requester_ids=[created_by_id] if created_by_id else [],
        assignee_ids=[assigned_to_id] if assigned_to_id else [],
        team_codes=[department_id] if department_id else [],
        created_after=created_after, created_before=created_before,
        tags=[t.strip() for t in (tags or "").split(",") if t.strip()])
    result = tickets.list_tickets(session, actor=actor, filters=filters, page=page, size=size,
                                  sort_by="created_at", order="desc")
    return ok(request, page_data([mapping.ticket_item(t) for t in result.items],
                                 total=result.total, page=page, size=size),
              "Tickets retrieved successfully")


@router.post("/tickets", status_code=status.HTTP_201_CREATED)
def create_ticket(body: TicketIn, request: Request, actor: ActorDep, session: SessionDep,
                  settings: SettingsDep) -> Response:
    """A `change` or `request` ticket asks for approval and starts in `pending_approval`.
    `attachments` are names announced for files uploaded afterwards (see the ticket details)."""
    config = queue_config(request, session)
    check_choices(config, priority=body.priority, ticket_type=body.ticket_type)
    assignee = (user_public_id(session, actor, body.assigned_to_id, "assigned_to_id")
                if body.assigned_to_id is not None else None)
    data = TicketCreate(
        queue=config.key, title=body.title, description=body.description,
        priority=body.priority,
        ticket_type=body.ticket_type or config.settings.get("default_ticket_type"),
        team_id=team_public_id(session, body.department_id)
        if body.department_id is not None else None,
        tags=body.tags, due_at=body.due_date, channel="api",
        metadata={mapping.ANNOUNCED_ATTACHMENTS: body.attachments} if body.attachments else None)
    ticket = tickets.create_ticket(session, actor=actor, data=data, settings=settings)
    if assignee is not None:
        ticket = tickets.assign_ticket(session, actor=actor, ticket_id=ticket.public_id,
                                       assignee_id=assignee)
    return ok(request, mapping.ticket_created(ticket), "Ticket created successfully",
              status.HTTP_201_CREATED)


def _details(request: Request, session: Session, actor: User, ticket: Ticket) -> dict[str, Any]:
    """The ticket with its comments, files, approval workflow, timeline and related tickets."""
    config = queue_config(request, session)
    notes, _ = comments.list_comments(session, actor=actor, ticket_id=ticket.public_id)
    files, _ = attachments.list_attachments(session, actor=actor, ticket_id=ticket.public_id)
    _, requests = approvals.list_ticket_approvals(session, actor=actor,
                                                  ticket_id=ticket.public_id)
    history = tickets.list_history(session, actor=actor, ticket_id=ticket.public_id,
                                   language=_LANGUAGE)
    links = list_ticket_links(session, actor=actor, ticket=ticket)
    return {
        **mapping.ticket_full(ticket, agent=actor.is_agent),
        "comments": [mapping.comment_document(c, ticket, agent=actor.is_agent) for c in notes],
        "attachments": [mapping.attachment_document(f, download_url(request, f.id))
                        for f in files],
        "approval_workflow": mapping.approval_workflow(config, requests),
        "activity_timeline": [mapping.timeline_entry(row, text) for row, text in history],
        "related_tickets": [mapping.related_ticket(link.id, link.kind, link.ticket)
                            for link in links],
    }


@router.get("/tickets/{ticket_id}")
def read_ticket(ticket_id: str, request: Request, actor: ActorDep,
                session: SessionDep) -> Response:
    """By id (`123`) or ticket number (`TKT-20231201-001`)."""
    ticket = ticket_of(request, session, actor, ticket_id)
    return ok(request, _details(request, session, actor, ticket), "Ticket retrieved successfully")


@router.patch("/tickets/{ticket_id}")
def update_ticket(ticket_id: str, body: TicketPatchIn, request: Request, actor: ActorDep,
                  session: SessionDep, settings: SettingsDep) -> Response:
    """Only the fields given change. Moving a ticket to `pending_approval` requests approval;
    taking it out by hand withdraws the open request."""
    ticket = ticket_of(request, session, actor, ticket_id)
    check_choices(queue_config(request, session), status=body.status, priority=body.priority,
                  ticket_type=body.ticket_type)
    given = body.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {core: given[doc] for doc, core in _PATCH_FIELDS.items()
                               if doc in given}
    if "assigned_to_id" in given:
        user_id = given["assigned_to_id"]
        changes["assignee_id"] = (user_public_id(session, actor, user_id, "assigned_to_id")
                                  if user_id is not None else None)
    if "department_id" in given:
        code = given["department_id"]
        changes["team_id"] = team_public_id(session, code) if code is not None else None
    updated = tickets.update_ticket(session, actor=actor, ticket_id=ticket.public_id,
                                    data=TicketPatch(**changes), settings=settings)
    return ok(request, mapping.ticket_full(updated, agent=actor.is_agent),
              "Ticket updated successfully")


@router.delete("/tickets/{ticket_id}")
def delete_ticket(ticket_id: str, request: Request, actor: ActorDep, session: SessionDep,
                  background: BackgroundTasks) -> Response:
    """Administrators only. The desk deletes softly: the ticket leaves every listing and stays
    in the database with its history."""
    ticket = ticket_of(request, session, actor, ticket_id)
    gone = {"id": ticket.id, "ticket_number": ticket.key}
    deleted = tickets.delete_ticket(session, actor=actor, ticket_id=ticket.public_id)
    for key in deleted.purged_files:
        background.add_task(request.app.state.storage.delete, key)
    return ok(request, gone, "Ticket deleted successfully")
