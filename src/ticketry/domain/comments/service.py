"""Comments: public replies and internal notes, with first-response tracking."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from ticketry.db import utcnow
from ticketry.domain.attachments.models import Attachment
from ticketry.domain.comments.errors import CommentNotFound
from ticketry.domain.comments.models import Comment
from ticketry.domain.comments.schemas import CommentCreate, CommentUpdate
from ticketry.domain.errors import PermissionDenied, ValidationFailed
from ticketry.domain.events.service import EventType, emit_ticket_event, user_ref
from ticketry.domain.history.models import ChangeType
from ticketry.domain.history.service import record_change
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.tickets.service import get_ticket
from ticketry.domain.users.models import Role, User

_MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9][A-Za-z0-9_.+-]*[A-Za-z0-9_]|[A-Za-z0-9])")


def mentioned_usernames(content: str, explicit: list[str]) -> list[str]:
    """Usernames named with @ in the text or in the explicit list, in order, once each."""
    names = [m.group(1) for m in _MENTION.finditer(content)]
    names += [name.strip().lstrip("@") for name in explicit]
    seen: dict[str, None] = {}
    for name in names:
        if name and name.lower() not in seen:
            seen[name.lower()] = None
    return list(seen)


def add_comment(session: Session, *, actor: User, ticket_id: uuid.UUID,
                data: CommentCreate) -> tuple[Comment, Ticket]:
    ticket = get_ticket(session, actor=actor, ticket_id=ticket_id, for_update=True)
    if data.is_internal and not actor.is_agent:
        raise PermissionDenied("only agents may write internal comments")
    now = utcnow()
    mentioned = mentioned_usernames(data.content, data.mentions)
    files = _files_to_attach(session, actor, ticket, data.attachments)
    comment = Comment(
        ticket_id=ticket.id, author_id=actor.id, content=data.content,
        comment_type=data.comment_type.value, is_internal=data.is_internal,
        created_at=now, updated_at=now, mentions=_user_ids(session, mentioned),
    )
    session.add(comment)
    session.flush()
    set_committed_value(comment, "author", actor)  # loaded, not a change to flush
    for file in files:
        file.comment_id = comment.id
        # A file on an internal note is as internal as the note.
        file.is_internal = file.is_internal or comment.is_internal
    set_committed_value(comment, "attachments", files)
    # First response: the first public reply by an agent other than the requester.
    if (ticket.first_response_at is None and actor.is_agent and not data.is_internal
            and actor.id != ticket.requester_id):
        ticket.first_response_at = now
        ticket.version += 1
    ticket.updated_at = now
    record_change(session, ticket_id=ticket.id, actor=actor, change_type=ChangeType.COMMENT_ADDED,
                  at=now, details={"comment_id": str(comment.public_id),
                                   "internal": data.is_internal})
    emit_ticket_event(session, type=EventType.COMMENT_ADDED, actor=actor, ticket=ticket, at=now,
                      extra={"comment": {"id": comment.id, "public_id": str(comment.public_id),
                                         "content": comment.content,
                                         "comment_type": comment.comment_type,
                                         "is_internal": comment.is_internal,
                                         "author": user_ref(actor),
                                         "created_at": now.isoformat()},
                             "mentions": mentioned})
    session.flush()
    return comment, ticket


def _user_ids(session: Session, usernames: list[str]) -> list[int]:
    """The ids of the users named, in the order named; names of nobody are left out."""
    if not usernames:
        return []
    ids = dict(session.execute(select(func.lower(User.username), User.id).where(
        func.lower(User.username).in_([name.lower() for name in usernames]))).tuples().all())
    return [ids[name.lower()] for name in usernames if name.lower() in ids]


def _files_to_attach(session: Session, actor: User, ticket: Ticket,
                     names: list[str]) -> list[Attachment]:
    """The author's files on this ticket, by name, not yet on a comment (the newest of a name)."""
    if not names:
        return []
    rows = session.scalars(select(Attachment).where(
        Attachment.ticket_id == ticket.id, Attachment.uploader_id == actor.id,
        Attachment.comment_id.is_(None), Attachment.filename.in_(names))
        .order_by(Attachment.id.desc())).all()
    by_name: dict[str, Attachment] = {}
    for row in rows:
        by_name.setdefault(row.filename, row)
    missing = [name for name in dict.fromkeys(names) if name not in by_name]
    if missing:
        raise ValidationFailed(
            f"no file named {', '.join(missing)} was uploaded to this ticket by you (or it is "
            "already on a comment): upload it first", field="attachments")
    chosen = {by_name[name].id: by_name[name] for name in names}
    return [chosen[key] for key in sorted(chosen)]


