from __future__ import annotations

import uuid

from fastapi import Request, status
from fastapi.responses import Response

from ticketry.api.deps import ActorDep, SessionDep, run_db
from ticketry.api.idempotency import idempotent_create
from ticketry.api.routing import SegmentRouter
from ticketry.api.v1.responses import problems
from ticketry.domain.attachments.schemas import AttachmentSummary
from ticketry.domain.comments import service
from ticketry.domain.comments.models import Comment
from ticketry.domain.comments.schemas import CommentCreate, CommentRead, CommentUpdate
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.users.schemas import UserSummary

router = SegmentRouter(tags=["comments"])


def comment_read(comment: Comment, ticket: Ticket, *, include_internal: bool) -> CommentRead:
    author = comment.author
    return CommentRead(
        id=comment.public_id, ticket_id=ticket.public_id,
        author=UserSummary(id=author.public_id, username=author.username,
                           full_name=author.full_name, email=author.email) if author else None,
        content=comment.content, comment_type=comment.comment_type,
        is_internal=comment.is_internal, created_at=comment.created_at,
        updated_at=comment.updated_at, edited_at=comment.edited_at,
        attachments=[AttachmentSummary(id=a.public_id, filename=a.filename,
                                       content_type=a.content_type, size=a.size)
                     for a in comment.attachments if include_internal or not a.is_internal],
    )


@router.get("/tickets/{ticket_id}/comments", response_model=list[CommentRead],
            responses=problems(401, 404))
def list_comments(ticket_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> list[CommentRead]:
    """Comments oldest first; end users never see internal ones."""
    comments, ticket = service.list_comments(session, actor=actor, ticket_id=ticket_id)
    return [comment_read(c, ticket, include_internal=actor.is_agent) for c in comments]


@router.post("/tickets/{ticket_id}/comments", response_model=CommentRead,
             status_code=status.HTTP_201_CREATED, responses=problems(401, 403, 404, 422))
async def add_comment(ticket_id: uuid.UUID, body: CommentCreate, request: Request,
                      actor: ActorDep, session: SessionDep) -> Response:
    def create() -> tuple[int, dict[str, object], dict[str, str]]:
        comment, ticket = service.add_comment(session, actor=actor, ticket_id=ticket_id,
                                              data=body)
        return 201, comment_read(comment, ticket, include_internal=actor.is_agent).model_dump(
            mode="json"), {}

    return await run_db(request, session, idempotent_create, request, session, actor,
                        body.model_dump(mode="json"), create)


@router.put("/comments/{comment_id}", response_model=CommentRead,
            responses=problems(401, 403, 404, 422))
def update_comment(comment_id: uuid.UUID, body: CommentUpdate, actor: ActorDep,
                   session: SessionDep) -> CommentRead:
    """Edit a comment (its author only)."""
    comment, ticket = service.update_comment(session, actor=actor, comment_id=comment_id,
                                             data=body)
    return comment_read(comment, ticket, include_internal=actor.is_agent)


@router.delete("/comments/{comment_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=problems(401, 403, 404))
def delete_comment(comment_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> None:
    """Delete a comment (its author or an administrator)."""
    service.delete_comment(session, actor=actor, comment_id=comment_id)
