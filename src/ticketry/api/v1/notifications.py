"""The caller's notification inbox, and who watches a ticket."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Body, Query, Response, status

from ticketry.api.deps import ActorDep, SessionDep
from ticketry.api.routing import SegmentRouter
from ticketry.api.v1.responses import problems
from ticketry.domain.errors import ValidationFailed
from ticketry.domain.notifications import service
from ticketry.domain.notifications.models import NotificationKind
from ticketry.domain.notifications.schemas import (
    NotificationPage,
    NotificationRead,
    ReadAllResult,
    UnreadCount,
    WatcherAdd,
    WatcherRead,
    notification_read,
    watcher_read,
)

router = SegmentRouter(tags=["notifications"])

MAX_PAGE_SIZE = 100


@router.get("/notifications", response_model=NotificationPage, responses=problems(401, 422))
def list_notifications(
    actor: ActorDep, session: SessionDep,
    unread: Annotated[bool | None, Query(description="true: only unread; false: only read")]
    = None,
    kind: NotificationKind | None = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=1_000_000,
                               description="Page size; values above 100 are capped")] = 20,
) -> NotificationPage:
    """The caller's notifications, newest first."""
    size = min(size, MAX_PAGE_SIZE)
    result = service.list_notifications(session, actor=actor, unread=unread, kind=kind,
                                        page=page, size=size)
    return NotificationPage(items=[notification_read(n) for n in result.items],
                            total=result.total, page=page, size=size, pages=result.pages)


@router.get("/notifications/unread-count", response_model=UnreadCount, responses=problems(401))
def unread_count(actor: ActorDep, session: SessionDep) -> UnreadCount:
    return UnreadCount(unread=service.count_unread(session, actor=actor))


@router.post("/notifications/read-all", response_model=ReadAllResult, responses=problems(401))
def read_all(actor: ActorDep, session: SessionDep) -> ReadAllResult:
    """Mark every notification of the caller read."""
    return ReadAllResult(marked_read=service.mark_all_read(session, actor=actor), unread=0)


@router.post("/notifications/{notification_id}/read", response_model=NotificationRead,
             responses=problems(401, 404))
def mark_read(notification_id: uuid.UUID, actor: ActorDep,
              session: SessionDep) -> NotificationRead:
    return notification_read(service.mark_notification(
        session, actor=actor, notification_id=notification_id, read=True))


@router.post("/notifications/{notification_id}/unread", response_model=NotificationRead,
             responses=problems(401, 404))
def mark_unread(notification_id: uuid.UUID, actor: ActorDep,
                session: SessionDep) -> NotificationRead:
    return notification_read(service.mark_notification(
        session, actor=actor, notification_id=notification_id, read=False))


@router.get("/tickets/{ticket_id}/watchers", response_model=list[WatcherRead],
            responses=problems(401, 404))
def list_watchers(ticket_id: uuid.UUID, actor: ActorDep, session: SessionDep
                  ) -> list[WatcherRead]:
    """Who watches the ticket (anyone who may see the ticket may ask)."""
    return [watcher_read(w, u) for w, u in
            service.list_watchers(session, actor=actor, ticket_id=ticket_id)]


@router.post("/tickets/{ticket_id}/watchers", response_model=WatcherRead,
             status_code=status.HTTP_201_CREATED, responses=problems(401, 403, 404, 422))
def add_watcher(ticket_id: uuid.UUID, actor: ActorDep, session: SessionDep, response: Response,
                body: Annotated[WatcherAdd | None, Body()] = None) -> WatcherRead:
    """Watch the ticket (no body), or, for agents, make someone else watch it.

    201 when the person starts watching, 200 when they already were."""
    watcher, user, created = service.watch_ticket(
        session, actor=actor, ticket_id=ticket_id, user_id=body.user_id if body else None)
    if not created:
        response.status_code = status.HTTP_200_OK
    return watcher_read(watcher, user)


@router.delete("/tickets/{ticket_id}/watchers/{user_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=problems(401, 403, 404, 422))
def remove_watcher(ticket_id: uuid.UUID, user_id: str, actor: ActorDep,
                   session: SessionDep) -> None:
    """Stop watching (`me`), or, for agents, stop someone else watching. Idempotent."""
    target: uuid.UUID | None = None
    if user_id != "me":
        try:
            target = uuid.UUID(user_id)
        except ValueError:
            raise ValidationFailed("user_id must be a user id or `me`", field="user_id") from None
    service.unwatch_ticket(session, actor=actor, ticket_id=ticket_id, user_id=target)