def list_comments(session: Session, *, actor: User, ticket_id: uuid.UUID) -> tuple[
        Sequence[Comment], Ticket]:
    ticket = get_ticket(session, actor=actor, ticket_id=ticket_id)
    stmt = (select(Comment).where(Comment.ticket_id == ticket.id)
            .options(joinedload(Comment.author), selectinload(Comment.attachments))
            .order_by(Comment.created_at, Comment.id))
    if not actor.is_agent:
        stmt = stmt.where(Comment.is_internal.is_(False))
    return session.scalars(stmt).all(), ticket


@dataclass(frozen=True, slots=True)
class CommentPage:
    items: Sequence[Comment]
    total: int
    ticket: Ticket


def page_comments(session: Session, *, actor: User, ticket_id: uuid.UUID, page: int, size: int,
                  include_internal: bool = True) -> CommentPage:
    """A page of the ticket's comments, oldest first; internal ones only for agents (who may
    leave them out too)."""
    ticket = get_ticket(session, actor=actor, ticket_id=ticket_id)
    where = [Comment.ticket_id == ticket.id]
    if not (include_internal and actor.is_agent):
        where.append(Comment.is_internal.is_(False))
    total = session.scalar(select(func.count()).select_from(Comment).where(*where)) or 0
    items = session.scalars(
        select(Comment).where(*where)
        .options(joinedload(Comment.author), selectinload(Comment.attachments))
        .order_by(Comment.created_at, Comment.id).offset((page - 1) * size).limit(size)).all()
    return CommentPage(items, total, ticket)


def _get_comment(session: Session, actor: User, comment_id: uuid.UUID) -> tuple[Comment, Ticket]:
    row = session.execute(
        select(Comment, Ticket)
        .join(Ticket, Ticket.id == Comment.ticket_id)
        .where(Comment.public_id == comment_id, Ticket.deleted_at.is_(None))
        .options(joinedload(Comment.author), selectinload(Comment.attachments))
    ).one_or_none()
    if row is None:
        raise CommentNotFound(f"comment {comment_id} not found")
    comment, ticket = row
    visible = actor.is_agent or (ticket.requester_id == actor.id and not comment.is_internal)
    if not visible:
        raise CommentNotFound(f"comment {comment_id} not found")
    return comment, ticket


def get_comment(session: Session, *, actor: User, comment_id: uuid.UUID) -> tuple[Comment, Ticket]:
    return _get_comment(session, actor, comment_id)


def update_comment(session: Session, *, actor: User, comment_id: uuid.UUID,
                   data: CommentUpdate) -> tuple[Comment, Ticket]:
    comment, ticket = _get_comment(session, actor, comment_id)
    if comment.author_id != actor.id:
        raise PermissionDenied("only the author may edit a comment")
    if data.is_internal is not None and data.is_internal != comment.is_internal:
        if not actor.is_agent:
            raise PermissionDenied("only agents may write internal comments")
        comment.is_internal = data.is_internal
    now = utcnow()
    if data.content != comment.content:
        record_change(session, ticket_id=ticket.id, actor=actor,
                      change_type=ChangeType.COMMENT_UPDATED, at=now, field="comment",
                      old=comment.content, new=data.content,
                      details={"comment_id": str(comment.public_id),
                               "internal": comment.is_internal})
        comment.content = data.content
        comment.edited_at = now
    comment.updated_at = now
    session.flush()
    return comment, ticket


def delete_comment(session: Session, *, actor: User, comment_id: uuid.UUID) -> None:
    comment, ticket = _get_comment(session, actor, comment_id)
    if comment.author_id != actor.id and actor.role_enum is not Role.ADMIN:
        raise PermissionDenied("only the author or an administrator may delete a comment")
    record_change(session, ticket_id=ticket.id, actor=actor,
                  change_type=ChangeType.COMMENT_DELETED, at=utcnow(), field="comment",
                  old=comment.content,
                  details={"comment_id": str(comment.public_id), "internal": comment.is_internal})
    session.delete(comment)
    session.flush()
