from __future__ import annotations

import uuid
from datetime import datetime
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import BackgroundTasks, Header, Query, Request, status
from fastapi.responses import Response as RawResponse
from pydantic import BaseModel

from ticketry.api.deps import ActorDep, SessionDep, SettingsDep, run_db, run_search
from ticketry.api.idempotency import idempotent_create
from ticketry.api.import_upload import import_from_request
from ticketry.api.routing import SegmentRouter
from ticketry.api.v1.responses import problems
from ticketry.db import utcnow
from ticketry.domain.errors import ValidationFailed
from ticketry.domain.history.messages import negotiate_language
from ticketry.domain.search import service as search_service
from ticketry.domain.search.cursors import MAX_CURSOR_LENGTH
from ticketry.domain.search.schemas import DeletedTicketRead, TicketChangesRead, TicketSearch
from ticketry.domain.tickets import service
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.tickets.schemas import (
    AssignRequest,
    CloseRequest,
    HistoryEntryRead,
    ReopenRequest,
    ResolveRequest,
    SortField,
    StatusChange,
    TicketCreate,
    TicketFilters,
    TicketPage,
    TicketPatch,
    TicketRead,
    TicketReplace,
    history_entry_read,
    ticket_page,
    ticket_read,
)
from ticketry.domain.tickets.views import TicketView

router = SegmentRouter(prefix="/tickets", tags=["tickets"])

MAX_PAGE_SIZE = 100


def etag_of(ticket: Ticket | TicketView) -> str:
    return f'"{ticket.public_id}.{ticket.version}"'


def _expected_version(if_match: str | None, ticket_id: uuid.UUID) -> int | None:
    """Parse `If-Match: "<id>.<version>"` (weak or strong, as this API issues them)."""
    if if_match is None or if_match.strip() == "*":
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    ident, _, version = tag.rpartition(".")
    if ident != str(ticket_id) or not version.isdigit():
        raise ValidationFailed("If-Match must be an ETag this API returned for this ticket",
                               field="If-Match")
    return int(version)


def _ticket_response(ticket: Ticket | TicketView) -> RawResponse:
    """Serialised once by Pydantic's core (FastAPI would validate the model again)."""
    return RawResponse(ticket_read(ticket, utcnow()).model_dump_json(),
                       media_type="application/json", headers={"ETag": etag_of(ticket)})


def _split(values: list[str] | None) -> list[str]:
    """Accept repeated parameters and comma-separated lists alike."""
    out: list[str] = []
    for value in values or []:
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return out


@router.get("", response_model=TicketPage, responses=problems(401, 422))
async def list_tickets(
    request: Request,
    actor: ActorDep,
    session: SessionDep,
    status_: Annotated[list[str] | None, Query(alias="status")] = None,
    priority: Annotated[list[str] | None, Query()] = None,
    category: Annotated[list[str] | None, Query()] = None,
    tags: Annotated[list[str] | None, Query()] = None,
    ticket_type: Annotated[list[str] | None, Query()] = None,
    environment: Annotated[list[str] | None, Query()] = None,
    status_category: Annotated[list[str] | None, Query()] = None,
    queue: Annotated[str | None, Query(max_length=64)] = None,
    assignee_id: uuid.UUID | None = None,
    unassigned: bool | None = None,
    requester_id: uuid.UUID | None = None,
    team_id: uuid.UUID | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    updated_after: datetime | None = None,
    updated_before: datetime | None = None,
    search: Annotated[str | None, Query(max_length=200)] = None,
    sort_by: SortField = "created_at",
    order: Literal["asc", "desc"] = "desc",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=1_000_000,
                               description="Page size; values above 100 are capped")] = 20,
    cursor: Annotated[str | None, Query(
        max_length=MAX_CURSOR_LENGTH,
        description="`next_cursor` of the previous page (instead of `page`), with the same "
                    "sort_by and order")] = None,
) -> RawResponse:
    """List the tickets the caller may see: filters combine with AND, repeated values with OR;
    `search` is full-text (title, description, comments; every word, the last one as a
    prefix). Page by number, or follow `next_cursor`: a cursor page starts right after the
    previous page's last ticket, so tickets created meanwhile neither repeat nor skip rows."""
    filters = TicketFilters(
        queue=queue, status=_split(status_), priority=_split(priority),
        category=_split(category), tags=_split(tags), ticket_type=_split(ticket_type),
        environment=_split(environment), status_category=_split(status_category),
        assignee_id=assignee_id, unassigned=unassigned, requester_id=requester_id,
        team_id=team_id, created_after=created_after, created_before=created_before,
        updated_after=updated_after, updated_before=updated_before,
        search=search.strip() if search and search.strip() else None,
    )
    size = min(size, MAX_PAGE_SIZE)
    browse = partial(search_service.browse_tickets, session, actor=actor, filters=filters,
                     page=page, size=size, sort_by=sort_by, order=order, cursor=cursor)
    result = await (run_search(browse) if filters.search else run_db(request, session, browse))
    now = utcnow()
    page_body = ticket_page(result.items, now, total=result.total, page=result.page,
                            size=size, pages=result.pages, next_cursor=result.next_cursor)
    return RawResponse(page_body.model_dump_json(), media_type="application/json")


