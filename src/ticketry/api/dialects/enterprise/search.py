"""The advanced search (`POST /tickets/search`), over the core's ranked full-text search."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ticketry.api.deps import ActorDep, SessionDep
from ticketry.api.dialects.enterprise import mapping
from ticketry.api.dialects.enterprise.envelopes import ok, page_data
from ticketry.api.dialects.enterprise.lookups import choices, queue_config
from ticketry.api.dialects.enterprise.schemas import SearchIn
from ticketry.domain.search.schemas import SortKey, TicketSearch
from ticketry.domain.search.service import search_tickets
from ticketry.domain.tickets.schemas import TicketFilters

router = APIRouter(tags=["search"])

# The document's sort fields -> the core's.
_SORT = {"ticket_number": "number", "due_date": "resolution_due_at"}


def _sort_key(field: str, order: Literal["asc", "desc"]) -> SortKey:
    if field == "priority":
        # The document ranks critical above low; the core's rank 1 is the most urgent.
        order = "asc" if order == "desc" else "desc"
    return SortKey(field=_SORT.get(field, field), order=order)


@router.post("/tickets/search")
def search(body: SearchIn, request: Request, actor: ActorDep, session: SessionDep) -> Response:
    """Full-text `query` (title, description, comments) with filters; sorted by the `sort` keys
    in order (relevance first when there is a query and no sort)."""
    config = queue_config(request, session)
    f = body.filters
    filters = TicketFilters(
        queue=config.key, status=choices(config, f.status, "status"),
        priority=choices(config, f.priority, "priority"),
        ticket_type=choices(config, f.ticket_type, "ticket_type"),
        team_codes=f.departments, tags=f.tags, requester_ids=f.created_by_id,
        assignee_ids=f.assigned_to_id, created_after=f.created_after,
        created_before=f.created_before)
    query = body.query.strip() if body.query and body.query.strip() else None
    result = search_tickets(session, actor=actor, search=TicketSearch(
        query=query, filters=filters, page=body.page, size=body.size,
        sort=[_sort_key(k.field, k.order) for k in body.sort]))
    return ok(request, page_data([mapping.ticket_item(t) for t in result.items],
                                 total=result.total, page=body.page, size=body.size),
              "Search completed successfully")
