"""Ticket links: relates to, duplicates, parent/child."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Path, status

from ticketry.api.deps import ActorDep, SessionDep
from ticketry.api.routing import SegmentRouter
from ticketry.api.v1.responses import problems
from ticketry.domain.links import service
from ticketry.domain.links.schemas import TicketLinkCreate, TicketLinkRead, ticket_link_read

router = SegmentRouter(prefix="/tickets", tags=["links"])

# Link ids are 32-bit integers; anything else is not one.
LinkId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/{ticket_id}/links", response_model=list[TicketLinkRead],
            responses=problems(401, 404))
def list_links(ticket_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> list[TicketLinkRead]:
    """The ticket's links to tickets you may see; `kind` reads from this ticket
    (`duplicated_by`, `child_of` are the other ends of `duplicates`, `parent_of`)."""
    links = service.get_ticket_links(session, actor=actor, ticket_id=ticket_id)
    return [ticket_link_read(link) for link in links]


@router.post("/{ticket_id}/links", response_model=TicketLinkRead,
             status_code=status.HTTP_201_CREATED, responses=problems(401, 403, 404, 409, 422))
def create_link(ticket_id: uuid.UUID, body: TicketLinkCreate, actor: ActorDep,
                session: SessionDep) -> TicketLinkRead:
    """Link this ticket to another (`target_id` or `target_key`). A ticket has at most one
    parent, and parent/child links never form a cycle."""
    return ticket_link_read(service.add_ticket_link(session, actor=actor, ticket_id=ticket_id,
                                                    data=body))


@router.delete("/{ticket_id}/links/{link_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=problems(401, 403, 404))
def delete_link(ticket_id: uuid.UUID, link_id: LinkId, actor: ActorDep,
                session: SessionDep) -> None:
    """Remove a link, from either of its tickets."""
    service.remove_ticket_link(session, actor=actor, ticket_id=ticket_id, link_id=link_id)
