"""Comments on a ticket: public replies and internal notes, with mentions and files."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import Response

from ticketry.api.deps import ActorDep, SessionDep
from ticketry.api.dialects.enterprise import mapping
from ticketry.api.dialects.enterprise.envelopes import ok, page_data
from ticketry.api.dialects.enterprise.lookups import ticket_of
from ticketry.api.dialects.enterprise.schemas import CommentIn
from ticketry.domain.comments import service as comments
from ticketry.domain.comments.schemas import CommentCreate

router = APIRouter(tags=["comments"])


@router.post("/comments/ticket/{ticket_id}", status_code=status.HTTP_201_CREATED)
def add_comment(ticket_id: str, body: CommentIn, request: Request, actor: ActorDep,
                session: SessionDep) -> Response:
    """`mentions` ("@john.doe") notify those users and are kept as their ids; `attachments`
    names files the author already uploaded to the ticket, which the comment then carries."""
    ticket = ticket_of(request, session, actor, ticket_id)
    comment, ticket = comments.add_comment(
        session, actor=actor, ticket_id=ticket.public_id,
        data=CommentCreate(content=body.content, is_internal=body.is_internal,
                           mentions=body.mentions, attachments=body.attachments))
    return ok(request, mapping.comment_document(comment, ticket, agent=actor.is_agent),
              "Comment added successfully", status.HTTP_201_CREATED)


@router.get("/comments/ticket/{ticket_id}")
def list_comments(
    ticket_id: str, request: Request, actor: ActorDep, session: SessionDep,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 10,
    include_internal: bool = False,
) -> Response:
    """Oldest first. Internal comments only for agents who ask (`include_internal=true`);
    end users never see them."""
    ticket = ticket_of(request, session, actor, ticket_id)
    result = comments.page_comments(session, actor=actor, ticket_id=ticket.public_id,
                                    page=page, size=size, include_internal=include_internal)
    items = [mapping.comment_document(c, result.ticket, agent=actor.is_agent)
             for c in result.items]
    return ok(request, page_data(items, total=result.total, page=page, size=size),
              "Comments retrieved successfully")