@router.post("/search", response_model=TicketPage, responses=problems(401, 422))
def search_tickets(body: TicketSearch, actor: ActorDep, session: SessionDep) -> RawResponse:
    """Full-text search over title, description and comments (internal comments for agents
    only), ranked, with the list's filters and several sort keys (`relevance` among them;
    by default relevance with a query, else newest first). Every word must match; the last
    one also matches as a prefix (`datab` finds "database"); punctuation is never syntax."""
    result = search_service.search_tickets(session, actor=actor, search=body)
    now = utcnow()
    page_body = ticket_page(result.items, now, total=result.total, page=result.page,
                            size=result.size, pages=result.pages)
    return RawResponse(page_body.model_dump_json(), media_type="application/json")


@router.get("/export/incremental", response_model=TicketChangesRead,
            responses=problems(401, 422))
def export_ticket_changes(
    actor: ActorDep, session: SessionDep,
    cursor: Annotated[str | None, Query(max_length=MAX_CURSOR_LENGTH)] = None,
    size: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> RawResponse:
    """For clients that keep a copy: the tickets changed since `cursor` (everything without
    one), oldest change first, at most `size`; `deleted` lists tickets deleted since. Call
    again with `next_cursor` until `end_of_stream`, then poll with the last `next_cursor`.

    Changes of the last 30 seconds are held back (a settle window): a change carries the time
    its transaction wrote it but shows only once that transaction commits, so a reader that
    went straight to the newest rows could pass a change still being committed and never see
    it. Rows appear once they are older than the window. Tickets removed permanently (a queue
    that deletes hard) are not reported."""
    changes = search_service.export_ticket_changes(session, actor=actor, cursor=cursor,
                                                   size=size)
    now = utcnow()
    body = TicketChangesRead(
        items=[ticket_read(t, now) for t in changes.items],
        deleted=[DeletedTicketRead(id=t.public_id, key=t.key, deleted_at=t.deleted_at)
                 for t in changes.deleted if t.deleted_at is not None],
        next_cursor=changes.next_cursor, end_of_stream=changes.end_of_stream)
    return RawResponse(body.model_dump_json(), media_type="application/json")


@router.post("", response_model=TicketRead, status_code=status.HTTP_201_CREATED,
             responses=problems(401, 403, 409, 422))
async def create_ticket(
    body: TicketCreate, request: Request, actor: ActorDep, session: SessionDep,
    settings: SettingsDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key",
                                                  max_length=255)] = None,
) -> RawResponse:
    """Create a ticket. Send `Idempotency-Key` to make retries safe."""

    def create() -> tuple[int, dict[str, object], dict[str, str]]:
        ticket = service.create_ticket(session, actor=actor, data=body, settings=settings)
        read = ticket_read(ticket, utcnow())
        return 201, read.model_dump(mode="json"), {
            "Location": f"/api/v1/tickets/{ticket.public_id}", "ETag": etag_of(ticket)}

    return await run_db(request, session, idempotent_create, request, session, actor,
                        body.model_dump(mode="json"), create)


class ImportReportRead(BaseModel):
    total: int
    successful: int
    failed: int
    errors: list[dict[str, Any]]


@router.post(
    "/import", response_model=ImportReportRead, responses=problems(400, 401, 403, 422),
    openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {
        "schema": {"type": "object", "required": ["file"], "properties": {
            "file": {"type": "string", "format": "binary"}}}}}}},
)
async def import_tickets(
    request: Request, actor: ActorDep, session: SessionDep,
    queue: Annotated[str | None, Query(max_length=64)] = None,
    format: Annotated[str | None, Query(max_length=16)] = None,
) -> dict[str, Any]:
    """Bulk import (CSV, JSON or XML; the format from `format`, the file name or its type).
    Every row is validated by the queue's rules; valid rows are stored in batches."""
    return await import_from_request(request, session, actor=actor, queue_key=queue, fmt=format)


@router.get("/{ticket_id}", response_model=TicketRead, responses=problems(401, 404))
async def read_ticket(
    ticket_id: uuid.UUID, request: Request, actor: ActorDep, session: SessionDep,
    if_none_match: Annotated[str | None, Header()] = None,
) -> RawResponse:
    ticket = await run_db(request, session, service.get_ticket_view, session, actor=actor,
                          ticket_id=ticket_id)
    if if_none_match is not None and etag_of(ticket) in if_none_match:
        return RawResponse(status_code=304, headers={"ETag": etag_of(ticket)})
    return _ticket_response(ticket)


@router.put("/{ticket_id}", response_model=TicketRead,
            responses=problems(401, 403, 404, 412, 422))
def replace_ticket(
    ticket_id: uuid.UUID, body: TicketReplace, actor: ActorDep, session: SessionDep,
    settings: SettingsDep,
    if_match: Annotated[str | None, Header()] = None,
) -> RawResponse:
    """Replace the ticket's editable content; omitted optional fields return to defaults."""
    ticket = service.update_ticket(session, actor=actor, ticket_id=ticket_id, data=body,
                                   expected_version=_expected_version(if_match, ticket_id),
                                   settings=settings)
    return _ticket_response(ticket)


@router.patch("/{ticket_id}", response_model=TicketRead,
              responses=problems(401, 403, 404, 412, 422))
def patch_ticket(
    ticket_id: uuid.UUID, body: TicketPatch, actor: ActorDep, session: SessionDep,
    settings: SettingsDep,
    if_match: Annotated[str | None, Header()] = None,
) -> RawResponse:
    """Change only the fields given."""
    ticket = service.update_ticket(session, actor=actor, ticket_id=ticket_id, data=body,
                                   expected_version=_expected_version(if_match, ticket_id),
                                   settings=settings)
    return _ticket_response(ticket)


@router.delete("/{ticket_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=problems(401, 403, 404))
def delete_ticket(ticket_id: uuid.UUID, request: Request, actor: ActorDep, session: SessionDep,
                  background: BackgroundTasks) -> None:
    """Delete a ticket (administrators). It leaves every listing and its history is kept,
    unless its queue deletes permanently (the support desk)."""
    deleted = service.delete_ticket(session, actor=actor, ticket_id=ticket_id)
    for key in deleted.purged_files:
        background.add_task(request.app.state.storage.delete, key)


@router.put("/{ticket_id}/assign", response_model=TicketRead,
            responses=problems(401, 403, 404, 422))
def assign_ticket(ticket_id: uuid.UUID, body: AssignRequest, actor: ActorDep,
                  session: SessionDep) -> RawResponse:
    """Assign (or with `assignee_id: null`, unassign) the ticket."""
    ticket = service.assign_ticket(session, actor=actor, ticket_id=ticket_id,
                                   assignee_id=body.assignee_id, notes=body.notes)
    return _ticket_response(ticket)


@router.patch("/{ticket_id}/status", response_model=TicketRead,
              responses=problems(401, 403, 404, 412, 422))
def change_status(
    ticket_id: uuid.UUID, body: StatusChange, actor: ActorDep, session: SessionDep,
    settings: SettingsDep,
    if_match: Annotated[str | None, Header()] = None,
) -> RawResponse:
    """Move the ticket along its queue's lifecycle; 422 names the allowed next statuses."""
    ticket = service.change_status(
        session, actor=actor, ticket_id=ticket_id, status=body.status, notes=body.notes,
        resolution_notes=body.resolution_notes,
        expected_version=_expected_version(if_match, ticket_id), settings=settings)
    return _ticket_response(ticket)


@router.post("/{ticket_id}/resolve", response_model=TicketRead,
             responses=problems(401, 403, 404, 422))
def resolve_ticket(ticket_id: uuid.UUID, body: ResolveRequest, actor: ActorDep,
                   session: SessionDep, settings: SettingsDep) -> RawResponse:
    ticket = service.resolve_ticket(session, actor=actor, ticket_id=ticket_id,
                                    resolution_notes=body.resolution_notes, settings=settings)
    return _ticket_response(ticket)


@router.post("/{ticket_id}/close", response_model=TicketRead,
             responses=problems(401, 403, 404, 422))
def close_ticket(ticket_id: uuid.UUID, actor: ActorDep, session: SessionDep,
                 settings: SettingsDep,
                 body: CloseRequest | None = None) -> RawResponse:
    ticket = service.close_ticket(session, actor=actor, ticket_id=ticket_id,
                                  notes=body.notes if body else None, settings=settings)
    return _ticket_response(ticket)


@router.post("/{ticket_id}/reopen", response_model=TicketRead,
             responses=problems(401, 403, 404, 422))
def reopen_ticket(ticket_id: uuid.UUID, actor: ActorDep, session: SessionDep,
                  settings: SettingsDep,
                  body: ReopenRequest | None = None) -> RawResponse:
    """Reopen a resolved or closed ticket (closed ones only within the reopen window)."""
    ticket = service.reopen_ticket(session, actor=actor, ticket_id=ticket_id,
                                   reason=body.reason if body else None, settings=settings)
    return _ticket_response(ticket)


@router.get("/{ticket_id}/history", response_model=list[HistoryEntryRead],
            responses=problems(401, 404))
def ticket_history(
    ticket_id: uuid.UUID, actor: ActorDep, session: SessionDep,
    accept_language: Annotated[str | None, Header()] = None,
) -> list[HistoryEntryRead]:
    """Every change to the ticket, oldest first (internal entries are shown to agents only),
    each with a sentence in English, Catalan or Spanish (`Accept-Language`)."""
    language = negotiate_language(accept_language, "en")
    return [history_entry_read(entry, message) for entry, message in
            service.list_history(session, actor=actor, ticket_id=ticket_id, language=language)]
